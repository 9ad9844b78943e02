// DPO: the policy starts equal to the reference (the base model), so the loss at step 0 is log 2; training on
// preference pairs then lowers it and the implicit reward margin grows. Full-weight and LoRA policies.
import { describe, expect, it } from '@jest/globals';
import { IGNORE_INDEX, type PaddedBatch } from '@distillery/tasks';
import { openRun, type EngineRunOptions, type PreferenceBatch } from '../src/index.js';
import { OPTIM, prng, tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

const config = tinyConfig({ vocab_size: 80 });
const weights = tinyWeights(config, 61);

/** Chosen: the successor pattern; rejected: the same prompt followed by random tokens (different lengths). */
function pairs(n: number, seed: number): PreferenceBatch {
  const chosen = tinyBatch(n, 16, 80, seed, { successor: true });
  const rand = prng(seed + 1);
  const seq = 24;
  const ids = new Int32Array(n * seq).fill(2);
  const labels = new Int32Array(n * seq).fill(IGNORE_INDEX);
  const mask = new Uint8Array(n * seq);
  let trained = 0;
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < 20; t++) {
      const prompt = t < 3;
      const id = prompt ? (chosen.input_ids[r * 16 + t] as number) : 3 + Math.floor(rand() * 77);
      ids[r * seq + t] = id;
      mask[r * seq + t] = 1;
      if (!prompt) {
        labels[r * seq + t] = id;
        trained++;
      }
    }
  }
  const rejected: PaddedBatch = { batch: n, seq, input_ids: ids, labels, attention_mask: mask, trained_tokens: trained };
  return { chosen, rejected };
}

const CASES: Record<string, EngineRunOptions> = {
  'full-weight policy': { config, weights, method: 'dpo', dpo: { beta: 0.1 }, optim: OPTIM, seed: 2, buckets: [16, 24] },
  'LoRA policy': {
    config,
    weights,
    method: 'dpo',
    dpo: { beta: 0.1 },
    lora: { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj', 'up_proj', 'down_proj'] },
    optim: { ...OPTIM, weight_decay: 0 },
    seed: 2,
    buckets: [16, 24],
  },
};

describe('DPO', () => {
  for (const [name, options] of Object.entries(CASES)) {
    it(`${name}: loss = log 2 at step 0, then decreases`, async () => {
      const run = await openRun(options);
      const train = [pairs(4, 10), pairs(4, 20)];
      const held = [pairs(4, 30)];
      expect(Math.abs((await run.evalLoss(held)) - Math.LN2)).toBeLessThan(1e-6);
      const results = [];
      for (let t = 0; t < 15; t++) results.push(await run.step(train[t % 2]!, { lr: options.lora ? 2e-2 : 3e-3 }));
      const after = await run.evalLoss(held);
      await run.close();
      if (process.env['ENGINE_REPORT'] !== undefined) {
        console.log(`${name}: losses ${results.map((r) => r.loss.toFixed(4)).join(' ')}; margins ${results.map((r) => r.reward_margin?.toFixed(2)).join(' ')}; held-out ${after.toFixed(4)}`);
      }
      expect(Math.abs(results[0]!.loss - Math.LN2)).toBeLessThan(1e-6);
      expect(results[0]!.reward_margin).toBeCloseTo(0, 5);
      expect(results[0]!.tokens).toBe(train[0]!.chosen.trained_tokens + train[0]!.rejected.trained_tokens);
      expect(results[14]!.loss).toBeLessThan(Math.LN2 - 0.1);
      expect(results[14]!.reward_accuracy).toBe(1);
      expect(after).toBeLessThan(Math.LN2);
    });
  }
});
