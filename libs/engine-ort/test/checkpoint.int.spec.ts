// Checkpoints: 10 steps in one run equal 5 steps + saveCheckpoint + loadCheckpoint into a fresh run + 5 steps, bit
// for bit (losses, gradient norms and final weights), for a full fine-tune and for LoRA with dropout.
import { describe, expect, it } from '@jest/globals';
import { encodeSafetensors } from '@distillery/models';
import { EngineCheckpointError, EngineConfigError, loadCheckpoint, openRun, saveCheckpoint, type EngineRunOptions, type StepResult } from '../src/index.js';
import { OPTIM, tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

const config = tinyConfig({ vocab_size: 96 });
const weights = tinyWeights(config, 51);
const batches = [0, 1, 2].map((i) => tinyBatch(4, 16, 96, 300 + i));
const lrAt = (t: number) => 1e-2 * Math.min(1, (t + 1) / 3) * (1 - t / 12);

const CASES: Record<string, EngineRunOptions> = {
  full: { config, weights, method: 'full', optim: OPTIM, seed: 9, buckets: [16] },
  'lora (dropout 0.1, masks drawn per step)': {
    config,
    weights,
    method: 'lora',
    lora: { r: 4, alpha: 8, dropout: 0.1, target_modules: ['q_proj', 'v_proj', 'gate_proj'] },
    optim: OPTIM,
    seed: 9,
    buckets: [16],
  },
};

async function steps(run: Awaited<ReturnType<typeof openRun>>, from: number, to: number): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (let t = from; t < to; t++) out.push(await run.step(batches[t % 3]!, { lr: lrAt(t) }));
  return out;
}

describe('checkpoint resume', () => {
  for (const [name, options] of Object.entries(CASES)) {
    it(`${name}: 10 steps = 5 steps + save + load into a fresh run + 5 steps, bit for bit`, async () => {
      const straight = await openRun(options);
      const all = await steps(straight, 0, 10);

      const first = await openRun(options);
      await steps(first, 0, 5);
      const bytes = saveCheckpoint(first, { run_id: 'exp-1' });
      await first.close();

      const ckpt = loadCheckpoint(bytes);
      expect(ckpt).toMatchObject({ step: 5, method: options.method, seed: 9 });
      expect(ckpt.metadata['run_id']).toBe('exp-1');
      const resumed = await openRun(options);
      resumed.restore(ckpt);
      expect(resumed.stepCount).toBe(5);
      const rest = await steps(resumed, 5, 10);

      expect(rest.map((r) => [r.loss, r.grad_norm])).toEqual(all.slice(5).map((r) => [r.loss, r.grad_norm]));
      const a = straight.state();
      const b = resumed.state();
      expect(b.step).toBe(10);
      for (const [n, t] of a.params) {
        expect(b.params.get(n)?.data).toEqual(t.data);
        expect(b.m.get(n)?.data).toEqual(a.m.get(n)?.data);
        expect(b.v.get(n)?.data).toEqual(a.v.get(n)?.data);
      }
      await Promise.all([straight.close(), resumed.close()]);
    });
  }

  it('refuses bytes that are not a checkpoint, and a state of another run', async () => {
    expect(() => loadCheckpoint(new Uint8Array([1, 2, 3]))).toThrow(EngineCheckpointError);
    expect(() => loadCheckpoint(encodeSafetensors({ x: { shape: [1], data: Float32Array.of(1) } }))).toThrow(/metadata.format/);
    const full = await openRun(CASES['full'] as EngineRunOptions);
    const lora = await openRun(CASES['lora (dropout 0.1, masks drawn per step)'] as EngineRunOptions);
    expect(() => lora.restore(loadCheckpoint(saveCheckpoint(full)))).toThrow(EngineConfigError);
    await Promise.all([full.close(), lora.close()]);
  });
});
