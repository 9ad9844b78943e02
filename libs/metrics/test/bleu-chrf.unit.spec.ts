import { describe, expect, it } from '@jest/globals';
import {
  bleuFromStats,
  bleuSegmentStats,
  corpusBleu,
  corpusChrf,
  lengthRatio,
  sentenceBleu,
  sentenceChrf,
  sumBleuStats,
  tokenize13a,
  type BleuOptions,
  type ChrfOptions,
} from '../src/index.js';
import { fixture } from './fixtures.js';

interface Bleu {
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sys_len: number;
  ref_len: number;
}
interface Corpus {
  name: string;
  hypotheses: string[];
  references: string[][];
  bleu: Record<string, Bleu>;
  chrf: Record<string, number>;
}
interface Sentence {
  hypothesis: string;
  references: string[];
  bleu: Bleu;
  bleu_no_effective_order: Bleu;
  chrf: number;
  chrf_pp: number;
}
const ref = fixture<{ tokenizer_13a: { line: string; tokens: string }[]; corpora: Corpus[]; sentences: Sentence[] }>('sacrebleu.json');

/** sacreBLEU keyword arguments of each fixture variant. */
const BLEU_VARIANTS: Record<string, BleuOptions> = {
  default: {},
  none: { smooth_method: 'none' },
  floor: { smooth_method: 'floor' },
  'add-k': { smooth_method: 'add-k' },
  lowercase: { lowercase: true },
  'tokenize-none': { tokenize: 'none' },
  'effective-order': { effective_order: true },
};
const CHRF_VARIANTS: Record<string, ChrfOptions> = {
  default: {},
  'chrf++': { word_order: 2 },
  lowercase: { lowercase: true },
  whitespace: { whitespace: true },
  eps: { eps_smoothing: true },
};

/** BLEU is on sacreBLEU's 0–100 scale; 10 decimals there are 12 on a 0–1 scale. */
const PLACES_100 = 10;

function expectBleu(actual: ReturnType<typeof corpusBleu>, expected: Bleu, withCounts = true): void {
  expect(actual.score).toBeCloseTo(expected.score, PLACES_100);
  expect(actual.bp).toBeCloseTo(expected.bp, 12);
  expect(actual.sys_len).toBe(expected.sys_len);
  expect(actual.ref_len).toBe(expected.ref_len);
  actual.precisions.forEach((p, i) => expect(p).toBeCloseTo(expected.precisions[i]!, PLACES_100));
  if (withCounts) {
    expect(actual.counts).toEqual(expected.counts);
    expect(actual.totals).toEqual(expected.totals);
  }
}

describe('13a tokenizer matches sacreBLEU', () => {
  it.each(ref.tokenizer_13a.map((t) => [t.line, t.tokens] as const))('%j', (line, tokens) => {
    expect(tokenize13a(line)).toBe(tokens);
  });
});

describe('corpus BLEU matches sacreBLEU', () => {
  it('reproduces the sacreBLEU README example (BLEU = 48.53)', () => {
    const readme = ref.corpora.find((c) => c.name === 'readme')!;
    const score = corpusBleu(readme.hypotheses, readme.references);
    expect(score.score.toFixed(2)).toBe('48.53');
    expect(score.precisions.map((p) => p.toFixed(1))).toEqual(['82.4', '50.0', '45.5', '37.5']);
    expect(score.bp.toFixed(3)).toBe('0.943');
    expect(score.ratio.toFixed(3)).toBe('0.944');
  });

  const cases = ref.corpora.flatMap((c) => Object.entries(c.bleu).map(([variant, expected]) => [c.name, variant, c, expected] as const));
  it.each(cases)('%s, %s', (_, variant, corpus, expected) => {
    // add-k smoothing adds k to sacreBLEU's counts in place; ours reports the raw counts
    expectBleu(corpusBleu(corpus.hypotheses, corpus.references, BLEU_VARIANTS[variant]!), expected, variant !== 'add-k');
  });

  it('length ratio is sys_len / ref_len', () => {
    const c = ref.corpora.find((x) => x.name === 'short-hyp-brevity')!;
    const expected = c.bleu['default']!;
    expect(lengthRatio(c.hypotheses, c.references)).toBeCloseTo(expected.sys_len / expected.ref_len, 12);
  });

  it('summed segment statistics give the corpus score (what a bootstrap resamples)', () => {
    const c = ref.corpora.find((x) => x.name === 'punctuation-and-unicode')!;
    const stats = c.hypotheses.map((h, i) => bleuSegmentStats(h, c.references[i]!));
    expect(bleuFromStats(sumBleuStats(stats)).score).toBeCloseTo(c.bleu['default']!.score, PLACES_100);
  });
});

describe('sentence BLEU matches sacreBLEU sentence_bleu', () => {
  it.each(ref.sentences.map((s) => [s.hypothesis, s] as const))('%j', (_, s) => {
    expectBleu(sentenceBleu(s.hypothesis, s.references), s.bleu);
    expectBleu(sentenceBleu(s.hypothesis, s.references, { effective_order: false }), s.bleu_no_effective_order);
  });
});

describe('chrF matches sacreBLEU', () => {
  const cases = ref.corpora.flatMap((c) => Object.entries(c.chrf).map(([variant, expected]) => [c.name, variant, c, expected] as const));
  it.each(cases)('corpus %s, %s', (_, variant, corpus, expected) => {
    expect(corpusChrf(corpus.hypotheses, corpus.references, CHRF_VARIANTS[variant]!)).toBeCloseTo(expected, PLACES_100);
  });

  it.each(ref.sentences.map((s) => [s.hypothesis, s] as const))('sentence %j', (_, s) => {
    expect(sentenceChrf(s.hypothesis, s.references)).toBeCloseTo(s.chrf, PLACES_100);
    expect(sentenceChrf(s.hypothesis, s.references, { word_order: 2 })).toBeCloseTo(s.chrf_pp, PLACES_100);
  });
});

describe('input checks', () => {
  it('needs one reference list per hypothesis and at least one reference', () => {
    expect(() => corpusBleu(['a'], [])).toThrow(RangeError);
    expect(() => sentenceBleu('a', [])).toThrow(RangeError);
    expect(() => corpusChrf(['a', 'b'], [['a']])).toThrow(RangeError);
  });
});
