import type { TaskProfile } from '@distillery/contracts';

/**
 * Which parts of a record are free text, per task profile (the record shapes of @distillery/mappers). Patterns use a
 * small notation: `a.b` keys, `[*]` every array element, `*` every key of an object. Only string values are text.
 *
 * Labels, token lists, span objects, offsets and booleans are never text: PII rewriting keeps them consistent
 * instead (see pii/record.ts).
 */
export const TEXT_FIELD_PATTERNS: Readonly<Record<TaskProfile, readonly string[]>> = {
  classification: ['text'],
  qa: ['question', 'answer', 'aliases[*]'],
  // span_set: {text, tokens, spans}; field_match: {text, fields}. Token lists are rebuilt from text, not scanned.
  structured_extraction: ['text', 'fields.*'],
  rag_qa: ['question', 'context', 'answer', 'aliases[*]'],
  dpo: ['prompt', 'chosen', 'rejected'],
  chat_sft: ['messages[*].content'],
  language_modeling: ['text'],
  // No fixed mapper shape yet: every top-level string except identifiers, labels and media references.
  seq2seq: ['*'],
  vision_language: ['*'],
  audio_transcript: ['*'],
  safety: ['*'],
};

/** Top-level keys never treated as text by the `*` fallback. */
const NON_TEXT_KEY = /^(?:label|labels|id|.*_id|image|audio|video|path|.*_path|url|uri|file|file_name|mime_type|media_type|language|lang|split)$/i;

/** One step of a concrete path: an object key or an array index. */
export type PathStep = string | number;

export interface TextField {
  /** Display form: `text`, `messages[2].content`, `fields.total`. Used as `field` in findings. */
  readonly path: string;
  readonly steps: readonly PathStep[];
  readonly value: string;
}

export function formatPath(steps: readonly PathStep[]): string {
  let out = '';
  for (const s of steps) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

function parsePattern(pattern: string): PathStep[] {
  const steps: PathStep[] = [];
  for (const part of pattern.split('.')) {
    const m = /^([^[\]]*)((?:\[\*\])*)$/.exec(part);
    if (!m) throw new Error(`bad text-field pattern '${pattern}'`);
    if (m[1]) steps.push(m[1]);
    for (let i = 0; i < (m[2] ?? '').length / 3; i++) steps.push(-1); // -1 = every array element
  }
  return steps;
}

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(value: unknown, pattern: readonly PathStep[], at: number, steps: PathStep[], topLevel: boolean, out: TextField[]): void {
  if (at === pattern.length) {
    if (typeof value === 'string') out.push({ path: formatPath(steps), steps: [...steps], value });
    return;
  }
  const step = pattern[at];
  if (step === -1) {
    if (!Array.isArray(value)) return;
    value.forEach((v, i) => walk(v, pattern, at + 1, [...steps, i], false, out));
  } else if (step === '*') {
    if (!isRecord(value)) return;
    for (const key of Object.keys(value).sort()) {
      if (topLevel && NON_TEXT_KEY.test(key)) continue;
      walk(value[key], pattern, at + 1, [...steps, key], false, out);
    }
  } else if (typeof step === 'string') {
    if (!isRecord(value) || !Object.prototype.hasOwnProperty.call(value, step)) return;
    walk(value[step], pattern, at + 1, [...steps, step], false, out);
  }
}

/** The text fields of a record, in pattern order (then key / index order). Duplicated paths are listed once. */
export function textFields(record: Readonly<Record<string, unknown>>, patterns: readonly string[]): TextField[] {
  const out: TextField[] = [];
  for (const p of patterns) walk(record, parsePattern(p), 0, [], true, out);
  const seen = new Set<string>();
  return out.filter((f) => (seen.has(f.path) ? false : (seen.add(f.path), true)));
}

/** The patterns for a profile, with an optional per-profile override. */
export function textFieldPatterns(profile: TaskProfile, overrides?: Partial<Record<TaskProfile, readonly string[]>>): readonly string[] {
  return overrides?.[profile] ?? TEXT_FIELD_PATTERNS[profile];
}

/**
 * What makes two records the same example (exact / near dedup, train–eval leakage): the text fields, except where
 * a field is shared material rather than the example itself. RAG rows share their context passage (SQuAD has ~5
 * questions per paragraph): comparing contexts would call every question on a passage a duplicate of the first.
 */
export const DEDUP_FIELD_PATTERNS: Readonly<Record<TaskProfile, readonly string[]>> = {
  ...TEXT_FIELD_PATTERNS,
  rag_qa: ['question', 'answer'],
};

/** The dedup patterns of a profile: the override for the profile when given, else DEDUP_FIELD_PATTERNS. */
export function dedupFieldPatterns(profile: TaskProfile, overrides?: Partial<Record<TaskProfile, readonly string[]>>): readonly string[] {
  return overrides?.[profile] ?? DEDUP_FIELD_PATTERNS[profile];
}

/**
 * The text a record is judged by (quality, dedup, outliers): its text fields joined by newlines. QA aliases are left
 * out (they restate the answer).
 */
export function recordText(record: Readonly<Record<string, unknown>>, patterns: readonly string[]): string {
  return textFields(record, patterns)
    .filter((f) => f.steps[0] !== 'aliases')
    .map((f) => f.value)
    .join('\n');
}

/** A copy of `value` with the string at `steps` replaced (copy-on-write: untouched branches are shared). */
export function setAtPath(value: unknown, steps: readonly PathStep[], replacement: unknown, at = 0): unknown {
  if (at === steps.length) return replacement;
  const step = steps[at];
  if (typeof step === 'number' && Array.isArray(value)) {
    const copy = [...value];
    copy[step] = setAtPath(value[step], steps, replacement, at + 1);
    return copy;
  }
  if (typeof step === 'string' && isRecord(value)) {
    return { ...value, [step]: setAtPath(value[step], steps, replacement, at + 1) };
  }
  return value;
}
