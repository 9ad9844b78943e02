import { PLACEHOLDER } from './keys.js';

/** What replaces a secret: `[REDACTED:<kind>]`. */
export const redactionMarker = (kind: string): string => `[REDACTED:${kind}]`;

/** What a pattern's `replace` may ask of the redactor that runs it. */
export interface PatternContext {
  /** The redactor's key rules, allow-list included (for `name=value` text). */
  isSecretKey(name: string): boolean;
}

/** One replacement: `text` stands for `[match start, end)`; `end` defaults to the end of the match. */
export interface PatternReplacement {
  readonly text: string;
  readonly end?: number;
}

/**
 * A value pattern. `regex` is run globally over every string (it is copied with the `g` flag, so its state is never
 * shared). `hint` is a cheap test that must pass before the regex runs. `replace` builds the replacement of one match,
 * or returns null to keep it (a false positive); by default the whole match becomes `[REDACTED:<kind>]`. Patterns run
 * in order, each over the output of the one before, so put specific shapes before general ones.
 */
export interface SecretPattern {
  readonly kind: string;
  readonly regex: RegExp;
  readonly hint?: (text: string) => boolean;
  readonly replace?: (match: RegExpExecArray, text: string, ctx: PatternContext) => PatternReplacement | null;
}

const has = (...needles: string[]) => (text: string) => needles.some((n) => text.includes(n));
/** Keeps group 1 (a scheme, a name and separator), replaces the rest of the match. */
const keepFirst = (kind: string) => (m: RegExpExecArray) => ({ text: `${m[1] ?? ''}${redactionMarker(kind)}` });
/** Random tokens mix letters and digits; words and slugs (`sk-learn-compatible-wrapper`) do not. */
const mixesLettersAndDigits = (s: string) => /[0-9]/.test(s) && /[A-Za-z]/.test(s);

/**
 * An HTTP credential after `Bearer`/`Basic`: at least 8 characters and shaped like one (a digit, base64 padding or
 * symbols, or an upper-case letter after the first), so prose such as "basic information" is left alone.
 */
const looksLikeCredential = (s: string) => s.length >= 8 && (/[0-9=+/_~.]/.test(s) || /^.+[A-Z]/.test(s));

/** An unquoted value in `name=value` text: up to whitespace, a quote, a separator or a bracket. */
const BARE_VALUE = /[^\s"'`&,;{}[\]<>()]*/y;
const AUTH_SCHEME = /(?:bearer|basic|token|digest|negotiate)[ \t]+/iy;

/** The value after `name=` / `name: ` at `pos`: quoted (to the closing quote on the same line) or a bare run. */
function readValue(text: string, pos: number): { open: string; scheme: string; value: string; close: string; end: number } {
  const q = text[pos];
  if (q === '"' || q === "'") {
    let i = pos + 1;
    while (i < text.length && text[i] !== q && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
    const closed = i < text.length && text[i] === q;
    const end = Math.min(i, text.length);
    return { open: q, scheme: '', value: text.slice(pos + 1, end), close: closed ? q : '', end: closed ? end + 1 : end };
  }
  AUTH_SCHEME.lastIndex = pos;
  const scheme = AUTH_SCHEME.exec(text)?.[0] ?? '';
  BARE_VALUE.lastIndex = pos + scheme.length;
  const value = BARE_VALUE.exec(text)?.[0] ?? '';
  return { open: '', scheme, value, close: '', end: pos + scheme.length + value.length };
}

/**
 * `name=value`, `name: value`, `"name": "value"` in free text (logs, error messages, query strings, env dumps, JSON or
 * YAML held in a string) where the name is a secret key by the redactor's key rules.
 */
const keyAssignment: SecretPattern = {
  kind: 'key',
  regex: /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(["']?)[ \t]*[:=][ \t]*/g,
  hint: has(':', '='),
  replace: (m, text, ctx) => {
    if (!ctx.isSecretKey(m[1]!)) return null;
    const v = readValue(text, m.index + m[0].length);
    if (v.value.length === 0 || v.value.startsWith('[REDACTED') || PLACEHOLDER.test(v.value)) return null;
    return { text: `${m[0]}${v.open}${v.scheme}${redactionMarker('key')}${v.close}`, end: v.end };
  },
};

/** The built-in value patterns, in the order they run. */
export const DEFAULT_PATTERNS: readonly SecretPattern[] = [
  {
    // PEM private keys (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP … BLOCK). A block cut short (no END line) is redacted
    // to the end of its base64 body.
    kind: 'private_key',
    regex: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?!-----END)[A-Za-z0-9+/=\s:,\\-])*(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?/g,
    hint: has('PRIVATE KEY'),
  },
  {
    // NATS .creds files: the user JWT block and the NKEY seed block.
    kind: 'nats_creds',
    regex:
      /-{5,}BEGIN (?:NATS (?:USER|ACCOUNT|OPERATOR) JWT|(?:USER|ACCOUNT|OPERATOR|SERVER|CLUSTER|CURVE) NKEY SEED)-{5,}(?:(?!-{5})[A-Za-z0-9+/=\s._\\-])*(?:-{5,}END [A-Z ]+?-{5,})?/g,
    hint: has('-----BEGIN'),
  },
  {
    // scheme://user:pass@host → scheme://[REDACTED:url_credentials]@host (postgres://, https://, nats://, redis://…).
    kind: 'url_credentials',
    regex: /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/)[^\s/?#:"'<>[]{0,128}:[^\s/?#"'<>]{0,256}@/g,
    hint: has('://'),
    replace: (m) => ({ text: `${m[1]}${redactionMarker('url_credentials')}@` }),
  },
  { kind: 'anthropic_key', regex: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}/g, hint: has('sk-ant-') },
  {
    kind: 'openai_key',
    regex: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_-]{20,})/g,
    hint: has('sk-'),
    replace: (m) => (mixesLettersAndDigits(m[1]!) ? { text: redactionMarker('openai_key') } : null),
  },
  { kind: 'huggingface_token', regex: /(?<![A-Za-z0-9_-])hf_[A-Za-z0-9]{30,}/g, hint: has('hf_') },
  {
    kind: 'github_token',
    regex: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{30,})/g,
    hint: has('gh', 'github_pat_'),
  },
  { kind: 'gitlab_token', regex: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/g, hint: has('glpat-') },
  { kind: 'slack_token', regex: /(?<![A-Za-z0-9_-])xox[abprs]-[A-Za-z0-9-]{10,}/g, hint: has('xox') },
  { kind: 'stripe_key', regex: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g, hint: has('_live_', '_test_') },
  { kind: 'google_api_key', regex: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}/g, hint: has('AIza') },
  { kind: 'aws_access_key_id', regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, hint: has('AKIA', 'ASIA') },
  { kind: 'nats_nkey_seed', regex: /(?<![A-Za-z0-9])S[UAONCX][A-Z2-7]{56}(?![A-Za-z0-9])/g, hint: (t) => t.length >= 58 },
  { kind: 'jwt', regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, hint: has('eyJ') },
  {
    // `aws_secret_access_key = …` (env files, ~/.aws/credentials, logs): the 40-character secret after the name.
    kind: 'aws_secret_key',
    regex: /(?<![A-Za-z0-9_])((?:aws_?)?secret_?access_?key|aws_?secret_?key)(["']?[ \t]*[:=][ \t]*["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    hint: (t) => t.length >= 50 && /secret/i.test(t),
    replace: (m) => ({ text: `${m[1]}${m[2]}${redactionMarker('aws_secret_key')}` }),
  },
  keyAssignment,
  {
    kind: 'bearer_token',
    regex: /(?<![A-Za-z0-9_-])(bearer[ \t]+)([A-Za-z0-9._~+/-]+=*)/gi,
    hint: (t) => t.length >= 15 && /bearer/i.test(t),
    replace: (m) => (looksLikeCredential(m[2]!) ? keepFirst('bearer_token')(m) : null),
  },
  {
    kind: 'basic_auth',
    regex: /(?<![A-Za-z0-9_-])(basic[ \t]+)([A-Za-z0-9+/]+=*)/gi,
    hint: (t) => t.length >= 14 && /basic/i.test(t),
    replace: (m) => (looksLikeCredential(m[2]!) ? keepFirst('basic_auth')(m) : null),
  },
];

/** A pattern made ready to run: its regex copied with the `g` flag (scanText relies on both). */
export function compilePattern(p: SecretPattern): SecretPattern {
  const flags = p.regex.flags.includes('g') ? p.regex.flags : `${p.regex.flags}g`;
  return { ...p, regex: new RegExp(p.regex.source, flags) };
}

/**
 * Runs the patterns over `text` in order. Returns the text with every match replaced and one kind per replacement
 * (in pattern order, then position). Each pattern is one linear pass; a string no pattern hints at is not copied.
 */
export function scanText(text: string, patterns: readonly SecretPattern[], ctx: PatternContext): { text: string; kinds: string[] } {
  let out = text;
  const kinds: string[] = [];
  for (const p of patterns) {
    if (p.hint && !p.hint(out)) continue;
    const re = p.regex;
    re.lastIndex = 0;
    let parts: string[] | undefined;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(out)) !== null) {
      const start = m.index;
      const matchEnd = start + m[0].length;
      const r = p.replace ? p.replace(m, out, ctx) : { text: redactionMarker(p.kind) };
      if (r === null) {
        re.lastIndex = matchEnd > start ? matchEnd : start + 1;
        continue;
      }
      const end = Math.max(r.end ?? matchEnd, start);
      (parts ??= []).push(out.slice(last, start), r.text);
      kinds.push(p.kind);
      last = end;
      re.lastIndex = end > start ? end : start + 1;
    }
    if (parts) {
      parts.push(out.slice(last));
      out = parts.join('');
    }
  }
  return { text: out, kinds };
}
