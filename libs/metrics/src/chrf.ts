import { codePoints, splitWhitespace } from './common.js';

/** sacreBLEU's chrF options; the defaults give chrF2. */
export interface ChrfOptions {
  /** Character n-gram order, default 6. */
  readonly char_order?: number;
  /** Word n-gram order, default 0 (chrF); 2 gives chrF++. */
  readonly word_order?: number;
  /** Recall weight, default 2 (chrF2). */
  readonly beta?: number;
  readonly lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default: whitespace is removed first). */
  readonly whitespace?: boolean;
  /** Average per-order F-scores with ε for empty orders (sacreBLEU's `eps_smoothing`, chrF++.py style). */
  readonly eps_smoothing?: boolean;
}

/** Per order `[hypothesis n-grams, reference n-grams, matches]`, character orders first, flattened. */
export type ChrfStats = readonly number[];

/** Python's `string.punctuation`, which chrF++ splits off the ends of words. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

function ngrams(units: readonly string[], n: number, joiner: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const key = units.slice(i, i + n).join(joiner);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Words for chrF++: one punctuation mark at a word's end (else its start) becomes a word of its own. */
function wordsOf(text: string): string[] {
  const out: string[] = [];
  for (const w of splitWhitespace(text)) {
    const chars = codePoints(w);
    if (chars.length === 1) out.push(w);
    else if (PUNCTUATION.has(chars.at(-1)!)) out.push(chars.slice(0, -1).join(''), chars.at(-1)!);
    else if (PUNCTUATION.has(chars[0]!)) out.push(chars[0]!, chars.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

function allNgrams(text: string, o: Required<ChrfOptions>): Map<string, number>[] {
  const line = o.lowercase ? text.toLowerCase() : text;
  const chars = codePoints(o.whitespace ? line : splitWhitespace(line).join(''));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= o.char_order; n++) out.push(ngrams(chars, n, ''));
  if (o.word_order > 0) {
    const words = wordsOf(line);
    // words never contain a space, so joining with one keeps word n-grams unambiguous
    for (let n = 1; n <= o.word_order; n++) out.push(ngrams(words, n, ' '));
  }
  return out;
}

function resolve(options: ChrfOptions): Required<ChrfOptions> {
  return {
    char_order: options.char_order ?? 6,
    word_order: options.word_order ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    eps_smoothing: options.eps_smoothing ?? false,
  };
}

/** chrF (0–100) from statistics, sacreBLEU's `_compute_f_score`. */
export function chrfFromStats(stats: ChrfStats, options: ChrfOptions = {}): number {
  const o = resolve(options);
  const eps = 1e-16;
  const factor = o.beta ** 2;
  const orders = o.char_order + o.word_order;
  let score = 0;
  let effective = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < orders; i++) {
    const hyp = stats[3 * i] ?? 0;
    const ref = stats[3 * i + 1] ?? 0;
    const match = stats[3 * i + 2] ?? 0;
    const prec = hyp > 0 ? match / hyp : eps;
    const rec = ref > 0 ? match / ref : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (hyp > 0 && ref > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective++;
    }
  }
  if (o.eps_smoothing) return (100 * score) / orders;
  if (effective === 0) return 0;
  avgPrec /= effective;
  avgRec /= effective;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * (1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec);
}

/**
 * The statistics of one hypothesis: against each reference, per order, hypothesis n-grams (0 when the reference has
 * none of that order), reference n-grams and clipped matches; the reference with the best chrF wins (the first on ties).
 */
export function chrfSegmentStats(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfStats {
  if (references.length === 0) throw new RangeError('at least one reference is needed');
  const o = resolve(options);
  const hyp = allNgrams(hypothesis, o);
  let best: number[] = [];
  let bestScore = -1;
  for (const reference of references) {
    const ref = allNgrams(reference, o);
    const stats: number[] = [];
    hyp.forEach((h, i) => {
      const r = ref[i]!;
      let hypCount = 0;
      let match = 0;
      for (const [g, c] of h) {
        hypCount += c;
        match += Math.min(c, r.get(g) ?? 0);
      }
      let refCount = 0;
      for (const c of r.values()) refCount += c;
      stats.push(r.size > 0 ? hypCount : 0, refCount, match);
    });
    const score = chrfFromStats(stats, o);
    if (score > bestScore) {
      bestScore = score;
      best = stats;
    }
  }
  return best;
}

/** Adds segment statistics (for a bootstrap sample of rows). */
export function sumChrfStats(rows: readonly ChrfStats[]): ChrfStats {
  const width = rows[0]?.length ?? 0;
  const sum = new Array<number>(width).fill(0);
  for (const row of rows) for (let i = 0; i < width; i++) sum[i]! += row[i] ?? 0;
  return sum;
}

/**
 * Corpus chrF as sacreBLEU's `CHRF().corpus_score` (default chrF2: character 6-grams, no word n-grams, β = 2,
 * whitespace removed; signature `nc:6|nw:0|space:no`), statistics summed over segments. 0–100 scale.
 */
export function corpusChrf(hypotheses: readonly string[], references: readonly (readonly string[])[], options: ChrfOptions = {}): number {
  if (hypotheses.length !== references.length) throw new RangeError('one list of references per hypothesis');
  const stats = hypotheses.map((h, i) => chrfSegmentStats(h, references[i]!, options));
  return chrfFromStats(sumChrfStats(stats), options);
}

/** Sentence chrF as sacreBLEU's `sentence_chrf`. */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): number {
  return chrfFromStats(chrfSegmentStats(hypothesis, references, options), options);
}
