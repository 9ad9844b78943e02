// Gradient accumulation: an optimizer step over micro-batches makes the same update as one step over all their rows
// (gradients weighted by each micro-batch's share of the loss tokens, clipped and applied once).
import { describe, expect, it } from '@jest/globals';
import { IGNORE_INDEX, type PaddedBatch } from '@distillery/tasks';
import { openRun, type EngineRunOptions } from '../src/index.js';
import { OPTIM, tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

const config = tinyConfig({ vocab_size: 96 });
const weights = tinyWeights(config, 17);

/** Rows [from, to) of a padded batch, re-padded to `seq` (≥ the batch's own, or cut to the longest real row). */
function rows(b: PaddedBatch, from: number, to: number, seq = b.seq): PaddedBatch {
  const n = to - from;
  const ids = new Int32Array(n * seq).fill(2);
  const labels = new Int32Array(n * seq).fill(IGNORE_INDEX);
  const mask = new Uint8Array(n * seq);
  let trained = 0;
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < Math.min(seq, b.seq); t++) {
      const src = (from + r) * b.seq + t;
      ids[r * seq + t] = b.input_ids[src] as number;
      labels[r * seq + t] = b.labels[src] as number;
      mask[r * seq + t] = b.attention_mask[src] as number;
      if (b.labels[src] !== IGNORE_INDEX) trained++;
    }
  }
  return { batch: n, seq, input_ids: ids, labels, attention_mask: mask, trained_tokens: trained };
}

/** Batches stacked row-wise, each row re-padded to `seq`. */
function stack(batches: readonly PaddedBatch[], seq: number): PaddedBatch {
  const parts = batches.map((b) => rows(b, 0, b.batch, seq));
  const cat = <T extends Int32Array | Uint8Array>(pick: (b: PaddedBatch) => T, make: (n: number) => T): T => {
    const out = make(parts.reduce((n, b) => n + b.batch * seq, 0));
    let at = 0;
    for (const b of parts) {
      out.set(pick(b), at);
      at += b.batch * seq;
    }
    return out;
  };
  return {
    batch: parts.reduce((n, b) => n + b.batch, 0),
    seq,
    input_ids: cat((b) => b.input_ids, (n) => new Int32Array(n)),
    labels: cat((b) => b.labels, (n) => new Int32Array(n)),
    attention_mask: cat((b) => b.attention_mask, (n) => new Uint8Array(n)),
    trained_tokens: parts.reduce((n, b) => n + b.trained_tokens, 0),
  };
}

const maxParamDiff = (a: ReadonlyMap<string, { data: Float32Array }>, b: ReadonlyMap<string, { data: Float32Array }>): number => {
  let d = 0;
  for (const [name, t] of a) {
    const u = b.get(name)?.data as Float32Array;
    for (let i = 0; i < t.data.length; i++) d = Math.max(d, Math.abs((t.data[i] as number) - (u[i] as number)));
  }
  return d;
};

async function compare(options: Omit<EngineRunOptions, 'config' | 'weights' | 'buckets' | 'seed'>, split: (b: PaddedBatch) => PaddedBatch[], make = (t: number) => tinyBatch(4, 32, config.vocab_size, 200 + t)) {
  const base = { config, weights, seed: 5, buckets: [16, 32], ...options } as EngineRunOptions;
  const whole = await openRun(base);
  const accumulated = await openRun(base);
  const initial = whole.state().params;
  const lossWhole: number[] = [];
  const lossAcc: number[] = [];
  for (let t = 0; t < 3; t++) {
    // Rows of different lengths, so the micro-batches hold different numbers of loss tokens.
    const batch = make(t);
    lossWhole.push((await whole.step(batch, { lr: 3e-2 })).loss);
    lossAcc.push((await accumulated.step(split(batch), { lr: 3e-2 })).loss);
  }
  const diff = maxParamDiff(whole.state().params, accumulated.state().params);
  const moved = maxParamDiff(whole.state().params, initial);
  await Promise.all([whole.close(), accumulated.close()]);
  return { lossWhole, lossAcc, diff, moved };
}

describe('gradient accumulation', () => {
  it('full fine-tune: two micro-batches of two rows update exactly like one batch of four', async () => {
    const r = await compare({ method: 'full', optim: OPTIM }, (b) => [rows(b, 0, 2), rows(b, 2, 4)]);
    for (let t = 0; t < 3; t++) expect(Math.abs((r.lossAcc[t] as number) - (r.lossWhole[t] as number))).toBeLessThan(1e-5);
    expect(r.moved).toBeGreaterThan(1e-2);
    expect(r.diff).toBeLessThan(2e-5);
  });

  it('LoRA: three micro-batches in two sequence buckets (16 and 32) match one batch', async () => {
    const lora = { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj', 'down_proj'] } as const;
    // Row 0 is at most 16 tokens long: its micro-batch runs in the 16 bucket, the whole batch in the 32 one.
    const make = (t: number) => stack([tinyBatch(1, 16, config.vocab_size, 400 + t), tinyBatch(3, 32, config.vocab_size, 200 + t)], 32);
    const r = await compare({ method: 'lora', lora, optim: { ...OPTIM, weight_decay: 0 } }, (b) => [rows(b, 0, 1, 16), rows(b, 1, 3), rows(b, 3, 4)], make);
    for (let t = 0; t < 3; t++) expect(Math.abs((r.lossAcc[t] as number) - (r.lossWhole[t] as number))).toBeLessThan(1e-5);
    expect(r.moved).toBeGreaterThan(1e-3);
    expect(r.diff).toBeLessThan(2e-5);
  });

  it('weights micro-batches by their loss tokens, not equally', async () => {
    // The same rows split unevenly (1 + 3): equal weights would give a different first loss than the whole batch.
    const batch = tinyBatch(4, 32, config.vocab_size, 300);
    const parts = [rows(batch, 0, 1), rows(batch, 1, 4)];
    const whole = await openRun({ config, weights, seed: 5, buckets: [32], method: 'full', optim: OPTIM });
    const acc = await openRun({ config, weights, seed: 5, buckets: [32], method: 'full', optim: OPTIM });
    const equalWeights = ((await whole.evalLoss([parts[0] as PaddedBatch])) + (await whole.evalLoss([parts[1] as PaddedBatch]))) / 2;
    const w = (await whole.step(batch, { lr: 1e-2 })).loss;
    const a = await acc.step(parts, { lr: 1e-2 });
    await Promise.all([whole.close(), acc.close()]);
    expect(a.tokens).toBe(batch.trained_tokens);
    expect(Math.abs(a.loss - w)).toBeLessThan(1e-5);
    expect(Math.abs(equalWeights - w)).toBeGreaterThan(1e-3);
  });
});
