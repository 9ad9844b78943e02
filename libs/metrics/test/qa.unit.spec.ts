import { describe, expect, it } from '@jest/globals';
import { exactMatch, normalizeAnswer, qaRowScores, qaScores, tokenF1, type QaRow } from '../src/index.js';
import { fixture, PLACES } from './fixtures.js';

const qa = fixture<{
  rows: QaRow[];
  normalized: string[];
  expected: { compute_score: { exact_match: number; f1: number }; per_row: { exact_match: number; f1: number }[] };
}>('qa.json');

describe('SQuAD v1.1 metrics match the official evaluation script', () => {
  it('normalises answers like normalize_answer', () => {
    expect(qa.rows.map((r) => normalizeAnswer(r.prediction))).toEqual(qa.normalized);
  });

  it.each(qa.rows.map((r, i) => [i, r.prediction, r] as const))('row %i (%j)', (i, _, row) => {
    const e = qa.expected.per_row[i]!;
    expect(qaRowScores(row).exact_match).toBe(e.exact_match);
    expect(qaRowScores(row).f1).toBeCloseTo(e.f1, PLACES);
  });

  it('aggregates like compute_score (which reports ×100)', () => {
    const scores = qaScores(qa.rows);
    expect(scores.n).toBe(qa.rows.length);
    expect(scores.exact_match * 100).toBeCloseTo(qa.expected.compute_score.exact_match, 10);
    expect(scores.f1 * 100).toBeCloseTo(qa.expected.compute_score.f1, 10);
  });
});

describe('SQuAD normalisation details', () => {
  it('removes articles only as whole words, with Unicode word characters', () => {
    expect(normalizeAnswer('théâtre the')).toBe('théâtre');
    expect(normalizeAnswer('éthe a1 the_')).toBe('éthe a1');
    expect(normalizeAnswer('Athens, THE anthem')).toBe('athens anthem');
  });

  it('lowercases a word-final capital sigma to final sigma, as Python 3 does', () => {
    expect(normalizeAnswer('ΟΔΟΣ')).toBe('οδος');
  });

  it('takes the best gold answer and needs at least one', () => {
    expect(exactMatch('Paris', ['London', 'paris.'])).toBe(1);
    expect(tokenF1('in Paris', ['Paris', 'in London'])).toBeCloseTo(2 / 3, PLACES);
    expect(() => tokenF1('x', [])).toThrow(RangeError);
  });
});
