// PyTorch parity: the same tiny model, initial weights, batches and AdamW settings in the ort engine and in a plain
// PyTorch 1.13 implementation (tools/bench/train_reference.py) give the same per-step losses.
import { describe, expect, it } from '@jest/globals';
import { openRun, type EngineLoraConfig, type EngineMethod, type EngineOptimConfig } from '../src/index.js';
import { requireTorch, runTorchReference } from './support/reference-torch.js';
import { tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

/** Per-step loss tolerance (absolute). Measured max: 1.1e-5 full, 2.6e-5 LoRA (README). */
const LOSS_TOL = 2e-3;
/** Gradient norms before clipping, relative. */
const NORM_RTOL = 1e-3;

const OPTIM: EngineOptimConfig = { weight_decay: 0.05, max_grad_norm: 1, betas: [0.9, 0.999], eps: 1e-8 };
const LORA: EngineLoraConfig = { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
const STEPS = 10;

interface Case {
  readonly method: EngineMethod & ('full' | 'lora');
  readonly config: ReturnType<typeof tinyConfig>;
  readonly lr: (t: number) => number;
}

// Full: Llama with a tied head. LoRA: Qwen2-style (q/k/v biases) with an untied head, every linear layer adapted.
const CASES: readonly Case[] = [
  { method: 'full', config: tinyConfig({ vocab_size: 256, hidden_size: 64, intermediate_size: 128 }), lr: (t) => 2e-3 * Math.min(1, (t + 1) / 3) },
  {
    method: 'lora',
    config: tinyConfig({ model_type: 'qwen2', vocab_size: 256, hidden_size: 64, intermediate_size: 128, tie_word_embeddings: false, bos_token_id: null, eos_token_id: 1 }),
    lr: (t) => 1e-2 * (1 - t / 20),
  },
];

describe('PyTorch parity (tools/bench/train_reference.py, torch 1.13): 10 steps, batch 4 × seq 32, 2 layers, hidden 64, 4 heads / 2 kv, vocab 256', () => {
  it('PyTorch is importable by /usr/bin/python3', () => {
    expect(requireTorch()).toMatch(/^1\./);
  });

  for (const c of CASES) {
    it(`${c.method}: per-step losses agree within ${LOSS_TOL} (absolute), gradient norms within ${NORM_RTOL} (relative)`, async () => {
      requireTorch();
      const weights = tinyWeights(c.config, 11);
      const batches = [0, 1, 2].map((i) => tinyBatch(4, 32, 256, 100 + i));
      const lrs = Array.from({ length: STEPS }, (_, t) => c.lr(t));
      const run = await openRun({ config: c.config, weights, method: c.method, ...(c.method === 'lora' ? { lora: LORA } : {}), optim: OPTIM, seed: 5, buckets: [32] });
      const adapters = c.method === 'lora' ? run.state().params : undefined;
      const ours: { loss: number; grad_norm: number }[] = [];
      for (let t = 0; t < STEPS; t++) ours.push(await run.step(batches[t % 3]!, { lr: lrs[t]! }));
      await run.close();

      const ref = runTorchReference({ config: c.config, weights, method: c.method, ...(c.method === 'lora' ? { lora: LORA, adapters } : {}), optim: OPTIM, lrs, batches });
      const dLoss = ours.map((o, t) => Math.abs(o.loss - ref.losses[t]!));
      const dNorm = ours.map((o, t) => Math.abs(o.grad_norm - ref.grad_norms[t]!) / ref.grad_norms[t]!);
      const report = `${c.method}: max |Δloss| ${Math.max(...dLoss).toExponential(2)}, max rel Δ grad_norm ${Math.max(...dNorm).toExponential(2)}; ` +
        `losses ort ${ours.map((o) => o.loss.toFixed(5)).join(' ')} | torch ${ref.losses.map((l) => l.toFixed(5)).join(' ')}`;
      if (process.env['ENGINE_REPORT'] !== undefined) console.log(report);
      expect({ report, ok: Math.max(...dLoss) <= LOSS_TOL && Math.max(...dNorm) <= NORM_RTOL }).toEqual({ report, ok: true });
      // The run actually trained (otherwise agreement would be trivial).
      expect(ours[STEPS - 1]!.loss).toBeLessThan(ours[0]!.loss - 0.05);
    });
  }
});
