import { describe, expect, it } from '@jest/globals';
import { rougeMulti, rougePair, rougeScores, rougeTokens, type RougeScore, type RougeType } from '../src/index.js';
import { fixture, PLACES } from './fixtures.js';

type Scores = Record<'rouge1' | 'rouge2' | 'rougeL', RougeScore>;
const ref = fixture<{
  pairs: { target: string; prediction: string; expected: Scores }[];
  multi: { targets: string[]; prediction: string; expected: Scores }[];
  rouge155: { target: string; prediction: string; expected: Record<string, [number, number, number]> }[];
}>('rouge.json');

const TYPES = ['rouge1', 'rouge2', 'rougeL'] as const;

function expectScores(actual: Record<RougeType, RougeScore>, expected: Scores, places = PLACES): void {
  for (const t of TYPES) {
    expect(actual[t].precision).toBeCloseTo(expected[t].precision, places);
    expect(actual[t].recall).toBeCloseTo(expected[t].recall, places);
    expect(actual[t].fmeasure).toBeCloseTo(expected[t].fmeasure, places);
  }
}

describe('ROUGE matches rouge-score', () => {
  it.each(ref.pairs.map((p) => [p.target, p.prediction, p] as const))('%j ← %j', (_, __, p) => {
    expectScores(rougePair(p.target, p.prediction), p.expected);
  });

  it.each(ref.multi.map((m) => [m.prediction, m] as const))('multi-reference %j', (_, m) => {
    expectScores(rougeMulti(m.targets, m.prediction), m.expected);
  });

  it("matches ROUGE-1.5.5 on rouge-score's published test data (5 places)", () => {
    for (const r of ref.rouge155) {
      const actual = rougePair(r.target, r.prediction);
      for (const t of TYPES) {
        const [precision, recall, fmeasure] = r.expected[t]!;
        expect(actual[t].precision).toBeCloseTo(precision, 5);
        expect(actual[t].recall).toBeCloseTo(recall, 5);
        expect(actual[t].fmeasure).toBeCloseTo(fmeasure, 5);
      }
    }
  });
});

describe('ROUGE details', () => {
  it('tokenises like rouge-score: lowercase ASCII letters and digits only', () => {
    expect(rougeTokens("It's Café-crème 3.14!")).toEqual(['it', 's', 'caf', 'cr', 'me', '3', '14']);
  });

  it('averages rows with the best reference each', () => {
    const s = rougeScores(['testing one', 'a b'], [['testing one two'], ['x', 'a b']], ['rouge1']);
    expect(s.rouge1.precision).toBe(1);
    expect(s.rouge1.recall).toBeCloseTo((2 / 3 + 1) / 2, PLACES);
    expect(Object.keys(s)).toEqual(['rouge1']);
  });

  it('supports higher n and needs references', () => {
    expect(rougePair('a b c d', 'a b c d', ['rouge4']).rouge4.fmeasure).toBe(1);
    expect(() => rougeMulti([], 'x')).toThrow(RangeError);
    expect(() => rougeScores(['x'], [])).toThrow(RangeError);
  });
});
