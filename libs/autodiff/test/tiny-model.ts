// A tiny Llama-style decoder built from the library's helpers, for the end-to-end training tests and the timing.
import * as ort from 'onnxruntime-node';
import {
  add,
  attention,
  buildTrainingStep,
  crossEntropy,
  gather,
  Graph,
  matmul,
  rmsNorm,
  ropeTables,
  swiglu,
  type Tensor,
  type TrainingStepGraph,
  type TrainingStepOptions,
} from '../src/index.js';
import { f32, i64, prng } from './harness.js';

export interface TinyConfig {
  readonly vocab: number;
  readonly dModel: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ffn: number;
  readonly layers: number;
  readonly batch: number;
  readonly seq: number;
}

export const TINY: TinyConfig = { vocab: 16, dModel: 16, heads: 4, kvHeads: 2, ffn: 32, layers: 1, batch: 2, seq: 8 };

export interface TinyModel {
  readonly graph: Graph;
  readonly step: TrainingStepGraph;
  /** Initial parameter values by name. */
  readonly init: Record<string, Float32Array>;
}

export function buildTiny(c: TinyConfig, options: TrainingStepOptions = {}, seed = 7): TinyModel {
  const g = new Graph();
  const rand = prng(seed);
  const init: Record<string, Float32Array> = {};
  const param = (name: string, shape: number[], scale: number | 'ones'): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = scale === 'ones' ? 1 : scale * (2 * rand() - 1);
    init[name] = values;
    return g.param(name, shape);
  };
  const dh = c.dModel / c.heads;
  const ids = g.input('input_ids', [c.batch, c.seq], 'int64');
  const targets = g.input('targets', [c.batch, c.seq], 'int64');
  const mask = g.input('loss_mask', [c.batch, c.seq]);
  const tables = ropeTables(c.seq, dh);
  const cos = g.constant([c.seq, dh], tables.cos);
  const sin = g.constant([c.seq, dh], tables.sin);

  let h = gather(param('embed', [c.vocab, c.dModel], 0.5), ids);
  for (let l = 0; l < c.layers; l++) {
    const p = `layers.${l}`;
    const attn = attention(
      rmsNorm(h, param(`${p}.attn_norm`, [c.dModel], 'ones'), 1e-5),
      {
        q: param(`${p}.wq`, [c.dModel, c.heads * dh], 0.3),
        k: param(`${p}.wk`, [c.dModel, c.kvHeads * dh], 0.3),
        v: param(`${p}.wv`, [c.dModel, c.kvHeads * dh], 0.3),
        o: param(`${p}.wo`, [c.heads * dh, c.dModel], 0.3),
      },
      { numHeads: c.heads, numKvHeads: c.kvHeads, headDim: dh, rope: { cos, sin } },
    );
    h = add(h, attn);
    const mlp = swiglu(rmsNorm(h, param(`${p}.mlp_norm`, [c.dModel], 'ones'), 1e-5), {
      gate: param(`${p}.w_gate`, [c.dModel, c.ffn], 0.3),
      up: param(`${p}.w_up`, [c.dModel, c.ffn], 0.3),
      down: param(`${p}.w_down`, [c.ffn, c.dModel], 0.3),
    });
    h = add(h, mlp);
  }
  const logits = matmul(rmsNorm(h, param('final_norm', [c.dModel], 'ones'), 1e-5), param('lm_head', [c.dModel, c.vocab], 0.3));
  const loss = crossEntropy(logits, targets, mask);
  const step = buildTrainingStep(loss, undefined, { decay: (t) => !t.name.endsWith('norm'), ...options });
  return { graph: g, step, init };
}

/** A fixed batch: the next-token task on a repeating pattern, last position masked. */
export function fixedBatch(c: TinyConfig): Record<string, ort.Tensor> {
  const ids: number[] = [];
  const targets: number[] = [];
  const mask: number[] = [];
  for (let b = 0; b < c.batch; b++) {
    for (let s = 0; s < c.seq; s++) {
      ids.push((3 * b + s * (b + 1)) % c.vocab);
      targets.push((3 * b + (s + 1) * (b + 1)) % c.vocab);
      mask.push(s === c.seq - 1 ? 0 : 1);
    }
  }
  const shape = [c.batch, c.seq];
  return { input_ids: i64(shape, ids), targets: i64(shape, targets), loss_mask: f32(shape, mask) };
}

/** Params from `init`, zero m and v. */
export function initialState(m: TinyModel): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of m.step.params) {
    const values = m.init[p.name] as Float32Array;
    feeds[p.input] = f32(p.shape, values);
    feeds[p.mInput] = f32(p.shape, new Float32Array(values.length));
    feeds[p.vInput] = f32(p.shape, new Float32Array(values.length));
  }
  return feeds;
}

export function scalars(values: Record<string, number>): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.of(v), [])]));
}
