import { mean, safeDivide } from './common.js';
import { answerTokens, qaRowScores } from './qa.js';

/** One retrieval-augmented QA row: the model's answer, the gold answers and the context the model was given. */
export interface RagRow {
  readonly prediction: string;
  readonly answers: readonly string[];
  readonly context: string;
}

/** Grounding counts of one row; tokens are SQuAD-normalised (see `normalizeAnswer`). */
export interface RagRowScores {
  readonly exact_match: number;
  readonly f1: number;
  readonly answer_tokens: number;
  /** Answer tokens (with repeats) that occur anywhere in the context. */
  readonly grounded_tokens: number;
  /** grounded_tokens / answer_tokens; `null` for an answer with no tokens. */
  readonly faithfulness: number | null;
  /** Best over the gold answers of (gold tokens present in the context / gold tokens); `null` when no gold has tokens. */
  readonly context_recall: number | null;
}

/** RAG metrics over rows (see `ragScores`). */
export interface RagScores {
  readonly n: number;
  /** SQuAD v1.1 exact match and token F1 against the gold answers (as `qaScores`). */
  readonly exact_match: number;
  readonly f1: number;
  /** Mean per-row faithfulness over the rows whose answer has tokens (0 if none has). */
  readonly faithfulness: number;
  /** Σ (answer tokens not in the context) / Σ answer tokens, pooled over all rows (0 if no answer has tokens). */
  readonly unsupported_token_rate: number;
  /** Mean per-row context recall over the rows with a non-empty gold answer (0 if none). */
  readonly context_recall: number;
  /** Rows whose answer normalises to no tokens (left out of the faithfulness mean). */
  readonly empty_predictions: number;
}

/**
 * Lexical grounding of one row. Answer, gold and context are all tokenised the SQuAD way (lowercase, ASCII
 * punctuation and articles removed, split on whitespace); a token is grounded when the same token occurs anywhere in
 * the context. This is a cheap proxy for faithfulness (no entailment model): a paraphrase that uses words absent from
 * the context counts as unsupported.
 */
export function ragRowScores(row: RagRow): RagRowScores {
  const context = new Set(answerTokens(row.context));
  const answer = answerTokens(row.prediction);
  const grounded = answer.filter((t) => context.has(t)).length;
  const recalls = row.answers
    .map(answerTokens)
    .filter((gold) => gold.length > 0)
    .map((gold) => gold.filter((t) => context.has(t)).length / gold.length);
  return {
    ...qaRowScores(row),
    answer_tokens: answer.length,
    grounded_tokens: grounded,
    faithfulness: answer.length > 0 ? grounded / answer.length : null,
    context_recall: recalls.length > 0 ? Math.max(...recalls) : null,
  };
}

/** RAG metrics over rows: answer quality (EM/F1), faithfulness, unsupported-token rate and context recall. */
export function ragScores(rows: readonly RagRow[]): RagScores {
  const scores = rows.map(ragRowScores);
  const present = (values: readonly (number | null)[]): number[] => values.filter((v): v is number => v !== null);
  const answerTotal = scores.reduce((sum, s) => sum + s.answer_tokens, 0);
  const groundedTotal = scores.reduce((sum, s) => sum + s.grounded_tokens, 0);
  return {
    n: rows.length,
    exact_match: mean(scores.map((s) => s.exact_match)),
    f1: mean(scores.map((s) => s.f1)),
    faithfulness: mean(present(scores.map((s) => s.faithfulness))),
    unsupported_token_rate: safeDivide(answerTotal - groundedTotal, answerTotal),
    context_recall: mean(present(scores.map((s) => s.context_recall))),
    empty_predictions: scores.filter((s) => s.answer_tokens === 0).length,
  };
}
