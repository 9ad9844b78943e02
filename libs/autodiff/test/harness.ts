// Test harness: a seeded PRNG, onnxruntime-node runs, and the finite-difference gradient check.
import * as ort from 'onnxruntime-node';
import { Graph, grad, mul, reduceSum, serialize, type Tensor } from '../src/index.js';
import { Nd } from './nd.js';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n float32-representable values, uniform in [lo, hi). */
export const uniform = (rand: () => number, n: number, lo = -1, hi = 1): number[] => Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rand()));

export const f32 = (shape: readonly number[], values: ArrayLike<number>): ort.Tensor => new ort.Tensor('float32', Float32Array.from(values), [...shape]);
export const i64 = (shape: readonly number[], values: readonly number[]): ort.Tensor =>
  new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [...shape]);

export async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
}

export async function runOnce(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await session(bytes);
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

export interface CaseInput {
  readonly name: string;
  readonly shape: readonly number[];
  /** Default 'uniform' in [-1, 1); 'positive' is [0.5, 2); int64 inputs need `ints`. */
  readonly init?: 'uniform' | 'positive';
  readonly ints?: readonly number[];
  /** Fixed float values instead of random ones. */
  readonly values?: readonly number[];
  /** float inputs are differentiated unless false (masks, for instance). */
  readonly diff?: boolean;
}

export interface OpCase {
  readonly name: string;
  readonly inputs: readonly CaseInput[];
  readonly build: (x: Record<string, Tensor>, g: Graph) => Tensor;
  /** float64 reference of the same function; float inputs as Nd, int64 inputs as number lists. */
  readonly ref: (x: Record<string, Nd>, ints: Record<string, readonly number[]>) => Nd;
}

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** Forward: ORT float32 vs the float64 reference. */
export const FORWARD_TOL: Tolerance = { rtol: 1e-4, atol: 1e-5 };
/** Gradient: ONNX float32 gradient vs central differences of the float64 reference. */
export const GRAD_TOL: Tolerance = { rtol: 1e-3, atol: 1e-4 };
/** Finite-difference step (float64 arithmetic, so truncation and rounding errors are ~1e-10). */
export const FD_STEP = 1e-5;

export interface CheckReport {
  readonly name: string;
  readonly forwardMaxAbs: number;
  readonly gradMaxAbs: number;
  /** max |onnx − fd| / max(|fd|, 1e-3), over all gradient entries. */
  readonly gradMaxRel: number;
  readonly failures: readonly string[];
  readonly ok: boolean;
}

function compare(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, failures: string[]): { maxAbs: number; maxRel: number } {
  let maxAbs = 0;
  let maxRel = 0;
  if (got.length !== want.length) failures.push(`${label}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i] as number;
    const b = want[i] as number;
    const err = Math.abs(a - b);
    if (!(err <= tol.atol + tol.rtol * Math.abs(b))) failures.push(`${label}[${i}]: ${a} vs ${b}`);
    maxAbs = Math.max(maxAbs, Number.isNaN(err) ? Infinity : err);
    maxRel = Math.max(maxRel, err / Math.max(Math.abs(b), 1e-3));
  }
  return { maxAbs, maxRel };
}

function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Builds `build` on fresh inputs, appends loss = Σ y ⊙ r (r a fixed random cotangent) and its gradients, runs the
 * model once in onnxruntime-node, and compares y with the reference and each gradient with central differences of
 * the float64 reference loss.
 */
export async function checkOp(c: OpCase, tol: { forward?: Tolerance; grad?: Tolerance } = {}): Promise<CheckReport> {
  const rand = prng(seedOf(c.name));
  const g = new Graph();
  const xs: Record<string, Tensor> = {};
  const nd: Record<string, Nd> = {};
  const ints: Record<string, readonly number[]> = {};
  const feeds: Record<string, ort.Tensor> = {};
  const wrt: Tensor[] = [];
  for (const inp of c.inputs) {
    if (inp.ints !== undefined) {
      xs[inp.name] = g.input(inp.name, inp.shape, 'int64');
      ints[inp.name] = inp.ints;
      feeds[inp.name] = i64(inp.shape, inp.ints);
      continue;
    }
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const values = inp.values !== undefined ? inp.values.map(Math.fround) : inp.init === 'positive' ? uniform(rand, n, 0.5, 2) : uniform(rand, n);
    const diff = inp.diff ?? true;
    const t = diff ? g.param(inp.name, inp.shape) : g.input(inp.name, inp.shape);
    if (diff) wrt.push(t);
    xs[inp.name] = t;
    nd[inp.name] = Nd.of(inp.shape, values);
    feeds[inp.name] = f32(inp.shape, values);
  }
  const y = c.build(xs, g);
  const r = uniform(rand, y.size);
  const loss = reduceSum(mul(y, g.constant(y.shape, Float32Array.from(r))));
  const grads = grad(loss, wrt);
  g.output('y', y);
  wrt.forEach((p, i) => g.output(`grad.${p.name}`, grads[i] as Tensor));
  const out = await runOnce(serialize(g), feeds);

  const failures: string[] = [];
  const fwd = compare('forward', out['y'] as Float32Array, c.ref(nd, ints).data, tol.forward ?? FORWARD_TOL, failures);
  const refLoss = (inputs: Record<string, Nd>): number => {
    const v = c.ref(inputs, ints).data;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += (v[i] as number) * (r[i] as number);
    return s;
  };
  let gradMaxAbs = 0;
  let gradMaxRel = 0;
  for (const p of wrt) {
    const base = nd[p.name] as Nd;
    const fd = new Float64Array(base.data.length);
    for (let j = 0; j < fd.length; j++) {
      const plus = new Float64Array(base.data);
      const minus = new Float64Array(base.data);
      plus[j] = (plus[j] as number) + FD_STEP;
      minus[j] = (minus[j] as number) - FD_STEP;
      fd[j] = (refLoss({ ...nd, [p.name]: new Nd(base.shape, plus) }) - refLoss({ ...nd, [p.name]: new Nd(base.shape, minus) })) / (2 * FD_STEP);
    }
    const e = compare(`grad.${p.name}`, out[`grad.${p.name}`] as Float32Array, fd, tol.grad ?? GRAD_TOL, failures);
    gradMaxAbs = Math.max(gradMaxAbs, e.maxAbs);
    gradMaxRel = Math.max(gradMaxRel, e.maxRel);
  }
  return { name: c.name, forwardMaxAbs: fwd.maxAbs, gradMaxAbs, gradMaxRel, failures: failures.slice(0, 5), ok: failures.length === 0 };
}
