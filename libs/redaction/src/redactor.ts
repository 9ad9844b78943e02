import {
  DEFAULT_ALLOW_KEYS,
  DEFAULT_ALLOW_KEY_SUFFIXES,
  DEFAULT_ALLOW_VALUES,
  DEFAULT_SECRET_KEYS,
  DEFAULT_SECRET_KEY_SUFFIXES,
  KeyRules,
  PLACEHOLDER,
  normaliseKey,
} from './keys.js';
import { DEFAULT_PATTERNS, compilePattern, redactionMarker, scanText, type PatternContext, type SecretPattern } from './patterns.js';

/** One thing that was redacted: where (`payload.recipe.hf_token`, `payload.items[2].url`) and why. */
export interface Redaction {
  readonly path: string;
  /**
   * `key` (the key or a `name=value` name said so), a pattern kind (`openai_key`, `url_credentials`, …), or what the
   * walk could not look into: `cycle`, `depth` (deeper than maxDepth), `limit` (more than maxNodes containers).
   */
  readonly kind: string;
}

export interface RedactionResult<T> {
  /**
   * The redacted value. Untouched subtrees are shared with the input (and the input itself comes back when nothing was
   * redacted), so treat both as immutable; the input is never modified. A redacted leaf becomes a string.
   */
  readonly value: T;
  readonly redactions: readonly Redaction[];
}

/** Every list replaces its default; spread the exported default to extend it (`[...DEFAULT_ALLOW_KEYS, 'my_key']`). */
export interface RedactorOptions {
  readonly secretKeys?: readonly string[];
  readonly secretKeySuffixes?: readonly string[];
  readonly allowKeys?: readonly string[];
  readonly allowKeySuffixes?: readonly string[];
  /** Whole-string values returned untouched (anchored regexes). */
  readonly allowValues?: readonly RegExp[];
  readonly patterns?: readonly SecretPattern[];
  /** Containers nested deeper than this are replaced by `[REDACTED:depth]`. Default 64. */
  readonly maxDepth?: number;
  /** Containers visited past this are replaced by `[REDACTED:limit]` (shared subtrees count each time). Default 1e6. */
  readonly maxNodes?: number;
}

/** AWS secret access keys have no prefix: 40 base64 characters, recognised next to an AWS key id or an `aws*` key. */
const AWS_SECRET_SHAPE = /^[A-Za-z0-9/+]{40}$/;
const HEX = /^[0-9a-f]+$/i;
const AWS_KEY_ID = /(?:AKIA|ASIA)[A-Z0-9]{16}/;
/**
 * Clean strings up to this length are memoised per redactor (keys and short values repeat across events). A string in
 * which something was found is never memoised, so the cache holds no detected secret.
 */
const MEMO_MAX_LENGTH = 256;
const MEMO_MAX_ENTRIES = 8192;

const PLAIN_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
/** A key that an earlier redaction wrote (`[REDACTED:github_token]`, `…#2`): its kind is no secret name. */
const MARKER_KEY = /^\[REDACTED:[a-z0-9_]+\](?:#\d+)?$/;

/** Where the walk is: a root name, or a key or index below a parent. Rendered only when something is reported. */
type Path = string | { readonly up: Path; readonly seg: string | number };

function renderPath(path: Path): string {
  const segs: (string | number)[] = [];
  let p = path;
  while (typeof p !== 'string') {
    segs.push(p.seg);
    p = p.up;
  }
  let out = p;
  for (let i = segs.length - 1; i >= 0; i -= 1) {
    const seg = segs[i]!;
    if (typeof seg === 'number') out = `${out}[${seg}]`;
    else out = PLAIN_SEGMENT.test(seg) ? (out ? `${out}.${seg}` : seg) : `${out}[${JSON.stringify(seg)}]`;
  }
  return out;
}

interface Walk {
  readonly redactions: Redaction[];
  readonly ancestors: Set<object>;
  nodes: number;
}

/**
 * Redacts secrets from a JSON value: by key name, by credential-shaped text inside any string (object keys
 * included), and by the AWS sibling rule; the allow-list keeps reproducibility fields. Pure and deterministic:
 * the same input and options give the same output and the same redaction list, in traversal order.
 */
export class Redactor {
  private readonly keys: KeyRules;
  private readonly patterns: readonly SecretPattern[];
  private readonly allowValues: readonly RegExp[];
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  private readonly ctx: PatternContext;
  private readonly memo = new Map<string, { text: string; kinds: readonly string[] }>();

  constructor(options: RedactorOptions = {}) {
    this.keys = new KeyRules(
      options.secretKeys ?? DEFAULT_SECRET_KEYS,
      options.secretKeySuffixes ?? DEFAULT_SECRET_KEY_SUFFIXES,
      options.allowKeys ?? DEFAULT_ALLOW_KEYS,
      options.allowKeySuffixes ?? DEFAULT_ALLOW_KEY_SUFFIXES,
    );
    this.patterns = (options.patterns ?? DEFAULT_PATTERNS).map(compilePattern);
    this.allowValues = (options.allowValues ?? DEFAULT_ALLOW_VALUES).map((r) => new RegExp(r.source, r.flags.replace('g', '')));
    this.maxDepth = options.maxDepth ?? 64;
    this.maxNodes = options.maxNodes ?? 1_000_000;
    this.ctx = { isSecretKey: (name) => this.keys.isSecret(name) };
  }

  /** Redacts `value`; `path` names its root in the report (`payload` gives `payload.recipe.hf_token`). */
  redact<T>(value: T, path = ''): RedactionResult<T> {
    const walk: Walk = { redactions: [], ancestors: new Set(), nodes: 0 };
    const out = this.visit(value, path, 0, walk) as T;
    return { value: out, redactions: walk.redactions };
  }

  /** Whether a key names a secret under these rules (the allow-list wins). */
  isSecretKey(key: string): boolean {
    return this.keys.isSecret(key);
  }

  private mark(walk: Walk, path: Path, kind: string): string {
    walk.redactions.push({ path: renderPath(path), kind });
    return redactionMarker(kind);
  }

  private visitString(s: string, path: Path, walk: Walk): string {
    const r = this.scan(s);
    for (const kind of r.kinds) walk.redactions.push({ path: renderPath(path), kind });
    return r.text;
  }

  /** The patterns over one string (allow-listed values skip them). Short clean strings are memoised. */
  private scan(s: string): { text: string; kinds: readonly string[] } {
    const short = s.length <= MEMO_MAX_LENGTH;
    const hit = short ? this.memo.get(s) : undefined;
    if (hit) return hit;
    const r = this.allowValues.some((a) => a.test(s)) ? { text: s, kinds: [] } : scanText(s, this.patterns, this.ctx);
    if (short && r.kinds.length === 0) {
      if (this.memo.size >= MEMO_MAX_ENTRIES) this.memo.clear();
      this.memo.set(s, r);
    }
    return r;
  }

  private visit(value: unknown, path: Path, depth: number, walk: Walk): unknown {
    if (typeof value === 'string') return this.visitString(value, path, walk);
    if (value === null || typeof value !== 'object') return value;
    if (walk.ancestors.has(value)) return this.mark(walk, path, 'cycle');
    if (depth >= this.maxDepth) return this.mark(walk, path, 'depth');
    if (walk.nodes >= this.maxNodes) return this.mark(walk, path, 'limit');
    walk.nodes += 1;
    walk.ancestors.add(value);
    try {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        // What JSON.stringify would write (a Date's ISO string): redact that, keep the original when it is clean.
        const json: unknown = toJSON.call(value, '');
        const out = this.visit(json, path, depth, walk);
        return out === json ? value : out;
      }
      if (Array.isArray(value)) return this.visitArray(value, path, depth, walk);
      return this.visitObject(value as Record<string, unknown>, path, depth, walk);
    } finally {
      walk.ancestors.delete(value);
    }
  }

  private visitArray(arr: readonly unknown[], path: Path, depth: number, walk: Walk): unknown[] {
    let copy: unknown[] | undefined;
    for (let i = 0; i < arr.length; i += 1) {
      const v = arr[i];
      const out = this.visit(v, { up: path, seg: i }, depth + 1, walk);
      if (out !== v && !copy) copy = arr.slice(0, i);
      if (copy) copy.push(out);
    }
    return copy ?? (arr as unknown[]);
  }

  private visitObject(obj: Record<string, unknown>, path: Path, depth: number, walk: Walk): Record<string, unknown> {
    const keys = Object.keys(obj);
    const awsContext = this.hasAwsContext(obj, keys);
    let entries: [string, unknown][] | undefined;
    let usedKeys: Set<string> | undefined;
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      const v = obj[key];
      // A key can be a secret too (a map keyed by token): scan it like any string, keep keys unique.
      let outKey = key;
      const scanned = this.scan(key);
      if (scanned.kinds.length > 0) {
        usedKeys ??= new Set(keys);
        outKey = scanned.text;
        for (let n = 2; usedKeys.has(outKey); n += 1) outKey = `${scanned.text}#${n}`;
        usedKeys.add(outKey);
        const at = renderPath({ up: path, seg: outKey });
        for (const kind of scanned.kinds) walk.redactions.push({ path: at, kind });
      }
      const childPath: Path = { up: path, seg: outKey };
      let out: unknown;
      // Key rules read the key as written out (a key that was itself a credential is only its marker by now).
      if (!MARKER_KEY.test(outKey) && this.keys.isSecret(outKey) && hidesSomething(v)) out = this.mark(walk, childPath, 'key');
      else if (awsContext && typeof v === 'string' && AWS_SECRET_SHAPE.test(v) && !HEX.test(v) && !this.keys.isAllowed(key)) {
        out = this.mark(walk, childPath, 'aws_secret_key');
      } else out = this.visit(v, childPath, depth + 1, walk);
      if ((out !== v || outKey !== key) && !entries) entries = keys.slice(0, i).map((k) => [k, obj[k]]);
      if (entries) entries.push([outKey, out]);
    }
    // Object.fromEntries defines own properties, so a `__proto__` key stays data.
    return entries ? Object.fromEntries(entries) : obj;
  }

  /** An object with an `aws*` key or an AWS access key id among its values, and a 40-character candidate. */
  private hasAwsContext(obj: Record<string, unknown>, keys: readonly string[]): boolean {
    let candidate = false;
    for (const k of keys) {
      const v = obj[k];
      if (typeof v === 'string' && v.length === 40 && AWS_SECRET_SHAPE.test(v)) candidate = true;
    }
    if (!candidate) return false;
    for (const k of keys) {
      const v = obj[k];
      if (normaliseKey(k).startsWith('aws') || (typeof v === 'string' && AWS_KEY_ID.test(v))) return true;
    }
    return false;
  }
}

/** Nothing to hide under a secret key: absent, empty, a flag, or a placeholder naming where the secret lives. */
function hidesSomething(v: unknown): boolean {
  if (v === null || v === undefined || typeof v === 'boolean') return false;
  if (typeof v === 'string') return v.length > 0 && !PLACEHOLDER.test(v);
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** The redactor with the default rules. */
export const defaultRedactor = new Redactor();

/** Redacts with the default rules: `redact(draft.payload, 'payload')`. */
export function redact<T>(value: T, path = ''): RedactionResult<T> {
  return defaultRedactor.redact(value, path);
}
