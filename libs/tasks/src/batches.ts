import { IGNORE_INDEX, type TokenizedExample, type TokenizedPair } from './types.js';

/**
 * The batch schedule of a run: which examples each step trains on. Deterministic from the seed, so a trainer that
 * resumes at step k computes the same batches a trainer that never stopped would have, with nothing stored.
 * Each epoch is a seeded permutation of the examples; the last partial batch of an epoch is dropped (static shapes).
 */
export interface BatchSchedule {
  readonly steps_per_epoch: number;
  readonly total_steps: number;
  /** Example indices of a step (0-based). */
  indicesAt(step: number): number[];
  epochOf(step: number): number;
}

/** mulberry32: a small, fast PRNG with good enough mixing for shuffles. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  const r = prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function batchSchedule(examples: number, opts: { readonly batch: number; readonly epochs: number; readonly seed: number; readonly max_steps?: number }): BatchSchedule {
  if (examples <= 0) throw new Error('no training examples');
  if (opts.batch <= 0 || !Number.isInteger(opts.batch)) throw new Error(`batch must be a positive integer, got ${opts.batch}`);
  const batch = Math.min(opts.batch, examples);
  const stepsPerEpoch = Math.floor(examples / batch);
  const total = Math.min(opts.max_steps ?? Infinity, Math.max(1, Math.round(stepsPerEpoch * opts.epochs)));
  const perms = new Map<number, number[]>();
  const perm = (epoch: number) => {
    let p = perms.get(epoch);
    if (!p) {
      p = permutation(examples, (opts.seed * 1_000_003 + epoch) >>> 0);
      perms.clear();
      perms.set(epoch, p);
    }
    return p;
  };
  return {
    steps_per_epoch: stepsPerEpoch,
    total_steps: total,
    epochOf: (step) => Math.floor(step / stepsPerEpoch),
    indicesAt(step) {
      if (step < 0 || step >= total) throw new Error(`step ${step} is outside the schedule (0..${total - 1})`);
      const epoch = Math.floor(step / stepsPerEpoch);
      const at = (step % stepsPerEpoch) * batch;
      return perm(epoch).slice(at, at + batch);
    },
  };
}

/** A padded batch: ids padded with `pad_id`, labels with IGNORE_INDEX, and the attention mask. Row-major [batch, seq]. */
export interface PaddedBatch {
  readonly batch: number;
  readonly seq: number;
  readonly input_ids: Int32Array;
  readonly labels: Int32Array;
  readonly attention_mask: Uint8Array;
  /** Tokens that count in the loss. */
  readonly trained_tokens: number;
}

/** Sequence-length buckets (static shapes per bucket): the smallest bucket that fits the longest example. */
export function bucketFor(length: number, buckets: readonly number[]): number {
  for (const b of buckets) if (length <= b) return b;
  return buckets[buckets.length - 1]!;
}

export const defaultBuckets = (maxSeqLen: number): number[] => {
  const out: number[] = [];
  for (let b = 32; b < maxSeqLen; b *= 2) out.push(b);
  out.push(maxSeqLen);
  return out;
};

export function padBatch(examples: readonly TokenizedExample[], seq: number, padId: number): PaddedBatch {
  const b = examples.length;
  const ids = new Int32Array(b * seq).fill(padId);
  const labels = new Int32Array(b * seq).fill(IGNORE_INDEX);
  const mask = new Uint8Array(b * seq);
  let trained = 0;
  examples.forEach((e, i) => {
    const n = Math.min(seq, e.input_ids.length);
    for (let t = 0; t < n; t++) {
      ids[i * seq + t] = e.input_ids[t]!;
      labels[i * seq + t] = e.labels[t]!;
      mask[i * seq + t] = 1;
      if (e.labels[t] !== IGNORE_INDEX) trained++;
    }
  });
  return { batch: b, seq, input_ids: ids, labels, attention_mask: mask, trained_tokens: trained };
}

/** A preference batch: row i of `chosen` and row i of `rejected` answer the same prompt (padded to one length). */
export interface PaddedPairs {
  readonly chosen: PaddedBatch;
  readonly rejected: PaddedBatch;
}

/**
 * Pads a step's rows into the smallest bucket that fits the longest: language-model rows into one batch, preference
 * pairs (alignment) into a chosen and a rejected batch of the same length.
 */
export function padRows(rows: ReadonlyArray<TokenizedExample | TokenizedPair>, opts: { readonly pairs: boolean; readonly buckets: readonly number[]; readonly padId: number }): PaddedBatch | PaddedPairs {
  const len = (e: TokenizedExample) => e.input_ids.length;
  if (opts.pairs) {
    const pairs = rows as readonly TokenizedPair[];
    const seq = bucketFor(Math.max(1, ...pairs.flatMap((p) => [len(p.chosen), len(p.rejected)])), opts.buckets);
    return { chosen: padBatch(pairs.map((p) => p.chosen), seq, opts.padId), rejected: padBatch(pairs.map((p) => p.rejected), seq, opts.padId) };
  }
  const xs = rows as readonly TokenizedExample[];
  return padBatch(xs, bucketFor(Math.max(1, ...xs.map(len)), opts.buckets), opts.padId);
}
