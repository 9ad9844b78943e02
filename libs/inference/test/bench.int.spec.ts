/**
 * Decode speed (INFERENCE_BENCH=1 only; the machine is a shared 2-vCPU VM: read figures as ±50 %). Prints prefill
 * time and decode tokens/s at batch 1 and 8 for a tiny model and for ~4M / ~30M-parameter Llamas (random weights).
 * INFERENCE_THREADS (default 2) and INFERENCE_WEIGHTS=initializers change the load options.
 */
import { describe, expect, it } from '@jest/globals';
import { decoderConfig } from '@distillery/models';
import { loadModel } from '../src/index.js';
import { LLAMA_GQA, tinyModelFolder } from './support/tiny-model.js';

const bench = process.env['INFERENCE_BENCH'] === '1' ? describe : describe.skip;

const SIZES = {
  tiny: LLAMA_GQA(),
  '4M': decoderConfig({ model_type: 'llama', vocab_size: 2048, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 5, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024, tie_word_embeddings: true }),
  '30M': decoderConfig({ model_type: 'llama', vocab_size: 8192, hidden_size: 512, intermediate_size: 1408, num_hidden_layers: 9, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024, tie_word_embeddings: true }),
};

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await f();
  return [out, performance.now() - t0];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

bench('decode speed', () => {
  it.each(Object.entries(SIZES))('%s', async (name, config) => {
    const tiny = await tinyModelFolder(config);
    const model = await loadModel(tiny.dir, { threads: Number(process.env['INFERENCE_THREADS'] ?? 2), weightsAs: process.env['INFERENCE_WEIGHTS'] === 'initializers' ? 'initializers' : 'inputs' });
    try {
      const prompt = Array.from({ length: 60 }, (_, i) => 4 + ((i * 37) % 500));
      const n = 64;
      const options = { maxNewTokens: n, ignoreEos: true };
      await model.generateBatch(Array.from({ length: 8 }, () => prompt), options); // build every graph once
      const [first] = await timed(() => model.generate(prompt, options));
      const prefills: number[] = [];
      const totals: number[] = [];
      const batched: number[] = [];
      for (let round = 0; round < 5; round++) {
        prefills.push((await timed(() => model.generate(prompt, { ...options, maxNewTokens: 1 })))[1]);
        const [again, ms] = await timed(() => model.generate(prompt, options));
        expect(again.tokenIds).toEqual(first.tokenIds);
        totals.push(ms);
        batched.push((await timed(() => model.generateBatch(Array.from({ length: 8 }, () => prompt), options)))[1]);
      }
      const prefill = median(prefills);
      const decode = ((n - 1) / (median(totals) - prefill)) * 1000;
      const batch8 = ((8 * n) / median(batched)) * 1000;
      console.log(`${name}: prefill 60 tokens (bucket 64) ${prefill.toFixed(1)} ms; decode batch 1 ${decode.toFixed(0)} tokens/s; batch 8 end to end ${batch8.toFixed(0)} tokens/s; graphs ${model.graphs.join(', ')}`);
    } finally {
      await model.close();
    }
  }, 600_000);
});
