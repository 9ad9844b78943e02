import { rstripWhitespace, splitWhitespace } from './common.js';
import { tokenize13a } from './tokenize-13a.js';

/** sacreBLEU's smoothing methods (Chen & Cherry 2014): none, floor (method 1), add-k (method 2), exp (method 3, NIST). */
export type BleuSmoothing = 'none' | 'floor' | 'add-k' | 'exp';

/** sacreBLEU's BLEU options; the defaults are sacreBLEU's. */
export interface BleuOptions {
  /** Default `'exp'`, sacreBLEU's default for both corpus and sentence BLEU. */
  readonly smooth_method?: BleuSmoothing;
  /** The value for `floor` (default 0.1) and `add-k` (default 1). */
  readonly smooth_value?: number;
  readonly lowercase?: boolean;
  /** `'13a'` (default) or `'none'` (split on whitespace only). */
  readonly tokenize?: '13a' | 'none';
  readonly max_ngram_order?: number;
  /** Leave out n-gram orders above the longest one the hypotheses have (sacreBLEU's `effective_order`). */
  readonly effective_order?: boolean;
}

/** BLEU and its parts, on sacreBLEU's 0–100 scale (precisions too). */
export interface BleuScore {
  readonly score: number;
  /** Clipped n-gram matches per order (before any add-k smoothing). */
  readonly counts: readonly number[];
  /** Hypothesis n-grams per order. */
  readonly totals: readonly number[];
  readonly precisions: readonly number[];
  /** Brevity penalty. */
  readonly bp: number;
  /** Hypothesis tokens. */
  readonly sys_len: number;
  /** Reference tokens (per segment, the reference length closest to the hypothesis; the shorter on ties). */
  readonly ref_len: number;
  /** sys_len / ref_len (0 without reference tokens): the length ratio. */
  readonly ratio: number;
}

/**
 * Sufficient statistics of one segment: `[sys_len, ref_len, counts…, totals…]`. They add up over segments, so a
 * bootstrap can resample rows of statistics instead of re-tokenising text.
 */
export type BleuStats = readonly number[];

const SMOOTH_DEFAULTS: Readonly<Record<BleuSmoothing, number>> = { none: 0, floor: 0.1, 'add-k': 1, exp: 0 };

function preprocess(text: string, options: BleuOptions): string[] {
  const cased = options.lowercase ? text.toLowerCase() : text;
  const trimmed = rstripWhitespace(cased);
  return splitWhitespace(options.tokenize === 'none' ? trimmed : tokenize13a(trimmed));
}

/** n-gram counts per order (index n − 1); an n-gram's key is its tokens as JSON, which no other n-gram shares. */
function ngramCounts(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const orders: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = JSON.stringify(tokens.slice(i, i + n));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    orders.push(counts);
  }
  return orders;
}

function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let best = -1;
  let bestDiff = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && len < best)) {
      bestDiff = diff;
      best = len;
    }
  }
  return best;
}

/**
 * The statistics of one hypothesis against its references: n-gram matches are clipped by the maximum count of that
 * n-gram in any one reference.
 */
export function bleuSegmentStats(hypothesis: string, references: readonly string[], options: BleuOptions = {}): BleuStats {
  if (references.length === 0) throw new RangeError('at least one reference is needed');
  const maxOrder = options.max_ngram_order ?? 4;
  const refNgrams = Array.from({ length: maxOrder }, () => new Map<string, number>());
  const refLens: number[] = [];
  for (const ref of references) {
    const tokens = preprocess(ref, options);
    refLens.push(tokens.length);
    ngramCounts(tokens, maxOrder).forEach((order, n) => {
      const merged = refNgrams[n]!;
      for (const [g, c] of order) merged.set(g, Math.max(merged.get(g) ?? 0, c));
    });
  }
  const hyp = preprocess(hypothesis, options);
  const counts = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  ngramCounts(hyp, maxOrder).forEach((order, n) => {
    for (const [g, c] of order) {
      totals[n]! += c;
      counts[n]! += Math.min(c, refNgrams[n]!.get(g) ?? 0);
    }
  });
  return [hyp.length, closestRefLength(hyp.length, refLens), ...counts, ...totals];
}

const floorLog = (x: number): number => (x === 0 ? -9999999999 : Math.log(x));

/** BLEU from summed statistics, with sacreBLEU's smoothing and effective-order rules. */
export function bleuFromStats(stats: BleuStats, options: BleuOptions = {}): BleuScore {
  const maxOrder = options.max_ngram_order ?? 4;
  const method = options.smooth_method ?? 'exp';
  const value = options.smooth_value ?? SMOOTH_DEFAULTS[method];
  const sysLen = stats[0] ?? 0;
  const refLen = stats[1] ?? 0;
  const counts = stats.slice(2, 2 + maxOrder);
  const totals = stats.slice(2 + maxOrder, 2 + 2 * maxOrder);
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({ score, counts, totals, precisions, bp, sys_len: sysLen, ref_len: refLen, ratio: refLen ? sysLen / refLen : 0 });
  if (!counts.some((c) => c > 0)) return result(0);

  let smoothExp = 1;
  let effectiveOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    const k = method === 'add-k' && n > 1 ? value : 0;
    const correct = counts[n - 1]! + k;
    const total = totals[n - 1]! + k;
    if (total === 0) break;
    if (options.effective_order) effectiveOrder = n;
    if (correct === 0) {
      if (method === 'exp') {
        smoothExp *= 2;
        precisions[n - 1] = 100 / (smoothExp * total);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * value) / total;
      }
    } else {
      precisions[n - 1] = (100 * correct) / total;
    }
  }
  const logSum = precisions.slice(0, effectiveOrder).reduce((sum, p) => sum + floorLog(p), 0);
  return result(bp * Math.exp(logSum / effectiveOrder));
}

function sumStats(rows: readonly BleuStats[], width: number): number[] {
  const sum = new Array<number>(width).fill(0);
  for (const row of rows) for (let i = 0; i < width; i++) sum[i]! += row[i] ?? 0;
  return sum;
}

/**
 * Corpus BLEU, sacreBLEU-compatible (`BLEU().corpus_score`): 13a tokens, 4-grams, brevity penalty on the summed
 * closest reference lengths, 'exp' smoothing by default. `references[i]` lists the references of hypothesis `i` (any
 * number per row). The signature this reproduces: `nrefs:N|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`.
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly (readonly string[])[], options: BleuOptions = {}): BleuScore {
  if (hypotheses.length !== references.length) throw new RangeError('one list of references per hypothesis');
  const maxOrder = options.max_ngram_order ?? 4;
  const stats = hypotheses.map((h, i) => bleuSegmentStats(h, references[i]!, options));
  return bleuFromStats(sumStats(stats, 2 + 2 * maxOrder), options);
}

/** Sentence BLEU as sacreBLEU's `sentence_bleu`: 'exp' smoothing and `effective_order` on unless overridden. */
export function sentenceBleu(hypothesis: string, references: readonly string[], options: BleuOptions = {}): BleuScore {
  const opts = { effective_order: true, ...options };
  return bleuFromStats(bleuSegmentStats(hypothesis, references, opts), opts);
}

/** Adds segment statistics (for a bootstrap sample of rows). */
export function sumBleuStats(rows: readonly BleuStats[], options: Pick<BleuOptions, 'max_ngram_order'> = {}): BleuStats {
  return sumStats(rows, 2 + 2 * (options.max_ngram_order ?? 4));
}

/** Hypothesis length over reference length in 13a tokens (sacreBLEU's `ratio`; closest reference per row). */
export function lengthRatio(hypotheses: readonly string[], references: readonly (readonly string[])[], options: BleuOptions = {}): number {
  return corpusBleu(hypotheses, references, options).ratio;
}
