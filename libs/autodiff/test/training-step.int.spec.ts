// End to end: a one-block decoder's training-step model run in onnxruntime-node, its outputs fed back each step.
import { describe, expect, it } from '@jest/globals';
import type * as ort from 'onnxruntime-node';
import { adamwInputs, serialize, type AdamWConfig, type TrainingStepGraph } from '../src/index.js';
import { session } from './harness.js';
import { buildTiny, fixedBatch, initialState, scalars, TINY } from './tiny-model.js';

const CONFIG: AdamWConfig = { lr: 1e-2, weightDecay: 0.1, maxGradNorm: 1 };

type Outputs = Record<string, Float32Array>;

async function runStep(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<{ out: Outputs; raw: ort.InferenceSession.OnnxValueMapType }> {
  const raw = await s.run(feeds);
  return { raw, out: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.data as Float32Array])) };
}

/** Feeds the step's outputs back as the next step's inputs. */
function feedBack(step: TrainingStepGraph, state: Record<string, ort.Tensor>, raw: ort.InferenceSession.OnnxValueMapType): void {
  for (const { from, to } of step.feedback) state[to] = raw[from] as ort.Tensor;
}

const norm = (arrays: Iterable<Float32Array>): number => {
  let s = 0;
  for (const a of arrays) for (const v of a) s += v * v;
  return Math.sqrt(s);
};

describe('training step (one-block GQA decoder, AdamW, clipping)', () => {
  it('describes its I/O contract', () => {
    const { step, graph } = buildTiny(TINY);
    expect(step.data.map((d) => d.name)).toEqual(['input_ids', 'targets', 'loss_mask']);
    expect(step.hyperparameters).toEqual(['lr', 'beta1', 'beta2', 'eps', 'weight_decay', 'bias_correction1', 'bias_correction2', 'max_grad_norm']);
    expect(step.params.map((p) => p.name)).toEqual(graph.params.map((p) => p.name));
    const embed = step.params[0];
    expect(embed).toMatchObject({ name: 'embed', input: 'embed', output: 'new.embed', mInput: 'm_prev.embed', mOutput: 'm.embed', vInput: 'v_prev.embed', vOutput: 'v.embed', decay: true });
    expect(step.params.find((p) => p.name === 'final_norm')?.decay).toBe(false);
    expect(step.outputs.slice(0, 2)).toEqual([
      { name: 'loss', shape: [], dtype: 'float32' },
      { name: 'grad_norm', shape: [], dtype: 'float32' },
    ]);
    const inputs = new Set(step.inputs.map((i) => i.name));
    const outputs = new Map(step.outputs.map((o) => [o.name, o]));
    for (const { from, to } of step.feedback) {
      expect(inputs.has(to)).toBe(true);
      expect(outputs.get(from)?.shape).toEqual(step.inputs.find((i) => i.name === to)?.shape);
    }
  });

  it('20 AdamW steps on a fixed batch reduce the loss', async () => {
    const model = buildTiny(TINY);
    const s = await session(serialize(model.graph));
    const state = { ...fixedBatch(TINY), ...initialState(model) };
    const losses: number[] = [];
    for (let t = 1; t <= 20; t++) {
      const { out, raw } = await runStep(s, { ...state, ...scalars(adamwInputs(t, CONFIG)) });
      losses.push((out['loss'] as Float32Array)[0] as number);
      feedBack(model.step, state, raw);
    }
    await s.release();
    expect(losses[0]).toBeGreaterThan(2); // ≈ ln 16 = 2.77 at init
    expect(losses[19]).toBeLessThan((losses[0] as number) * 0.5);
    expect(losses.slice(-5).every((l) => l < (losses[0] as number))).toBe(true);
    if (process.env['AUTODIFF_REPORT'] !== undefined) console.log(`losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
  });

  it('the update matches a hand-written float64 AdamW on the same (clipped) gradients within 1e-5', async () => {
    const model = buildTiny(TINY, { outputGradients: true });
    const s = await session(serialize(model.graph));
    const state = { ...fixedBatch(TINY), ...initialState(model) };
    // Two steps first, so m and v are not zero and the bias corrections are not trivial.
    for (let t = 1; t <= 2; t++) feedBack(model.step, state, (await runStep(s, { ...state, ...scalars(adamwInputs(t, CONFIG)) })).raw);
    const hp = adamwInputs(3, { ...CONFIG, maxGradNorm: 0.5 });
    const { out } = await runStep(s, { ...state, ...scalars(hp) });
    await s.release();

    let maxErr = 0;
    for (const p of model.step.params) {
      const grad = out[p.gradOutput as string] as Float32Array;
      const w = state[p.input]?.data as Float32Array;
      const m = state[p.mInput]?.data as Float32Array;
      const v = state[p.vInput]?.data as Float32Array;
      for (let i = 0; i < w.length; i++) {
        const gi = grad[i] as number;
        const mi = hp.beta1 * (m[i] as number) + (1 - hp.beta1) * gi;
        const vi = hp.beta2 * (v[i] as number) + (1 - hp.beta2) * gi * gi;
        const decayed = p.decay ? (w[i] as number) * (1 - hp.lr * hp.weight_decay) : (w[i] as number);
        const wi = decayed - ((hp.lr / hp.bias_correction1) * mi) / (Math.sqrt(vi) / Math.sqrt(hp.bias_correction2) + hp.eps);
        maxErr = Math.max(maxErr, Math.abs(mi - (out[p.mOutput] as Float32Array)[i]!), Math.abs(vi - (out[p.vOutput] as Float32Array)[i]!), Math.abs(wi - (out[p.output] as Float32Array)[i]!));
      }
    }
    if (process.env['AUTODIFF_REPORT'] !== undefined) console.log(`AdamW max |Δ| vs float64 JS: ${maxErr.toExponential(2)}`);
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('clipping caps the global gradient norm at max_grad_norm and keeps its direction', async () => {
    const model = buildTiny(TINY, { outputGradients: true });
    const s = await session(serialize(model.graph));
    const state = { ...fixedBatch(TINY), ...initialState(model) };
    const grads = (out: Outputs): Float32Array[] => model.step.params.map((p) => out[p.gradOutput as string] as Float32Array);

    const free = (await runStep(s, { ...state, ...scalars(adamwInputs(1, { ...CONFIG, maxGradNorm: Infinity })) })).out;
    const gradNorm = (free['grad_norm'] as Float32Array)[0] as number;
    expect(norm(grads(free))).toBeCloseTo(gradNorm, 5); // unclipped: the outputs are the raw gradients

    const cap = gradNorm / 4;
    const clipped = (await runStep(s, { ...state, ...scalars(adamwInputs(1, { ...CONFIG, maxGradNorm: cap })) })).out;
    const loose = (await runStep(s, { ...state, ...scalars(adamwInputs(1, { ...CONFIG, maxGradNorm: 2 * gradNorm })) })).out;
    await s.release();
    expect((clipped['grad_norm'] as Float32Array)[0]).toBeCloseTo(gradNorm, 5); // grad_norm is reported before clipping
    expect(Math.abs(norm(grads(clipped)) - cap) / cap).toBeLessThan(1e-5);
    const a = grads(free).flatMap((x) => [...x]);
    const b = grads(clipped).flatMap((x) => [...x]);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo((v * cap) / (gradNorm + 1e-6), 6));
    // A cap above the norm changes nothing.
    expect(grads(loose)).toEqual(grads(free));
  });
});
