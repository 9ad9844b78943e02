// Error mapping: an onnxruntime allocation failure is an EngineOomError, another onnxruntime failure an
// EngineRuntimeError naming the op, and bad options or batches EngineConfigErrors (before any graph runs).
import { describe, expect, it } from '@jest/globals';
import * as ort from 'onnxruntime-node';
import { WeightsMismatchError } from '@distillery/models';
import { EngineConfigError, EngineOomError, EngineRuntimeError, mapOrtError, openRun } from '../src/index.js';
import { GraphCache, runSession } from '../src/sessions.js';
import { OPTIM, tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

describe('engine errors', () => {
  it('a step whose attention scores cannot be allocated (64 heads × 16k² floats = 64 GiB) is an EngineOomError', async () => {
    const config = tinyConfig({ hidden_size: 32, num_attention_heads: 64, num_key_value_heads: 64, head_dim: 2, intermediate_size: 8, num_hidden_layers: 1 });
    const seq = 16_384;
    const run = await openRun({ config, weights: tinyWeights(config), method: 'full', optim: OPTIM, seed: 1, buckets: [seq] });
    const err = await run.step(tinyBatch(1, seq, config.vocab_size, 1, { full: true }), { lr: 1e-3 }).catch((e: unknown) => e);
    await run.close();
    expect(err).toBeInstanceOf(EngineOomError);
    expect(err).toMatchObject({ code: 'ENGINE.OOM', during: 'step 1 (train 1x16384)' });
    expect((err as Error).message).toMatch(/out of memory during step 1/);
    expect(run.stepCount).toBe(0);
  });

  it('an onnxruntime failure inside a node is an EngineRuntimeError naming the op', async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    const plan = { config, trainable: new Map(), frozen: weights };
    const cache = new GraphCache(plan, 1);
    const gs = await cache.get({ kind: 'logits', batch: 1, seq: 4, adapters: false, dropout: false });
    // An id outside the vocabulary (the engine's own checks are bypassed here on purpose).
    const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.of(1n, 2n, 3n, 9999n), [1, 4]), attention_mask: new ort.Tensor('bool', Uint8Array.of(1, 1, 1, 1), [1, 4]) };
    const err = await runSession(gs, feeds, 'forward').catch((e: unknown) => e);
    await cache.close();
    expect(err).toBeInstanceOf(EngineRuntimeError);
    expect(err).toMatchObject({ code: 'ENGINE.RUNTIME', op: 'Gather' });
    expect((err as Error).message).toMatch(/in op Gather \(node Gather_\d+\)/);
  });

  it('maps onnxruntime messages', () => {
    const oom = mapOrtError(new Error('Failed to allocate memory for requested buffer of size 68719476736'), 'step 3');
    expect(oom).toBeInstanceOf(EngineOomError);
    const rt = mapOrtError(new Error("Non-zero status code returned while running Softmax node. Name:'Softmax_7' Status Message: boom"), 'eval');
    expect(rt).toMatchObject({ op: 'Softmax', node: 'Softmax_7', during: 'eval' });
    expect(mapOrtError(new Error('something else'), 'x')).toMatchObject({ name: 'EngineRuntimeError', op: undefined });
  });

  it('refuses bad options and batches before running anything', async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    const base = { config, weights, optim: OPTIM, seed: 1, buckets: [16] } as const;
    await expect(openRun({ ...base, method: 'lora' })).rejects.toThrow(EngineConfigError);
    await expect(openRun({ ...base, method: 'lora', lora: { r: 0, alpha: 1, dropout: 0, target_modules: ['q_proj'] } })).rejects.toThrow(/lora.r/);
    await expect(openRun({ ...base, method: 'dpo' })).rejects.toThrow(/dpo.beta/);
    await expect(openRun({ ...base, method: 'full', buckets: [] })).rejects.toThrow(/buckets/);
    const missing = new Map(weights);
    missing.delete('model.norm.weight');
    await expect(openRun({ ...base, method: 'full', weights: missing })).rejects.toThrow(WeightsMismatchError);

    const run = await openRun({ ...base, method: 'full' });
    await expect(run.step(tinyBatch(2, 8, 64), { lr: 1e-3 })).rejects.toThrow(/seq 8 is not one of the run's buckets \(16\)/);
    const bad = tinyBatch(2, 16, 64);
    bad.input_ids[5] = 64;
    await expect(run.step(bad, { lr: 1e-3 })).rejects.toThrow(/input_ids\[5\] = 64 is not a token id/);
    await expect(run.step({ chosen: tinyBatch(2, 16, 64), rejected: tinyBatch(2, 16, 64) }, { lr: 1e-3 })).rejects.toThrow(/not preference pairs/);
    expect(run.stepCount).toBe(0);
    await run.close();
  });
});
