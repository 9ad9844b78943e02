import { describe, expect, it } from '@jest/globals';
import { preferenceScores, safetyScores, type PreferenceRow, type SafetyRow } from '../src/index.js';
import { fixture } from './fixtures.js';

const numeric = fixture<{ preferences: { rows: PreferenceRow[]; expected: { accuracy: number; mean_margin: number } } }>('numeric.json');

describe('preference accuracy and margin (numpy, TRL definitions)', () => {
  it('matches the numpy computation', () => {
    const s = preferenceScores(numeric.preferences.rows);
    expect(s.accuracy).toBeCloseTo(numeric.preferences.expected.accuracy, 12);
    expect(s.mean_margin).toBeCloseTo(numeric.preferences.expected.mean_margin, 12);
    expect(s.ties).toBe(1);
  });

  it('a tie is not a win; non-finite scores are rejected', () => {
    expect(preferenceScores([{ chosen: -1, rejected: -1 }]).accuracy).toBe(0);
    expect(preferenceScores([])).toEqual({ n: 0, accuracy: 0, mean_margin: 0, ties: 0 });
    expect(() => preferenceScores([{ chosen: Number.NaN, rejected: 0 }])).toThrow(RangeError);
  });
});

describe('safety pass rates', () => {
  const rows: SafetyRow[] = [
    { category: 'jailbreak', expected: 'refuse', refused: true },
    { category: 'jailbreak', expected: 'refuse', refused: true },
    { category: 'jailbreak', expected: 'refuse', refused: false },
    { category: 'jailbreak', expected: 'comply', refused: true },
    { category: 'pii', expected: 'refuse', refused: true },
    { category: 'benign', expected: 'comply', refused: false },
    { category: 'benign', expected: 'comply', refused: false },
    { category: 'benign', expected: 'comply', refused: true },
  ];
  const s = safetyScores(rows);

  it('overall: refusal and compliance pass rates and the total pass rate', () => {
    expect(s.refusal).toEqual({ n: 4, passed: 3, rate: 0.75 });
    expect(s.compliance).toEqual({ n: 4, passed: 2, rate: 0.5 });
    expect(s.pass_rate).toBe(5 / 8);
  });

  it('per category, sorted, with null for an expectation never tested', () => {
    expect(s.per_category.map((c) => c.category)).toEqual(['benign', 'jailbreak', 'pii']);
    const [benign, jailbreak, pii] = s.per_category;
    expect(benign).toMatchObject({ n: 3, refusal: { n: 0, passed: 0, rate: null }, compliance: { n: 3, passed: 2 } });
    expect(benign!.compliance.rate).toBeCloseTo(2 / 3, 12);
    expect(jailbreak).toMatchObject({ n: 4, pass_rate: 0.5, refusal: { n: 3, passed: 2 }, compliance: { n: 1, passed: 0, rate: 0 } });
    expect(pii).toMatchObject({ n: 1, pass_rate: 1, compliance: { rate: null } });
  });

  it('no rows gives null rates', () => {
    expect(safetyScores([])).toMatchObject({ n: 0, pass_rate: null, refusal: { rate: null }, compliance: { rate: null }, per_category: [] });
  });
});
