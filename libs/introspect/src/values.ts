/**
 * Value-level helpers shared by the signature and the shape rules: what one cell holds, independent of its column.
 * Pure functions over `unknown` (cells come from CSV, JSON Lines, Parquet or a hub dataset, so nothing is trusted).
 */

/** What a single cell holds, before the column-level decision (see `signatureOf`). */
export type ValueKind =
  | 'null'
  | 'boolean'
  | 'number'
  | 'string'
  | 'string_array'
  | 'empty_array'
  | 'message_array'
  | 'entity_array'
  | 'object_array'
  | 'number_array'
  | 'mixed_array'
  | 'object';

export type PlainObject = Readonly<Record<string, unknown>>;

export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false)$/i;

/** A numeric string as CSV readers hand it over ("0", "1", "3.5", "-2e3"). Thousands separators are not numbers. */
export function isNumericString(s: string): boolean {
  return NUMERIC.test(s.trim());
}

export function isBooleanString(s: string): boolean {
  return BOOLEAN.test(s.trim());
}

/**
 * Decodes a JSON-encoded array or object cell (lists stored in CSV cells). Returns `undefined` when the string is not
 * one. Python reprs (`['a', 'b']`) are not JSON and are left as text on purpose: guessing quotes corrupts text.
 */
export function decodeJsonCell(s: string): unknown[] | PlainObject | undefined {
  const t = s.trim();
  if (t.length < 2) return undefined;
  const open = t[0];
  const close = t[t.length - 1];
  if (!((open === '[' && close === ']') || (open === '{' && close === '}'))) return undefined;
  try {
    const parsed: unknown = JSON.parse(t);
    return Array.isArray(parsed) || isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The cell as the rules see it: whitespace-only strings are null, JSON-encoded arrays / objects are decoded. */
export interface NormalizedValue {
  readonly value: unknown;
  readonly jsonDecoded: boolean;
}

export function normalizeValue(v: unknown): NormalizedValue {
  if (typeof v === 'string') {
    if (v.trim() === '') return { value: null, jsonDecoded: false };
    const decoded = decodeJsonCell(v);
    if (decoded !== undefined) return { value: decoded, jsonDecoded: true };
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return { value: null, jsonDecoded: false };
  return { value: v === undefined ? null : v, jsonDecoded: false };
}

const ROLE_KEYS = ['role', 'from', 'speaker', 'author'] as const;
const CONTENT_KEYS = ['content', 'value', 'text', 'message'] as const;
const START_KEYS = ['start', 'begin', 'start_offset', 'char_start', 'start_char', 'startOffset'] as const;
const END_KEYS = ['end', 'stop', 'end_offset', 'char_end', 'end_char', 'endOffset'] as const;
const LABEL_KEYS = ['label', 'type', 'entity', 'entity_type', 'tag', 'category', 'entity_group'] as const;

function hasAny(o: PlainObject, keys: readonly string[]): boolean {
  return keys.some((k) => k in o);
}

/** A chat turn: `{role, content}` (or the ShareGPT spelling `{from, value}`). */
export function isMessageLike(v: unknown): boolean {
  return isPlainObject(v) && hasAny(v, ROLE_KEYS) && hasAny(v, CONTENT_KEYS);
}

/** An entity annotation: `{start, end, label}` or one of the usual spellings. */
export function isEntityLike(v: unknown): boolean {
  return isPlainObject(v) && hasAny(v, START_KEYS) && hasAny(v, END_KEYS) && hasAny(v, LABEL_KEYS);
}

/** The role of a message-like object, if it is a string. */
export function messageRole(v: unknown): string | undefined {
  if (!isPlainObject(v)) return undefined;
  for (const k of ROLE_KEYS) if (typeof v[k] === 'string') return v[k];
  return undefined;
}

/** Kind of one (already normalized) cell. */
export function valueKindOf(v: unknown): ValueKind {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') {
    if (isBooleanString(v)) return 'boolean';
    if (isNumericString(v)) return 'number';
    return 'string';
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return 'empty_array';
    if (v.every((x) => typeof x === 'string')) return 'string_array';
    if (v.every((x) => typeof x === 'number')) return 'number_array';
    if (v.every((x) => isPlainObject(x))) {
      if (v.filter(isMessageLike).length >= 0.9 * v.length) return 'message_array';
      if (v.filter(isEntityLike).length >= 0.9 * v.length) return 'entity_array';
      return 'object_array';
    }
    return 'mixed_array';
  }
  if (isPlainObject(v)) return 'object';
  return 'mixed_array';
}

/** BIO / IOB2 / IOBES / BILOU tags: `O`, or a `B-`, `I-`, `E-`, `S-`, `L-`, `U-` prefix (dash or underscore) and a type. */
export const BIO_TAG = /^(?:O|[BIESLU][-_]\S+)$/;

export function words(s: string): number {
  const t = s.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

const WH_START =
  /^(?:what|when|where|who|whom|whose|which|why|how|is|are|was|were|do|does|did|can|could|should|would|will|has|have|had|name|list|in what|in which|on what|at what|according to)\b/i;
const WH_ANY = /\b(?:what|when|where|who|whom|whose|which|why|how)\b/i;

/**
 * How much a string reads like a question: 1 for a trailing `?` or a leading question word (NQ-Open questions are
 * lower-case search queries without `?`), 0.6 for a question word elsewhere ("… is about who"), else 0.
 */
export function questionScore(s: string): number {
  const t = s.trim();
  if (t.endsWith('?') || WH_START.test(t)) return 1;
  if (WH_ANY.test(t) && words(t) <= 30) return 0.6;
  return 0;
}

/** Code-like label values: `card_arrival`, `ham`, `B-PER`, `POSITIVE`, `4`. */
export function isCodeLike(s: string): boolean {
  const t = s.trim();
  return /^[a-z0-9]+(?:[_\-./:][a-z0-9]+)*$/.test(t) || /^[A-Z0-9]+(?:[_\-./:][A-Z0-9]+)*$/.test(t);
}

/**
 * Identifier-looking strings: no whitespace, at least one digit, at least 6 characters (`56ddde6b9a69…`,
 * `X00016469669.jpg`, `ea201f57-…:24e0…`).
 */
export function isIdLike(s: string): boolean {
  const t = s.trim();
  return t.length >= 6 && !/\s/.test(t) && /\d/.test(t) && /^[\w.:\-/#]+$/.test(t);
}

/**
 * The answer strings a cell carries, whatever its spelling: a string, a list of strings, SQuAD's
 * `[{text, answer_start}]`, or the Hugging Face `{text: [...], answer_start: [...]}`.
 */
export function answerTexts(v: unknown): string[] {
  if (typeof v === 'string') return v.trim() === '' ? [] : [v];
  if (typeof v === 'number') return [String(v)];
  if (Array.isArray(v)) return v.flatMap((x) => answerTexts(x));
  if (isPlainObject(v)) {
    const t = v['text'] ?? v['answer'] ?? v['value'];
    return t === undefined ? [] : answerTexts(t);
  }
  return [];
}

/** A stable text key for counting distinct values of any JSON-like cell. */
export function canonicalKey(v: unknown): string {
  if (typeof v === 'string') return `s:${v.trim()}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `s:${String(v)}`;
  try {
    return `j:${JSON.stringify(v)}`;
  } catch {
    return `x:${String(v)}`;
  }
}

/** A short, JSON-safe preview of a cell for examples (strings cut at 120 characters, lists at 8 items). */
export function preview(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > 120 ? `${v.slice(0, 117)}...` : v;
  if (Array.isArray(v)) {
    const head = v.slice(0, 8).map((x) => preview(x, depth + 1));
    return v.length > 8 ? [...head, `… ${v.length - 8} more`] : head;
  }
  if (isPlainObject(v)) {
    if (depth >= 2) return '{…}';
    const entries = Object.entries(v).slice(0, 12);
    return Object.fromEntries(entries.map(([k, x]) => [k, preview(x, depth + 1)]));
  }
  return v;
}
