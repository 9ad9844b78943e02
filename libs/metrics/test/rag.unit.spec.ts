import { describe, expect, it } from '@jest/globals';
import { ragRowScores, ragScores, type RagRow, type RagRowScores } from '../src/index.js';
import { fixture, PLACES } from './fixtures.js';

const rag = fixture<{
  rows: RagRow[];
  expected: {
    exact_match: number;
    f1: number;
    faithfulness: number;
    context_recall: number;
    unsupported_token_rate: number;
    empty_predictions: number;
    per_row: RagRowScores[];
  };
}>('rag.json');

const close = (actual: number | null, expected: number | null): void => {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual).toBeCloseTo(expected, PLACES);
};

describe('RAG metrics match the Python recomputation (EM/F1 from the SQuAD script)', () => {
  it.each(rag.rows.map((r, i) => [i, r] as const))('row %i', (i, row) => {
    const e = rag.expected.per_row[i]!;
    const s = ragRowScores(row);
    expect(s.exact_match).toBe(e.exact_match);
    close(s.f1, e.f1);
    expect(s.answer_tokens).toBe(e.answer_tokens);
    expect(s.grounded_tokens).toBe(e.grounded_tokens);
    close(s.faithfulness, e.faithfulness);
    close(s.context_recall, e.context_recall);
  });

  it('aggregates', () => {
    const s = ragScores(rag.rows);
    close(s.exact_match, rag.expected.exact_match);
    close(s.f1, rag.expected.f1);
    close(s.faithfulness, rag.expected.faithfulness);
    close(s.context_recall, rag.expected.context_recall);
    close(s.unsupported_token_rate, rag.expected.unsupported_token_rate);
    expect(s.empty_predictions).toBe(rag.expected.empty_predictions);
  });
});

describe('RAG grounding definitions', () => {
  it('a fully grounded answer has faithfulness 1 and no unsupported tokens', () => {
    const s = ragScores([{ prediction: 'Signed in Paris.', answers: ['Paris'], context: 'It was signed in Paris.' }]);
    expect(s.faithfulness).toBe(1);
    expect(s.unsupported_token_rate).toBe(0);
    expect(s.context_recall).toBe(1);
  });

  it('counts repeated unsupported tokens each time', () => {
    const s = ragRowScores({ prediction: 'london london paris', answers: ['paris'], context: 'paris' });
    expect(s.faithfulness).toBeCloseTo(1 / 3, PLACES);
  });

  it('is 0 over no rows', () => {
    expect(ragScores([])).toEqual({ n: 0, exact_match: 0, f1: 0, faithfulness: 0, unsupported_token_rate: 0, context_recall: 0, empty_predictions: 0 });
  });
});
