import { describe, expect, it } from '@jest/globals';
import {
  bleuFromStats,
  bleuSegmentStats,
  bootstrapCi,
  corpusBleu,
  pairedBootstrap,
  percentile,
  qaScores,
  splitMix64,
  sumBleuStats,
  uniformIndex,
  xoshiro128ss,
} from '../src/index.js';
import { fixture } from './fixtures.js';

const numeric = fixture<{ percentiles: { values: number[]; q: number; expected: number }[] }>('numeric.json');

const meanOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A fixed, skewed sample without any PRNG of ours: quadratic residues scaled to [0, 1). */
const SAMPLE = Array.from({ length: 400 }, (_, i) => ((i * i) % 401) / 401);

describe('seeded PRNG', () => {
  it('SplitMix64 gives the published first outputs for seed 0', () => {
    const next = splitMix64(0n);
    expect(next().toString(16)).toBe('e220a8397b1dcdaf');
    expect(next().toString(16)).toBe('6e789e6aa1b965f4');
  });

  it('xoshiro128** matches the C reference (fixtures/xoshiro-vectors.c)', () => {
    const take = (seed: number) => {
      const next = xoshiro128ss(seed);
      return Array.from({ length: 6 }, () => next());
    };
    expect(take(0)).toEqual([3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774]);
    expect(take(42)).toEqual([1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]);
    expect(take(Number.MAX_SAFE_INTEGER)).toEqual([1233166643, 1287031142, 661813442, 2960669951, 2601079046, 1036114921]);
    expect(() => xoshiro128ss(-1)).toThrow(RangeError);
    expect(() => xoshiro128ss(1.5)).toThrow(RangeError);
  });

  it('draws indices uniformly (every bin within 3 % of its expectation over 200k draws)', () => {
    const next = xoshiro128ss(7);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 200_000; i++) bins[uniformIndex(next, 10)]!++;
    for (const b of bins) expect(Math.abs(b - 20_000)).toBeLessThan(600);
  });
});

describe('percentile', () => {
  it.each(numeric.percentiles.map((p) => [p.q, p.values.length, p] as const))('q=%d over %d values matches numpy', (_, __, p) => {
    expect(percentile(p.values, p.q)).toBeCloseTo(p.expected, 12);
  });

  it('rejects no values and q outside [0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('bootstrapCi', () => {
  it('is deterministic for a seed and changes with it', () => {
    const a = bootstrapCi(SAMPLE, meanOf, { resamples: 200, seed: 1 });
    const b = bootstrapCi(SAMPLE, meanOf, { resamples: 200, seed: 1 });
    const c = bootstrapCi(SAMPLE, meanOf, { resamples: 200, seed: 2 });
    expect(a).toEqual(b);
    expect(c.low).not.toBe(a.low);
  });

  it('agrees with the normal-theory interval of a mean (n = 400, within 10 % of the half-width)', () => {
    const m = meanOf(SAMPLE);
    const sd = Math.sqrt(SAMPLE.reduce((s, x) => s + (x - m) ** 2, 0) / (SAMPLE.length - 1));
    const half = (1.959964 * sd) / Math.sqrt(SAMPLE.length);
    const ci = bootstrapCi(SAMPLE, meanOf, { resamples: 4000, confidence: 0.95, seed: 3 });
    expect(ci.estimate).toBe(m);
    expect(Math.abs(ci.low! - (m - half))).toBeLessThan(0.1 * half);
    expect(Math.abs(ci.high! - (m + half))).toBeLessThan(0.1 * half);
  });

  it('narrows with a lower confidence level', () => {
    const wide = bootstrapCi(SAMPLE, meanOf, { resamples: 500, confidence: 0.99, seed: 4 });
    const narrow = bootstrapCi(SAMPLE, meanOf, { resamples: 500, confidence: 0.8, seed: 4 });
    expect(narrow.high! - narrow.low!).toBeLessThan(wide.high! - wide.low!);
    expect(narrow.low!).toBeGreaterThan(wide.low!);
  });

  it('has zero width on constant data', () => {
    const ci = bootstrapCi([0.5, 0.5, 0.5], meanOf, { resamples: 50 });
    expect([ci.low, ci.high]).toEqual([0.5, 0.5]);
  });

  it('leaves out resamples whose statistic is not finite, and says how many', () => {
    // a rate over the "b" rows only: undefined when a resample holds none of them
    const rows = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'b'];
    const rate = (rs: readonly string[]) => rs.filter((r) => r === 'b').length / rs.filter((r) => r === 'b').length;
    const ci = bootstrapCi(rows, rate, { resamples: 300, seed: 5 });
    // P(no 'b' in 8 draws) = (7/8)^8 ≈ 0.344
    expect(ci.invalid_resamples).toBeGreaterThan(60);
    expect(ci.invalid_resamples).toBeLessThan(150);
    expect([ci.low, ci.high]).toEqual([1, 1]);
    const none = bootstrapCi(['a'], () => Number.NaN, { resamples: 10 });
    expect([none.low, none.high, none.invalid_resamples]).toEqual([null, null, 10]);
  });

  it('works over metric rows, including corpus BLEU via segment statistics', () => {
    const rows = [
      { prediction: 'Paris', answers: ['Paris'] },
      { prediction: 'Lyon', answers: ['Paris'] },
      { prediction: 'in Paris', answers: ['Paris'] },
      { prediction: 'Paris', answers: ['Paris'] },
    ];
    const qa = bootstrapCi(rows, (rs) => qaScores(rs).f1, { resamples: 300, seed: 6 });
    expect(qa.estimate).toBeCloseTo((1 + 0 + 2 / 3 + 1) / 4, 12);
    expect(qa.low!).toBeLessThan(qa.estimate);
    expect(qa.high!).toBeGreaterThan(qa.estimate);
    expect(qa.high!).toBeLessThanOrEqual(1);

    const hyps = ['the cat sat on the mat', 'a dog ran', 'hello world again', 'it is raining today'];
    const refs = [['the cat sat on a mat'], ['the dog ran'], ['hello world'], ['it rains today']];
    const stats = hyps.map((h, i) => bleuSegmentStats(h, refs[i]!));
    const bleu = bootstrapCi(stats, (rs) => bleuFromStats(sumBleuStats(rs)).score, { resamples: 200, seed: 7 });
    expect(bleu.estimate).toBeCloseTo(corpusBleu(hyps, refs).score, 10);
    expect(bleu.low!).toBeLessThanOrEqual(bleu.estimate);
  });

  it('validates its options and rows', () => {
    expect(() => bootstrapCi([], meanOf)).toThrow(RangeError);
    expect(() => bootstrapCi([1], meanOf, { resamples: 0 })).toThrow(RangeError);
    expect(() => bootstrapCi([1], meanOf, { confidence: 1 })).toThrow(RangeError);
  });

  it('returns plain JSON', () => {
    const ci = bootstrapCi(SAMPLE, meanOf, { resamples: 20 });
    expect(JSON.parse(JSON.stringify(ci))).toEqual(ci);
    expect(ci).toMatchObject({ confidence: 0.95, resamples: 20, seed: 0, invalid_resamples: 0 });
  });
});

describe('pairedBootstrap', () => {
  it('a constant per-row lift has a zero-width interval at the lift (row difficulty cancels)', () => {
    const candidate = SAMPLE.map((x) => x + 0.125);
    const lift = pairedBootstrap(SAMPLE, candidate, meanOf, { resamples: 300, seed: 8 });
    expect(lift.difference).toBeCloseTo(0.125, 12);
    expect(lift.low!).toBeCloseTo(0.125, 12);
    expect(lift.high!).toBeCloseTo(0.125, 12);
    expect(lift.share_not_better).toBe(0);
    // the same lift judged from two independent intervals would look far less certain
    const base = bootstrapCi(SAMPLE, meanOf, { resamples: 300, seed: 8 });
    expect(base.high! - base.low!).toBeGreaterThan(0.02);
  });

  it('a lift that is mostly noise has an interval around 0 and a large share not better', () => {
    const candidate = SAMPLE.map((x, i) => (i % 2 === 0 ? x + 0.01 : x - 0.01));
    const lift = pairedBootstrap(SAMPLE, candidate, meanOf, { resamples: 400, seed: 9 });
    expect(lift.difference).toBeCloseTo(0, 12);
    expect(lift.low!).toBeLessThan(0);
    expect(lift.high!).toBeGreaterThan(0);
    expect(lift.share_not_better!).toBeGreaterThan(0.3);
    expect(lift.share_not_better!).toBeLessThan(0.7);
  });

  it('reports both sides, is deterministic, and needs the same rows', () => {
    const candidate = SAMPLE.map((x) => Math.min(1, x * 1.1));
    const a = pairedBootstrap(SAMPLE, candidate, meanOf, { resamples: 100, seed: 10 });
    expect(a).toEqual(pairedBootstrap(SAMPLE, candidate, meanOf, { resamples: 100, seed: 10 }));
    expect(a.base).toBe(meanOf(SAMPLE));
    expect(a.candidate).toBe(meanOf(candidate));
    expect(a.low!).toBeGreaterThan(0);
    expect(() => pairedBootstrap([1, 2], [1], meanOf)).toThrow(RangeError);
  });
});
