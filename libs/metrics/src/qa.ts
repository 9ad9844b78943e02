import { countItems, f1Of, mean, overlapCount, splitWhitespace } from './common.js';

/** Python's `string.punctuation` (ASCII only), which the SQuAD script strips. */
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** `\b(a|an|the)\b` with Python 3's Unicode word characters (JavaScript's `\b` is ASCII-only). */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/**
 * SQuAD v1.1 answer normalisation, in the official script's order: lowercase, remove ASCII punctuation, replace the
 * articles a / an / the by a space, collapse whitespace. `"The  Denver Broncos!"` → `"denver broncos"`.
 */
export function normalizeAnswer(text: string): string {
  return splitWhitespace(text.toLowerCase().replace(ASCII_PUNCTUATION, '').replace(ARTICLES, ' ')).join(' ');
}

/** Tokens of the normalised answer. */
export function answerTokens(text: string): string[] {
  return splitWhitespace(normalizeAnswer(text));
}

function bestOver(answers: readonly string[], score: (gold: string) => number): number {
  if (answers.length === 0) throw new RangeError('at least one gold answer is needed');
  return Math.max(...answers.map(score));
}

/** 1 when the normalised prediction equals a normalised gold answer, else 0 (two empty strings are equal). */
export function exactMatch(prediction: string, answers: readonly string[]): number {
  const p = normalizeAnswer(prediction);
  return bestOver(answers, (gold) => (normalizeAnswer(gold) === p ? 1 : 0));
}

/**
 * Token F1 of the normalised bags of words, the best over the gold answers. As in the v1.1 script, no shared token
 * gives 0, also when both sides normalise to nothing.
 */
export function tokenF1(prediction: string, answers: readonly string[]): number {
  const predicted = answerTokens(prediction);
  const predictedCounts = countItems(predicted);
  return bestOver(answers, (gold) => {
    const goldTokens = answerTokens(gold);
    const same = overlapCount(predictedCounts, countItems(goldTokens));
    if (same === 0) return 0;
    return f1Of(same / predicted.length, same / goldTokens.length);
  });
}

/** One extractive-QA row: the model's answer and every acceptable gold answer. */
export interface QaRow {
  readonly prediction: string;
  readonly answers: readonly string[];
}

/** SQuAD metrics over rows. */
export interface QaScores {
  readonly n: number;
  /** Mean of per-row exact match, in [0, 1] (the official script reports ×100). */
  readonly exact_match: number;
  /** Mean of per-row token F1, in [0, 1]. */
  readonly f1: number;
}

/** Per-row SQuAD scores. */
export function qaRowScores(row: QaRow): { readonly exact_match: number; readonly f1: number } {
  return { exact_match: exactMatch(row.prediction, row.answers), f1: tokenF1(row.prediction, row.answers) };
}

/** SQuAD v1.1 exact match and token F1 over rows (each row weighs the same). */
export function qaScores(rows: readonly QaRow[]): QaScores {
  const scores = rows.map(qaRowScores);
  return { n: rows.length, exact_match: mean(scores.map((s) => s.exact_match)), f1: mean(scores.map((s) => s.f1)) };
}
