import { keyPrefixLength } from './secrets.js';
import { REDACTION_TAGS, type PiiFinding, type PiiKind } from './types.js';

/**
 * What to do with PII, per project (and optionally per kind):
 * - `redact`: replace with the kind's tag (`[EMAIL]`, `[PHONE]`, …);
 * - `mask`: keep the shape, hide the identifying part (`j***@e***.com`, `**** **** **** 1111`);
 * - `keep`: leave it (tasks whose signal is the PII, e.g. extracting contact fields);
 * - `block`: leave the record as is and mark it blocked — the caller fails the job with `cleaning_pii_block`.
 */
export type PiiAction = 'redact' | 'mask' | 'keep' | 'block';
export const PII_ACTIONS: readonly PiiAction[] = ['redact', 'mask', 'keep', 'block'];

export interface PiiPolicy {
  /** The default action. */
  readonly action: PiiAction;
  /** Overrides per kind, e.g. `{ email: 'keep', secret: 'block' }`. */
  readonly per_kind?: Partial<Record<PiiKind, PiiAction>>;
  /** Kinds to detect (default: all). */
  readonly kinds?: readonly PiiKind[];
  /** Findings below this confidence are ignored (default 0.5). */
  readonly min_confidence?: number;
}

export const DEFAULT_PII_POLICY: PiiPolicy = { action: 'redact' };

export function actionFor(policy: PiiPolicy, kind: PiiKind): PiiAction {
  return policy.per_kind?.[kind] ?? policy.action;
}

/** Replace `[start, end)` of the original with `replacement`. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly replacement: string;
}

/** Applies non-overlapping edits (any order) to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += text.slice(at, e.start) + e.replacement;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * Maps offsets of the original text to offsets of the edited text. Offsets before an edit stay; offsets after it
 * shift by its length change; an offset strictly inside an edited range snaps outward — a start to the start of the
 * replacement, an end to its end — so a span that overlaps a replaced range covers the whole replacement. Inside a
 * replacement of the same length (most masks) offsets keep their position instead.
 */
export class OffsetMap {
  private readonly edits: readonly TextEdit[];

  constructor(edits: readonly TextEdit[]) {
    this.edits = [...edits].sort((a, b) => a.start - b.start);
  }

  get changed(): boolean {
    return this.edits.length > 0;
  }

  map(pos: number, side: 'start' | 'end'): number {
    let delta = 0;
    for (const e of this.edits) {
      if (pos <= e.start) return pos + delta;
      if (pos >= e.end) {
        delta += e.replacement.length - (e.end - e.start);
        continue;
      }
      if (e.replacement.length === e.end - e.start) return pos + delta; // same-length mask: positions survive
      return side === 'start' ? e.start + delta : e.start + delta + e.replacement.length;
    }
    return pos + delta;
  }
}

/**
 * Replaces maskable characters with `*`, keeping the first `keepFirst` and the last `keepLast` of them; all other
 * characters (separators, punctuation, whitespace) stay, so the shape survives.
 */
function maskChars(s: string, maskable: RegExp, keepFirst: number, keepLast: number): string {
  const chars = [...s];
  const idx = chars.map((c, i) => (maskable.test(c) ? i : -1)).filter((i) => i >= 0);
  const hide = new Set(idx.slice(keepFirst, Math.max(keepFirst, idx.length - keepLast)));
  return chars.map((c, i) => (hide.has(i) ? '*' : c)).join('');
}

const ALNUM = /[A-Za-z0-9]/;
const DIGIT = /\d/;

/** The `mask` rendering of one finding. Deterministic: the same PII always masks the same way. */
export function maskFinding(f: Pick<PiiFinding, 'kind' | 'text' | 'validator'>): string {
  const s = f.text;
  switch (f.kind) {
    case 'email': {
      const at = s.lastIndexOf('@');
      const domain = s.slice(at + 1);
      return `${s.charAt(0)}***@${domain.charAt(0)}***.${domain.slice(domain.lastIndexOf('.') + 1)}`;
    }
    case 'phone':
      return maskChars(s, DIGIT, 0, 2);
    case 'credit_card':
    case 'us_ssn':
      return maskChars(s, DIGIT, 0, 4);
    case 'uk_nhs_number':
    case 'fr_nir':
      return maskChars(s, ALNUM, 0, 2);
    case 'iban':
      return maskChars(s, ALNUM, 2, 4);
    case 'ip_address': {
      const sep = s.includes(':') ? ':' : '.';
      const first = s.indexOf(sep);
      return s.slice(0, first) + s.slice(first).replace(/[0-9A-Fa-f]+/g, '*');
    }
    case 'api_key': {
      const keep = keyPrefixLength(s);
      return s.slice(0, keep) + s.slice(keep).replace(/[A-Za-z0-9]/g, '*');
    }
    case 'jwt':
      return `eyJ${s.slice(3).replace(/[A-Za-z0-9_-]/g, '*')}`;
    case 'private_key': {
      const lines = s.split('\n');
      return lines.map((l) => (l.startsWith('-----') ? l : l.replace(/[^\s]/g, '*'))).join('\n');
    }
    case 'secret':
      return s.replace(/[^\s]/g, '*');
  }
}

/** What one finding becomes under an action; undefined when the text stays (keep, block). */
export function replacementFor(f: Pick<PiiFinding, 'kind' | 'text' | 'validator'>, action: PiiAction): string | undefined {
  if (action === 'redact') return REDACTION_TAGS[f.kind];
  if (action === 'mask') return maskFinding(f);
  return undefined;
}

export interface RewriteResult {
  readonly text: string;
  readonly edits: readonly TextEdit[];
  readonly map: OffsetMap;
  /** Findings whose action is `block`. */
  readonly blocked: readonly PiiFinding[];
}

/** Rewrites one string under a policy, given its findings (non-overlapping, e.g. from detectPii). */
export function rewriteText(text: string, findings: readonly PiiFinding[], policy: PiiPolicy): RewriteResult {
  const edits: TextEdit[] = [];
  const blocked: PiiFinding[] = [];
  for (const f of findings) {
    const action = actionFor(policy, f.kind);
    if (action === 'block') blocked.push(f);
    const replacement = replacementFor(f, action);
    if (replacement !== undefined) edits.push({ start: f.start, end: f.end, replacement });
  }
  return { text: applyEdits(text, edits), edits, map: new OffsetMap(edits), blocked };
}
