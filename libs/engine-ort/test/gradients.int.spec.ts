// One training step's gradients (before clipping) vs central finite differences of the float64 reference loss, on a
// few entries of several parameters: full fine-tune (embedding, attention, MLP, norms, biases, untied head) and LoRA
// adapters with non-zero B.
import { describe, expect, it } from '@jest/globals';
import * as ort from 'onnxruntime-node';
import type { DecoderConfig, Tensor } from '@distillery/models';
import { lmFeeds } from '../src/batch.js';
import { buildGraph, type ModelPlan } from '../src/graphs.js';
import { loraModules, loraScale } from '../src/lora.js';
import { referenceLogits, referenceLoss, type Weight64, type Weights64 } from './support/reference64.js';
import { prng, tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

const H = 1e-5;
/** |ort − fd| ≤ ATOL + RTOL · |fd|. */
const ATOL = 2e-5;
const RTOL = 2e-3;

async function gradients(plan: ModelPlan, values: ReadonlyMap<string, Tensor>, batch: ReturnType<typeof tinyBatch>): Promise<Record<string, Float32Array>> {
  const built = buildGraph(plan, { kind: 'train', batch: batch.batch, seq: batch.seq, adapters: true, dropout: false, outputGradients: true });
  const s = await ort.InferenceSession.create(built.bytes);
  const f = lmFeeds(batch, plan.config.vocab_size);
  const shape = [f.batch, f.seq];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', f.ids, shape),
    attention_mask: new ort.Tensor('bool', f.attention, shape),
    targets: new ort.Tensor('int64', f.targets, shape),
    loss_mask: new ort.Tensor('float32', f.lossMask, shape),
  };
  const hp = { lr: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, bias_correction1: 0.1, bias_correction2: 0.001, max_grad_norm: Infinity };
  for (const [k, v] of Object.entries(hp)) feeds[k] = new ort.Tensor('float32', Float32Array.of(v), []);
  for (const p of built.step?.params ?? []) {
    const t = values.get(p.name) as Tensor;
    feeds[p.input] = new ort.Tensor('float32', t.data, [...t.shape]);
    feeds[p.mInput] = new ort.Tensor('float32', new Float32Array(t.data.length), [...t.shape]);
    feeds[p.vInput] = new ort.Tensor('float32', new Float32Array(t.data.length), [...t.shape]);
  }
  const out = await s.run(feeds);
  await s.release();
  return Object.fromEntries((built.step?.params ?? []).map((p) => [p.name, out[p.gradOutput as string]?.data as Float32Array]));
}

function checkFd(name: string, grad: Float32Array, loss: (w: Float64Array) => number, base: ArrayLike<number>, picks: number, seed: number): { maxErr: number; failures: string[] } {
  const rand = prng(seed);
  const failures: string[] = [];
  let maxErr = 0;
  for (let k = 0; k < picks; k++) {
    const j = Math.floor(rand() * base.length);
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[j] = (plus[j] as number) + H;
    minus[j] = (minus[j] as number) - H;
    const fd = (loss(plus) - loss(minus)) / (2 * H);
    const err = Math.abs((grad[j] as number) - fd);
    maxErr = Math.max(maxErr, err);
    if (!(err <= ATOL + RTOL * Math.abs(fd))) failures.push(`${name}[${j}]: ort ${grad[j]} vs fd ${fd}`);
  }
  return { maxErr, failures };
}

const config: DecoderConfig = tinyConfig({ model_type: 'qwen2', tie_word_embeddings: false, bos_token_id: null, vocab_size: 40, hidden_size: 16, intermediate_size: 24 });
const batch = tinyBatch(2, 8, 40, 4);

describe('gradients vs central finite differences (float64 reference)', () => {
  it('full fine-tune: embedding, q/k/v weights and biases, o, MLP, norms, untied head', async () => {
    const weights = tinyWeights(config, 31, 0.3);
    const plan: ModelPlan = { config, trainable: new Map([...weights].map(([n, t]) => [n, t.shape])), frozen: new Map() };
    const grads = await gradients(plan, weights, batch);
    const names = [
      'model.embed_tokens.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.self_attn.k_proj.bias',
      'model.layers.1.self_attn.v_proj.weight',
      'model.layers.1.self_attn.o_proj.weight',
      'model.layers.0.mlp.gate_proj.weight',
      'model.layers.1.mlp.down_proj.weight',
      'model.layers.0.input_layernorm.weight',
      'model.norm.weight',
      'lm_head.weight',
    ];
    let maxErr = 0;
    const failures: string[] = [];
    for (const [i, name] of names.entries()) {
      const loss = (w: Float64Array) => {
        const ws: Weights64 = new Map<string, Weight64>([...weights, [name, { shape: weights.get(name)?.shape ?? [], data: w }]]);
        return referenceLoss(referenceLogits(config, ws, batch.input_ids, batch.attention_mask, 2, 8), batch.labels, 2, 8, 40);
      };
      const r = checkFd(name, grads[name] as Float32Array, loss, (weights.get(name) as Tensor).data, 4, 100 + i);
      maxErr = Math.max(maxErr, r.maxErr);
      failures.push(...r.failures);
    }
    if (process.env['ENGINE_REPORT'] !== undefined) console.log(`full: max |ort − fd| ${maxErr.toExponential(2)} over ${names.length * 4} entries`);
    expect(failures).toEqual([]);
  });

  it('LoRA adapters (A and B, non-zero B) on q_proj, v_proj and up_proj', async () => {
    const weights = tinyWeights(config, 32, 0.3);
    const lora = { r: 2, alpha: 4, dropout: 0, target_modules: ['q_proj', 'v_proj', 'up_proj'] as const };
    const modules = loraModules(config, { ...lora, target_modules: [...lora.target_modules] });
    const rand = prng(8);
    const adapters = new Map<string, Tensor>();
    for (const m of modules) {
      adapters.set(m.aName, { shape: [2, m.in], data: Float32Array.from({ length: 2 * m.in }, () => 0.4 * (2 * rand() - 1)) });
      adapters.set(m.bName, { shape: [m.out, 2], data: Float32Array.from({ length: 2 * m.out }, () => 0.4 * (2 * rand() - 1)) });
    }
    const plan: ModelPlan = {
      config,
      trainable: new Map([...adapters].map(([n, t]) => [n, t.shape])),
      frozen: weights,
      lora: { config: { ...lora, target_modules: [...lora.target_modules] }, modules },
    };
    const grads = await gradients(plan, adapters, batch);
    const failures: string[] = [];
    let maxErr = 0;
    const names = [...adapters.keys()].filter((_, i) => i % 3 === 0);
    for (const [i, name] of names.entries()) {
      const loss = (w: Float64Array) => {
        const ad: Weights64 = new Map<string, Weight64>([...adapters, [name, { shape: adapters.get(name)?.shape ?? [], data: w }]]);
        return referenceLoss(referenceLogits(config, weights, batch.input_ids, batch.attention_mask, 2, 8, { scale: loraScale(lora), adapters: ad }), batch.labels, 2, 8, 40);
      };
      const r = checkFd(name, grads[name] as Float32Array, loss, (adapters.get(name) as Tensor).data, 4, 200 + i);
      maxErr = Math.max(maxErr, r.maxErr);
      failures.push(...r.failures);
    }
    if (process.env['ENGINE_REPORT'] !== undefined) console.log(`lora: max |ort − fd| ${maxErr.toExponential(2)} over ${names.length * 4} entries`);
    expect(names.some((n) => n.includes('lora_A')) && names.some((n) => n.includes('lora_B'))).toBe(true);
    expect(failures).toEqual([]);
  });
});
