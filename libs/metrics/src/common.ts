/** Precision, recall and F1 of one class or one aggregate; all in [0, 1]. */
export interface PrecisionRecallF1 {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * Python's `str.split()` whitespace (what `str.isspace()` accepts), which the reference implementations split on.
 * It differs from JavaScript's `\s`: it includes U+001C–U+001F and U+0085, and excludes U+FEFF.
 */
const PY_WHITESPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_WHITESPACE_RUN = new RegExp(`${PY_WHITESPACE}+`, 'u');
const PY_TRAILING_WHITESPACE = new RegExp(`${PY_WHITESPACE}+$`, 'u');
const PY_LEADING_WHITESPACE = new RegExp(`^${PY_WHITESPACE}+`, 'u');

/** Python's `text.split()`: split on runs of whitespace, no empty tokens. */
export function splitWhitespace(text: string): string[] {
  return text.split(PY_WHITESPACE_RUN).filter((t) => t.length > 0);
}

/** Python's `text.rstrip()`. */
export function rstripWhitespace(text: string): string {
  return text.replace(PY_TRAILING_WHITESPACE, '');
}

/** Python's `text.strip()`. */
export function stripWhitespace(text: string): string {
  return rstripWhitespace(text).replace(PY_LEADING_WHITESPACE, '');
}

/** A quotient whose zero denominator gives 0 (scikit-learn's `zero_division=0`). */
export function safeDivide(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Harmonic mean of precision and recall, 0 when both are 0. */
export function f1Of(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/** Precision, recall and F1 from match counts (zero division gives 0). */
export function prf(matched: number, predicted: number, gold: number): PrecisionRecallF1 {
  const precision = safeDivide(matched, predicted);
  const recall = safeDivide(matched, gold);
  return { precision, recall, f1: f1Of(precision, recall) };
}

/** Arithmetic mean; 0 for an empty list. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return safeDivide(sum, values.length);
}

/** Multiset of strings: item → count. */
export function countItems(items: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** Size of the multiset intersection: Σ min(count in a, count in b). */
export function overlapCount(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let common = 0;
  for (const [item, n] of a) {
    const m = b.get(item);
    if (m !== undefined) common += Math.min(n, m);
  }
  return common;
}

/** Total count of a multiset. */
export function totalCount(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

/** Code points of a string (Python's `str` indexing unit), so astral characters count as one. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}
