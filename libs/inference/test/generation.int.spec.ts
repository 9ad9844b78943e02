/**
 * KV-cache generation against the naive reference (engine-ort's training forward pass over the whole sequence per
 * token), on tiny random models: a Llama with grouped-query attention and a tied head, and a Qwen2 with multi-head
 * attention, biases, an untied head and linear rope scaling.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TrainingRun } from '@distillery/engine-ort';
import { loadModel, ModelClosedError, type InferenceModel } from '../src/index.js';
import { LLAMA_GQA, naiveGreedy, QWEN2_MHA, referenceRun, tinyModelFolder } from './support/tiny-model.js';

const report = process.env['INFERENCE_REPORT'] === '1';

// Prompts of different lengths (3, 11, 1 and 19 tokens) so a batch is left-padded unevenly.
const PROMPTS = [
  [40, 41, 42],
  [300, 5, 77, 123, 9, 400, 17, 250, 33, 64, 128],
  [7],
  Array.from({ length: 19 }, (_, i) => 4 + ((i * 37) % 500)),
];
const STEPS = 12;

describe.each([
  ['llama GQA, tied head', LLAMA_GQA],
  ['qwen2 MHA, biases, untied head, rope ×2', QWEN2_MHA],
])('greedy KV-cache decoding equals the naive loop: %s', (_name, makeConfig) => {
  let model: InferenceModel;
  let run: TrainingRun;
  const expected: { tokens: number[]; logprobs: number[] }[] = [];

  beforeAll(async () => {
    const tiny = await tinyModelFolder(makeConfig());
    model = await loadModel(tiny.dir);
    run = await referenceRun(tiny);
    for (const p of PROMPTS) expected.push(await naiveGreedy(run, p, STEPS));
  }, 120_000);

  afterAll(async () => {
    await model.close();
    await run.close();
  });

  it('batch of one: the same tokens, and log-probs within 1e-4', async () => {
    for (const [i, p] of PROMPTS.entries()) {
      const out = await model.generate(p, { maxNewTokens: STEPS, ignoreEos: true });
      const want = expected[i] as { tokens: number[]; logprobs: number[] };
      expect(out.tokenIds).toEqual(want.tokens);
      expect(out.finishReason).toBe('length');
      expect(out.promptTokens).toBe(p.length);
      const err = Math.max(...out.logprobs.map((lp, k) => Math.abs(lp - (want.logprobs[k] as number))));
      if (report) console.log(`batch 1, prompt ${i}: max |Δ logprob| ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-4);
    }
  });

  it('a batch of prompts of different lengths: every row as alone', async () => {
    const out = await model.generateBatch(PROMPTS, { maxNewTokens: STEPS, ignoreEos: true });
    expect(out.map((g) => g.tokenIds)).toEqual(expected.map((e) => e.tokens));
    // The reference itself is not degenerate: rows differ.
    expect(new Set(expected.map((e) => e.tokens.join(','))).size).toBe(PROMPTS.length);
  });

  it('a cache that outgrows its first bucket (doubling mid-generation) keeps the tokens', async () => {
    // Prompt bucket 16, first cache 32 slots: 40 new tokens cross 32 at token 17.
    const long = await model.generate(PROMPTS[0] as number[], { maxNewTokens: 40, ignoreEos: true });
    const want = await naiveGreedy(run, PROMPTS[0] as number[], 40);
    expect(long.tokenIds).toEqual(want.tokens);
    expect(model.graphs.filter((g) => g.startsWith('decode 1x1'))).toEqual(expect.arrayContaining(['decode 1x1+32', 'decode 1x1+64']));
  });
});

describe('graphs are built per shape bucket, never per token', () => {
  it('one prefill and one decode graph for a generation; none for a second one', async () => {
    const tiny = await tinyModelFolder(LLAMA_GQA());
    const model = await loadModel(tiny.dir);
    try {
      const t0 = performance.now();
      await model.generate([40, 41, 42], { maxNewTokens: 2, ignoreEos: true });
      const first = performance.now() - t0;
      expect(model.graphs).toEqual(['prefill 1x16', 'decode 1x1+32']);
      const t1 = performance.now();
      const out = await model.generate([40, 41, 42, 43], { maxNewTokens: 16, ignoreEos: true });
      const decodeMs = performance.now() - t1;
      expect(out.tokenIds).toHaveLength(16);
      expect(model.graphs).toEqual(['prefill 1x16', 'decode 1x1+32']);
      if (report) console.log(`first call (builds 2 graphs) ${first.toFixed(0)} ms; 16 tokens warm ${decodeMs.toFixed(1)} ms (${((16 / decodeMs) * 1000).toFixed(0)} tokens/s)`);
    } finally {
      await model.close();
    }
    await expect(model.generate([40, 41, 42])).rejects.toBeInstanceOf(ModelClosedError);
  });
});
