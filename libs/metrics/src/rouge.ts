import { countItems, f1Of, mean, overlapCount, safeDivide, totalCount } from './common.js';

/** ROUGE variants: n-gram overlap for n = 1…9 (`rouge1`, `rouge2`, …) and longest common subsequence (`rougeL`). */
export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL';

/** One ROUGE score (rouge-score's `Score`), in [0, 1]. */
export interface RougeScore {
  readonly precision: number;
  readonly recall: number;
  readonly fmeasure: number;
}

/** The variants reported by default: ROUGE-1, ROUGE-2 and ROUGE-L. */
export const DEFAULT_ROUGE_TYPES: readonly RougeType[] = ['rouge1', 'rouge2', 'rougeL'];

/**
 * rouge-score's default tokenizer without stemming: lowercase, every run of characters other than ASCII letters and
 * digits becomes a separator. Non-ASCII letters are therefore dropped ("café" → "caf").
 */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

function score(matches: number, predicted: number, target: number): RougeScore {
  const precision = safeDivide(matches, predicted);
  const recall = safeDivide(matches, target);
  return { precision, recall, fmeasure: f1Of(precision, recall) };
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const keys: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) keys.push(tokens.slice(i, i + n).join(' '));
  return countItems(keys);
}

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) row[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, row[j - 1]!);
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * ROUGE of one prediction against one target, as Google's rouge-score `RougeScorer(types).score(target, prediction)`
 * with `use_stemmer=False`: clipped n-gram overlap for rougeN, LCS for rougeL.
 */
export function rougePair(target: string, prediction: string, types: readonly RougeType[] = DEFAULT_ROUGE_TYPES): Record<RougeType, RougeScore> {
  const t = rougeTokens(target);
  const p = rougeTokens(prediction);
  const out: Partial<Record<RougeType, RougeScore>> = {};
  for (const type of types) {
    if (type === 'rougeL') {
      out[type] = t.length === 0 || p.length === 0 ? score(0, 1, 1) : score(lcsLength(t, p), p.length, t.length);
    } else {
      const n = Number(type.slice(5));
      const tg = ngrams(t, n);
      const pg = ngrams(p, n);
      out[type] = score(overlapCount(tg, pg), Math.max(totalCount(pg), 1), Math.max(totalCount(tg), 1));
    }
  }
  return out as Record<RougeType, RougeScore>;
}

/**
 * Against several targets, per type the score with the highest F-measure (the first on ties), as rouge-score's
 * `score_multi`.
 */
export function rougeMulti(targets: readonly string[], prediction: string, types: readonly RougeType[] = DEFAULT_ROUGE_TYPES): Record<RougeType, RougeScore> {
  if (targets.length === 0) throw new RangeError('at least one target is needed');
  const each = targets.map((t) => rougePair(t, prediction, types));
  const out: Partial<Record<RougeType, RougeScore>> = {};
  for (const type of types) {
    out[type] = each.map((e) => e[type]).reduce((best, s) => (s.fmeasure > best.fmeasure ? s : best));
  }
  return out as Record<RougeType, RougeScore>;
}

/**
 * Mean ROUGE over rows (each row's best target, see `rougeMulti`). This is the plain mean; Hugging Face `evaluate`
 * reports the median of bootstrap means instead, which differs slightly and is not deterministic.
 */
export function rougeScores(
  predictions: readonly string[],
  references: readonly (readonly string[])[],
  types: readonly RougeType[] = DEFAULT_ROUGE_TYPES,
): Record<RougeType, RougeScore> {
  if (predictions.length !== references.length) throw new RangeError('one list of references per prediction');
  const rows = predictions.map((p, i) => rougeMulti(references[i]!, p, types));
  const out: Partial<Record<RougeType, RougeScore>> = {};
  for (const type of types) {
    const scores = rows.map((r) => r[type]);
    out[type] = {
      precision: mean(scores.map((s) => s.precision)),
      recall: mean(scores.map((s) => s.recall)),
      fmeasure: mean(scores.map((s) => s.fmeasure)),
    };
  }
  return out as Record<RougeType, RougeScore>;
}
