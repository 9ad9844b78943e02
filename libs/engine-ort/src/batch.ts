import { IGNORE_INDEX, type PaddedBatch } from '@distillery/tasks';
import type { ForwardInput, PreferenceBatch } from './engine.js';
import { EngineConfigError } from './errors.js';
import { mulberry32, seedOf } from './rng.js';

/**
 * Batches as graph feeds. Labels follow the transformers convention (labels[t] = the token at t, IGNORE_INDEX where
 * the loss is masked); the model shifts them: position t predicts labels[t + 1], and the last position predicts
 * nothing. Masked targets are fed as id 0 (GatherElements needs a valid index) with loss_mask 0.
 */
export interface BatchFeeds {
  readonly batch: number;
  readonly seq: number;
  readonly ids: BigInt64Array;
  readonly attention: Uint8Array;
  readonly targets: BigInt64Array;
  readonly lossMask: Float32Array;
  /** Positions that count in the loss. */
  readonly tokens: number;
}

function checkId(id: number, vocab: number, what: string, at: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocab) {
    throw new EngineConfigError(`${what}[${at}] = ${id} is not a token id of the model (vocab_size ${vocab})`, what);
  }
}

function checkShape(b: { batch: number; seq: number }, lengths: Record<string, number>, buckets: readonly number[] | undefined): void {
  if (!Number.isInteger(b.batch) || b.batch <= 0 || !Number.isInteger(b.seq) || b.seq <= 0) {
    throw new EngineConfigError(`batch shape ${b.batch}x${b.seq} must be positive integers`, 'batch');
  }
  for (const [name, n] of Object.entries(lengths)) {
    if (n !== b.batch * b.seq) throw new EngineConfigError(`${name} has ${n} values, expected batch × seq = ${b.batch * b.seq}`, name);
  }
  if (buckets !== undefined && !buckets.includes(b.seq)) {
    throw new EngineConfigError(`seq ${b.seq} is not one of the run's buckets (${buckets.join(', ')})`, 'seq');
  }
}

/** Feeds of a language-modelling batch. */
export function lmFeeds(batch: PaddedBatch, vocab: number, buckets?: readonly number[]): BatchFeeds {
  const { batch: b, seq: s } = batch;
  checkShape(batch, { input_ids: batch.input_ids.length, labels: batch.labels.length, attention_mask: batch.attention_mask.length }, buckets);
  const ids = new BigInt64Array(b * s);
  const attention = new Uint8Array(b * s);
  const targets = new BigInt64Array(b * s);
  const lossMask = new Float32Array(b * s);
  let tokens = 0;
  for (let i = 0; i < b * s; i++) {
    const id = batch.input_ids[i] as number;
    checkId(id, vocab, 'input_ids', i);
    ids[i] = BigInt(id);
    attention[i] = batch.attention_mask[i] === 0 ? 0 : 1;
    const t = i % s;
    const label = t + 1 < s ? (batch.labels[i + 1] as number) : IGNORE_INDEX;
    if (label !== IGNORE_INDEX) {
      checkId(label, vocab, 'labels', i + 1);
      targets[i] = BigInt(label);
      lossMask[i] = 1;
      tokens++;
    }
  }
  return { batch: b, seq: s, ids, attention, targets, lossMask, tokens };
}

/** Re-pads a batch to a longer seq (ids with 0 and attention 0, labels with IGNORE_INDEX). */
function repad(batch: PaddedBatch, seq: number): PaddedBatch {
  if (batch.seq === seq) return batch;
  const { batch: b, seq: s } = batch;
  const input_ids = new Int32Array(b * seq);
  const labels = new Int32Array(b * seq).fill(IGNORE_INDEX);
  const attention_mask = new Uint8Array(b * seq);
  for (let r = 0; r < b; r++) {
    input_ids.set(batch.input_ids.subarray(r * s, r * s + s), r * seq);
    labels.set(batch.labels.subarray(r * s, r * s + s), r * seq);
    attention_mask.set(batch.attention_mask.subarray(r * s, r * s + s), r * seq);
  }
  return { batch: b, seq, input_ids, labels, attention_mask, trained_tokens: batch.trained_tokens };
}

/** A preference batch as 2P rows: the P chosen rows, then the P rejected rows, padded to the longer seq. */
export function preferenceRows(pb: PreferenceBatch): PaddedBatch {
  const { chosen, rejected } = pb;
  if (chosen.batch !== rejected.batch) throw new EngineConfigError(`chosen has ${chosen.batch} rows but rejected has ${rejected.batch}`, 'batch');
  const seq = Math.max(chosen.seq, rejected.seq);
  const c = repad(chosen, seq);
  const r = repad(rejected, seq);
  const cat = <T extends Int32Array | Uint8Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x, 0);
    out.set(y, x.length);
    return out;
  };
  return {
    batch: 2 * chosen.batch,
    seq,
    input_ids: cat(c.input_ids, r.input_ids, (n) => new Int32Array(n)),
    labels: cat(c.labels, r.labels, (n) => new Int32Array(n)),
    attention_mask: cat(c.attention_mask, r.attention_mask, (n) => new Uint8Array(n)),
    trained_tokens: c.trained_tokens + r.trained_tokens,
  };
}

export const isPreferenceBatch = (b: PaddedBatch | PreferenceBatch): b is PreferenceBatch => 'chosen' in b && 'rejected' in b;

/** Ids and attention of a forward pass. */
export function forwardFeeds(input: ForwardInput, vocab: number): { ids: BigInt64Array; attention: Uint8Array } {
  const n = input.batch * input.seq;
  checkShape(input, { input_ids: input.input_ids.length, ...(input.attention_mask === undefined ? {} : { attention_mask: input.attention_mask.length }) }, undefined);
  const ids = new BigInt64Array(n);
  const attention = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const id = input.input_ids[i] as number;
    checkId(id, vocab, 'input_ids', i);
    ids[i] = BigInt(id);
    if (input.attention_mask !== undefined) attention[i] = input.attention_mask[i] === 0 ? 0 : 1;
  }
  return { ids, attention };
}

/**
 * An inverted-dropout mask (0, or 1 / (1 − p)) for one adapted module at one step: a function of (seed, step,
 * module) only, so a resumed run draws the same masks as one that never stopped.
 */
export function dropoutMask(n: number, p: number, seed: number, step: number, module: string): Float32Array {
  const rand = mulberry32(seedOf(seed, 'dropout', step, module));
  const keep = 1 / (1 - p);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rand() < p ? 0 : keep;
  return out;
}
