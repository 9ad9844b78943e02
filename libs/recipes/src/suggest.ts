/** "Did you mean …?" for unknown keys and enum values. */

/** Levenshtein distance (insert, delete, substitute; each costs 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** Case, '-' / '_' / ' ' and camelCase differences do not count: `learningRate` and `Learning-Rate` match `learning_rate`. */
const squash = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[-\s_]+/g, '');

/**
 * The closest candidate to `word`, or undefined when none is close: a squashed match, or an edit distance of at most
 * 1 for short words and about a third of the word's length for longer ones.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = squash(word);
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = squash(c) === w ? 0 : editDistance(w, squash(c));
    if (best === undefined || d < best.d) best = { c, d };
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.min(w.length, squash(best.c).length) / 3));
  return best.d <= limit ? best.c : undefined;
}
