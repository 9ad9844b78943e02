import { describe, expect, it } from '@jest/globals';
import { alignmentCounts, characterErrorRate, wordErrorRate, type ErrorRate, type TranscriptRow } from '../src/index.js';
import { fixture, PLACES } from './fixtures.js';

interface Measures {
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}
const ref = fixture<{
  cases: { name: string; references: string[]; hypotheses: string[]; wer: Measures & { wer: number }; cer: Measures & { cer: number } }[];
}>('jiwer.json');

const rowsOf = (c: { references: string[]; hypotheses: string[] }): TranscriptRow[] =>
  c.references.map((reference, i) => ({ reference, hypothesis: c.hypotheses[i]! }));

function expectCounts(actual: ErrorRate, expected: Measures): void {
  // the split of edits into S/D/I is not unique; the total is, and jiwer's split is matched on these cases
  expect(actual.substitutions + actual.deletions + actual.insertions).toBe(expected.substitutions + expected.deletions + expected.insertions);
  expect({ hits: actual.hits, substitutions: actual.substitutions, deletions: actual.deletions, insertions: actual.insertions }).toEqual(expected);
}

describe('WER and CER match jiwer', () => {
  it.each(ref.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const wer = wordErrorRate(rowsOf(c));
    expect(wer.rate).toBeCloseTo(c.wer.wer, PLACES);
    expectCounts(wer, { hits: c.wer.hits, substitutions: c.wer.substitutions, deletions: c.wer.deletions, insertions: c.wer.insertions });
    const cer = characterErrorRate(rowsOf(c));
    expect(cer.rate).toBeCloseTo(c.cer.cer, PLACES);
    expectCounts(cer, { hits: c.cer.hits, substitutions: c.cer.substitutions, deletions: c.cer.deletions, insertions: c.cer.insertions });
  });
});

describe('edit alignment', () => {
  it('counts the Levenshtein distance', () => {
    const c = alignmentCounts([...'kitten'], [...'sitting']);
    expect(c.substitutions + c.deletions + c.insertions).toBe(3);
    expect(c).toEqual({ hits: 4, substitutions: 2, deletions: 0, insertions: 1 });
  });

  it('handles empty sides', () => {
    expect(alignmentCounts([], ['a', 'b'])).toEqual({ hits: 0, substitutions: 0, deletions: 0, insertions: 2 });
    expect(alignmentCounts(['a'], [])).toEqual({ hits: 0, substitutions: 0, deletions: 1, insertions: 0 });
  });

  it('counts an astral character as one character', () => {
    expect(characterErrorRate([{ reference: 'a😀', hypothesis: 'a😁' }]).rate).toBe(0.5);
  });

  it('sums over rows and refuses references with nothing in them', () => {
    const w = wordErrorRate([
      { reference: 'a b', hypothesis: 'a b' },
      { reference: '', hypothesis: 'x' },
    ]);
    expect(w).toMatchObject({ rate: 0.5, insertions: 1, reference_units: 2 });
    expect(() => wordErrorRate([{ reference: ' ', hypothesis: 'x' }])).toThrow(RangeError);
  });
});
