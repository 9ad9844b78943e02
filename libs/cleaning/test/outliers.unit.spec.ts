import { describe, expect, it } from '@jest/globals';
import { detectOutliers, lengthFences, LengthProfiler, mulberry32, QuantileSketch, scoreQuality } from '../src/index.js';
import { ALICE, BANKING77, SMS } from './fixtures.js';

describe('QuantileSketch', () => {
  it('answers quantiles within its relative accuracy', () => {
    const s = new QuantileSketch(0.01);
    for (let x = 1; x <= 10_000; x++) s.add(x);
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.99]) {
      const exact = Math.floor(q * 9999) + 1;
      expect(Math.abs(s.quantile(q) + 1 - (exact + 1)) / (exact + 1)).toBeLessThanOrEqual(0.01);
    }
    expect(s.quantile(0)).toBe(1);
    expect(s.quantile(1)).toBe(10_000);
    expect(s.toJSON().buckets.length).toBeLessThan(500);
  });

  it('merges shards and round-trips through JSON', () => {
    const rnd = mulberry32(3);
    const whole = new QuantileSketch();
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    for (let i = 0; i < 2000; i++) {
      const x = Math.floor(rnd() * 500);
      whole.add(x);
      (i % 2 ? a : b).add(x);
    }
    a.merge(b);
    expect(a.toJSON()).toEqual(whole.toJSON());
    expect(QuantileSketch.fromJSON(JSON.parse(JSON.stringify(whole.toJSON()))).quantile(0.5)).toBe(whole.quantile(0.5));
    expect(new QuantileSketch().quantile(0.5)).toBeNaN();
    expect(() => whole.add(-1)).toThrow(RangeError);
  });
});

describe('length fences', () => {
  it('are log-scale IQR fences from dataset stats, absolute bounds otherwise', () => {
    const f = lengthFences({ count: 1000, q1: 50, median: 80, q3: 140 });
    expect(f.source).toBe('stats');
    expect(f.low).toBeGreaterThanOrEqual(1);
    expect(f.low).toBeLessThan(5);
    expect(f.high).toBeGreaterThan(2000);
    expect(f.high).toBeLessThan(5000);
    expect(lengthFences({ count: 10, q1: 50, median: 80, q3: 140 })).toEqual({ low: 1, high: Infinity, source: 'absolute' });
    expect(lengthFences(undefined, { length: { min_units: 3, max_units: 9000 } })).toEqual({ low: 3, high: 9000, source: 'absolute' });
  });

  it('a dataset of equal lengths does not make every other length an outlier (IQR floor)', () => {
    const f = lengthFences({ count: 100, q1: 40, median: 40, q3: 40 });
    expect(f.high).toBeGreaterThan(80);
    expect(f.low).toBeLessThan(20);
  });

  it('LengthProfiler streams records into stats (real BANKING77 intents)', () => {
    const p = new LengthProfiler();
    for (let i = 0; i < 5; i++) for (const [text, label] of BANKING77) p.addRecord('classification', { text, label });
    const stats = p.stats();
    expect(stats.count).toBe(30);
    expect(stats.q1).toBeLessThanOrEqual(stats.median);
    expect(stats.median).toBeLessThanOrEqual(stats.q3);
    expect(stats.median).toBeGreaterThan(18);
    expect(stats.median).toBeLessThan(60);
  });
});

describe('detectOutliers', () => {
  const fences = lengthFences({ count: 1000, q1: 50, median: 80, q3: 140 });

  it('clean prose breaks no rule', () => {
    expect(detectOutliers(scoreQuality(ALICE), fences)).toEqual([]);
  });

  it('length: far above the fence', () => {
    const long = ALICE.repeat(60);
    const kinds = detectOutliers(scoreQuality(long), fences).map((o) => [o.kind, o.metric, o.side]);
    expect(kinds).toContainEqual(['length', 'length_units', 'high']);
  });

  it('repetition: duplicated n-grams and a run of one character', () => {
    const spam = Array.from({ length: 20 }, () => 'WIN CASH NOW txt WIN to 87121').join(' ');
    expect(detectOutliers(scoreQuality(spam), fences).map((o) => o.metric)).toContain('dup_ngram_share');
    expect(detectOutliers(scoreQuality(`Noooo${'o'.repeat(40)} way`), fences).map((o) => o.metric)).toEqual(['max_char_run']);
  });

  it('encoding: replacement characters (real SMS row) and mojibake', () => {
    expect(detectOutliers(scoreQuality(SMS.legacyBytes), fences).map((o) => [o.kind, o.metric])).toContainEqual(['encoding', 'garbage_share']);
    const moji = detectOutliers(scoreQuality('Weâ€™re sorry, the cafÃ© is closed.'), fences);
    expect(moji.map((o) => [o.kind, o.metric])).toContainEqual(['encoding', 'mojibake_markers']);
  });

  it('thresholds are configurable', () => {
    const q = scoreQuality(SMS.legacyBytes);
    expect(detectOutliers(q, fences, { encoding: { max_garbage_share: 0.5 }, low_quality: { min_score: 0 } })).toEqual([]);
  });
});
