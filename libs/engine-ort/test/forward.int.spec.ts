// Forward logits of the ort engine vs the float64 loop reference (test/support/reference64.ts) on tiny configs of
// each family variant: tied/untied head, GQA and plain multi-head attention, q/k/v (and o) biases, linear rope
// scaling, an explicit head_dim, padding, and LoRA adapters with non-zero B.
import { describe, expect, it } from '@jest/globals';
import type { DecoderConfig } from '@distillery/models';
import { openRun, type EngineLoraConfig } from '../src/index.js';
import { referenceLogits } from './support/reference64.js';
import { OPTIM, prng, tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

/** |ort − float64| ≤ FORWARD_TOL on every logit. */
const FORWARD_TOL = 1e-4;

const CONFIGS: Record<string, DecoderConfig> = {
  'llama, tied, GQA 4/2': tinyConfig(),
  'qwen2, untied, q/k/v biases, MHA 4/4': tinyConfig({ model_type: 'qwen2', num_key_value_heads: 4, tie_word_embeddings: false, bos_token_id: null }),
  'llama, attention_bias (q/k/v/o), linear rope ×2, θ 5e5, head_dim 16 ≠ 32/4, GQA 4/1': tinyConfig({
    attention_bias: true,
    rope_scaling: { type: 'linear', factor: 2 },
    rope_theta: 500_000,
    head_dim: 16,
    num_key_value_heads: 1,
  }),
  'mistral, untied, GQA 4/2': tinyConfig({ model_type: 'mistral', tie_word_embeddings: false }),
};

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('forward logits vs a float64 reference', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: max |Δ| ≤ ${FORWARD_TOL}`, async () => {
      const weights = tinyWeights(config, 21);
      const run = await openRun({ config, weights, method: 'full', optim: OPTIM, seed: 1, buckets: [12] });
      const batch = tinyBatch(3, 12, config.vocab_size, 9);
      const got = await run.logits(batch);
      await run.close();
      const want = referenceLogits(config, weights, batch.input_ids, batch.attention_mask, 3, 12);
      const d = maxAbs(got, want);
      if (process.env['ENGINE_REPORT'] !== undefined) console.log(`${name}: max |Δ| ${d.toExponential(2)}`);
      expect(got.length).toBe(3 * 12 * config.vocab_size);
      expect(d).toBeLessThanOrEqual(FORWARD_TOL);
    });
  }

  it(`LoRA with non-zero adapters on every linear layer: max |Δ| ≤ ${FORWARD_TOL}`, async () => {
    const config = CONFIGS['qwen2, untied, q/k/v biases, MHA 4/4'] as DecoderConfig;
    const weights = tinyWeights(config, 22);
    const lora: EngineLoraConfig = { r: 4, alpha: 12, dropout: 0.2, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
    const run = await openRun({ config, weights, method: 'lora', lora, optim: OPTIM, seed: 1, buckets: [12] });
    const rand = prng(5);
    const s = run.state();
    const params = new Map([...s.params].map(([n, t]) => [n, { shape: t.shape, data: t.data.map(() => 0.2 * (2 * rand() - 1)) }]));
    run.restore({ ...s, params });
    const batch = tinyBatch(2, 12, config.vocab_size, 10);
    const got = await run.logits(batch);
    await run.close();
    const want = referenceLogits(config, weights, batch.input_ids, batch.attention_mask, 2, 12, { scale: 3, adapters: params });
    const base = referenceLogits(config, weights, batch.input_ids, batch.attention_mask, 2, 12);
    expect(maxAbs(want, base)).toBeGreaterThan(0.1); // the adapters matter
    expect(maxAbs(got, want)).toBeLessThanOrEqual(FORWARD_TOL);
  });
});
