// The reference side of the llama.cpp parity test: greedy decoding by repeated full forward passes of engine-ort
// (`openRun(...).logits`, no KV cache), and teacher-forced next-token log-probabilities.
import type { TrainingRun } from '@distillery/engine-ort';

/** Row-wise log-softmax of logits [rows, vocab] (float64). */
export function logSoftmaxRow(logits: Float32Array, row: number, vocab: number): Float64Array {
  const x = logits.subarray(row * vocab, (row + 1) * vocab);
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  let sum = 0;
  for (const v of x) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(x, (v) => v - lse);
}

export const argmax = (x: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
};

/** Logits [batch, seq, vocab] of right-padded rows (padding masked; causal, so real positions are unaffected). */
async function forward(run: TrainingRun, rows: readonly (readonly number[])[], seq: number, pad: number): Promise<Float32Array> {
  const ids = new Int32Array(rows.length * seq).fill(pad);
  const mask = new Uint8Array(rows.length * seq);
  rows.forEach((r, b) => {
    if (r.length > seq) throw new Error(`a row of ${r.length} tokens does not fit the bucket ${seq}`);
    r.forEach((id, t) => {
      ids[b * seq + t] = id;
      mask[b * seq + t] = 1;
    });
  });
  return run.logits({ batch: rows.length, seq, input_ids: ids, attention_mask: mask });
}

export interface GreedyResult {
  /** The generated ids per prompt (without the prompt; an EOS that ended it is not included). */
  readonly continuations: number[][];
  /** Whether each stopped on EOS (else it reached `maxNew`). */
  readonly stoppedOnEos: boolean[];
}

/** Greedy decoding, one full forward pass per new token (all prompts batched), stopping at `eos` or after `maxNew`. */
export async function referenceGreedy(run: TrainingRun, prompts: readonly (readonly number[])[], options: { maxNew: number; seq: number; pad: number; eos: number; vocab: number }): Promise<GreedyResult> {
  const rows = prompts.map((p) => [...p]);
  const continuations: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  const stoppedOnEos = prompts.map(() => false);
  for (let step = 0; step < options.maxNew && done.includes(false); step++) {
    const logits = await forward(run, rows, options.seq, options.pad);
    rows.forEach((r, b) => {
      if (done[b]) return;
      const next = argmax(logits.subarray((b * options.seq + r.length - 1) * options.vocab, (b * options.seq + r.length) * options.vocab));
      if (next === options.eos) {
        done[b] = true;
        stoppedOnEos[b] = true;
        return;
      }
      r.push(next);
      continuations[b]?.push(next);
      if (continuations[b]?.length === options.maxNew) done[b] = true;
    });
  }
  return { continuations, stoppedOnEos };
}

/**
 * Teacher-forced log-probabilities: for each row and each position t ≥ from[row] − 1, log p(· | row[0..t]) over the
 * vocabulary (float64), in position order.
 */
export async function referenceLogProbs(run: TrainingRun, rows: readonly (readonly number[])[], from: readonly number[], options: { seq: number; pad: number; vocab: number }): Promise<Float64Array[][]> {
  const logits = await forward(run, rows, options.seq, options.pad);
  return rows.map((r, b) => {
    const out: Float64Array[] = [];
    for (let t = Math.max(0, (from[b] as number) - 1); t < r.length; t++) out.push(logSoftmaxRow(logits, b * options.seq + t, options.vocab));
    return out;
  });
}
