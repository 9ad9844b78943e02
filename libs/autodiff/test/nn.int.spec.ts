// Composite helpers (RMSNorm, SiLU, SwiGLU, RoPE, grouped-query attention, cross-entropy) against loop-based float64
// references, plus negative controls showing that the gradient check fails on a wrong gradient.
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  add,
  attention,
  crossEntropy,
  grad,
  Graph,
  linear,
  matmul,
  mul,
  rmsNorm,
  rope,
  ropeTables,
  rotateHalfMatrix,
  silu,
  sub,
  swiglu,
  type Tensor,
  type Vjp,
} from '../src/index.js';
import { checkOp, type CheckReport, type OpCase } from './harness.js';
import { addN, map, matmulN, mulN, Nd, sigmoidN } from './nd.js';

const t = (x: Record<string, Tensor>, k: string): Tensor => x[k] as Tensor;
const n = (x: Record<string, Nd>, k: string): Nd => x[k] as Nd;

/** Rotary tables written out independently of ropeTables: angle(p, j) = p · 10000^(−2(j mod h)/d). */
function tables(seq: number, dh: number): { cos: number[]; sin: number[] } {
  const cos: number[] = [];
  const sin: number[] = [];
  for (let p = 0; p < seq; p++) {
    for (let j = 0; j < dh; j++) {
      const angle = p / 10_000 ** ((2 * (j % (dh / 2))) / dh);
      cos.push(Math.fround(Math.cos(angle)));
      sin.push(Math.fround(Math.sin(angle)));
    }
  }
  return { cos, sin };
}

function rmsNormRef(x: Nd, w: Nd, eps: number): Nd {
  const d = x.shape[x.rank - 1] as number;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / d; r++) {
    let ms = 0;
    for (let j = 0; j < d; j++) ms += (x.data[r * d + j] as number) ** 2 / d;
    for (let j = 0; j < d; j++) out[r * d + j] = ((x.data[r * d + j] as number) / Math.sqrt(ms + eps)) * (w.data[j] as number);
  }
  return new Nd(x.shape, out);
}

const siluRef = (x: Nd): Nd => mulN(x, sigmoidN(x));

/** x [..., seq, dh] with cos/sin [seq, dh]. */
function ropeRef(x: Nd, cos: readonly number[], sin: readonly number[]): Nd {
  const dh = x.shape[x.rank - 1] as number;
  const seq = x.shape[x.rank - 2] as number;
  const half = dh / 2;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / dh; r++) {
    const s = r % seq;
    for (let j = 0; j < dh; j++) {
      const rot = j < half ? -(x.data[r * dh + j + half] as number) : (x.data[r * dh + j - half] as number);
      out[r * dh + j] = (x.data[r * dh + j] as number) * (cos[s * dh + j] as number) + rot * (sin[s * dh + j] as number);
    }
  }
  return new Nd(x.shape, out);
}

/** Causal grouped-query attention with explicit loops: query head h reads key/value head ⌊h / (H / Hkv)⌋. */
function attentionRef(x: Nd, wq: Nd, wk: Nd, wv: Nd, wo: Nd, heads: number, kvHeads: number, dh: number, tab?: { cos: number[]; sin: number[] }): Nd {
  const [b, s] = x.shape as [number, number, number];
  const q = matmulN(x, wq);
  const k = matmulN(x, wk);
  const v = matmulN(x, wv);
  const headOf = (m: Nd, nh: number, bi: number, hi: number): Nd => {
    const out = new Float64Array(s * dh);
    for (let i = 0; i < s; i++) for (let j = 0; j < dh; j++) out[i * dh + j] = m.data[(bi * s + i) * nh * dh + hi * dh + j] as number;
    const h = new Nd([s, dh], out);
    return tab === undefined ? h : ropeRef(h, tab.cos, tab.sin);
  };
  const out = new Float64Array(b * s * heads * dh);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < heads; hi++) {
      const kv = Math.floor(hi / (heads / kvHeads));
      const qh = headOf(q, heads, bi, hi);
      const kh = headOf(k, kvHeads, bi, kv);
      const vh = new Nd([s, dh], Float64Array.from({ length: s * dh }, (_, e) => v.data[(bi * s + Math.floor(e / dh)) * kvHeads * dh + kv * dh + (e % dh)] as number));
      for (let i = 0; i < s; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += qh.at(i, e) * kh.at(j, e);
          scores.push(dot / Math.sqrt(dh));
        }
        const mx = Math.max(...scores);
        const z = scores.reduce((a, c) => a + Math.exp(c - mx), 0);
        for (let e = 0; e < dh; e++) {
          let acc = 0;
          scores.forEach((c, j) => (acc += (Math.exp(c - mx) / z) * vh.at(j, e)));
          out[(bi * s + i) * heads * dh + hi * dh + e] = acc;
        }
      }
    }
  }
  return matmulN(new Nd([b, s, heads * dh], out), wo);
}

function crossEntropyRef(logits: Nd, targets: readonly number[], mask?: Nd): Nd {
  const v = logits.shape[logits.rank - 1] as number;
  let num = 0;
  let den = 0;
  targets.forEach((tg, r) => {
    const row = logits.data.subarray(r * v, (r + 1) * v);
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((a, c) => a + Math.exp(c - mx), 0));
    const m = mask === undefined ? 1 : (mask.data[r] as number);
    num += m * (lse - (row[tg] as number));
    den += m;
  });
  return Nd.scalar(mask === undefined ? num / den : num / Math.max(den, 1));
}

const ROPE = tables(4, 4);

const attentionCase = (name: string, heads: number, kvHeads: number, withRope: boolean, rotate: 'matmul' | 'slice' = 'matmul'): OpCase => {
  const dh = 4;
  const d = 8;
  return {
    name,
    inputs: [
      { name: 'x', shape: [2, 4, d] },
      { name: 'wq', shape: [d, heads * dh] },
      { name: 'wk', shape: [d, kvHeads * dh] },
      { name: 'wv', shape: [d, kvHeads * dh] },
      { name: 'wo', shape: [heads * dh, d] },
    ],
    build: (x, g) =>
      attention(
        t(x, 'x'),
        { q: t(x, 'wq'), k: t(x, 'wk'), v: t(x, 'wv'), o: t(x, 'wo') },
        {
          numHeads: heads,
          numKvHeads: kvHeads,
          headDim: dh,
          ...(withRope
            ? { rope: { cos: g.constant([4, dh], Float32Array.from(ROPE.cos)), sin: g.constant([4, dh], Float32Array.from(ROPE.sin)), rotateHalf: rotate } }
            : {}),
        },
      ),
    ref: (x) => attentionRef(n(x, 'x'), n(x, 'wq'), n(x, 'wk'), n(x, 'wv'), n(x, 'wo'), heads, kvHeads, dh, withRope ? ROPE : undefined),
  };
};

const CE_TARGETS = [0, 4, 2, 2, 1, 3];
const CE_MASK = [1, 1, 0, 1, 0, 1];

const NN_CASES: OpCase[] = [
  {
    name: 'linear with bias',
    inputs: [{ name: 'x', shape: [2, 3, 4] }, { name: 'w', shape: [4, 5] }, { name: 'b', shape: [5] }],
    build: (x) => linear(t(x, 'x'), t(x, 'w'), t(x, 'b')),
    ref: (x) => addN(matmulN(n(x, 'x'), n(x, 'w')), n(x, 'b')),
  },
  {
    name: 'RMSNorm (eps 1e-5)',
    inputs: [{ name: 'x', shape: [2, 3, 6] }, { name: 'w', shape: [6] }],
    build: (x) => rmsNorm(t(x, 'x'), t(x, 'w'), 1e-5),
    ref: (x) => rmsNormRef(n(x, 'x'), n(x, 'w'), 1e-5),
  },
  { name: 'SiLU', inputs: [{ name: 'x', shape: [3, 4] }], build: (x) => silu(t(x, 'x')), ref: (x) => siluRef(n(x, 'x')) },
  {
    name: 'SwiGLU MLP',
    inputs: [{ name: 'x', shape: [2, 3, 4] }, { name: 'wg', shape: [4, 6] }, { name: 'wu', shape: [4, 6] }, { name: 'wd', shape: [6, 4] }],
    build: (x) => swiglu(t(x, 'x'), { gate: t(x, 'wg'), up: t(x, 'wu'), down: t(x, 'wd') }),
    ref: (x) => matmulN(mulN(siluRef(matmulN(n(x, 'x'), n(x, 'wg'))), matmulN(n(x, 'x'), n(x, 'wu'))), n(x, 'wd')),
  },
  ...(['matmul', 'slice'] as const).map(
    (method): OpCase => ({
      name: `RoPE (rotate-half by ${method})`,
      inputs: [{ name: 'x', shape: [2, 3, 4, 4] }],
      build: (x, g) => rope(t(x, 'x'), g.constant([4, 4], Float32Array.from(ROPE.cos)), g.constant([4, 4], Float32Array.from(ROPE.sin)), method),
      ref: (x) => ropeRef(n(x, 'x'), ROPE.cos, ROPE.sin),
    }),
  ),
  attentionCase('attention, multi-head (H 4, KV 4), no RoPE', 4, 4, false),
  attentionCase('attention, grouped-query (H 4, KV 2) + RoPE', 4, 2, true),
  attentionCase('attention, grouped-query (H 4, KV 2) + RoPE by slice', 4, 2, true, 'slice'),
  attentionCase('attention, multi-query (H 4, KV 1) + RoPE', 4, 1, true),
  {
    name: 'attention with a LoRA projection on a frozen weight',
    inputs: [
      { name: 'x', shape: [1, 4, 8] },
      { name: 'a', shape: [8, 2] },
      { name: 'b', shape: [2, 8] },
      { name: 'wk', shape: [8, 8] },
      { name: 'wv', shape: [8, 8] },
      { name: 'wo', shape: [8, 8] },
    ],
    build: (x, g) => {
      const frozen = g.initializer('wq_base', [8, 8], Float32Array.from({ length: 64 }, (_, i) => Math.fround(Math.sin(i) / 4)));
      const q = (h: Tensor): Tensor => add(matmul(h, frozen), matmul(matmul(h, t(x, 'a')), t(x, 'b')));
      return attention(t(x, 'x'), { q, k: t(x, 'wk'), v: t(x, 'wv'), o: t(x, 'wo') }, { numHeads: 2, numKvHeads: 2, headDim: 4 });
    },
    ref: (x) => {
      const frozen = Nd.of([8, 8], Array.from({ length: 64 }, (_, i) => Math.fround(Math.sin(i) / 4)));
      const wq = addN(frozen, matmulN(n(x, 'a'), n(x, 'b')));
      return attentionRef(n(x, 'x'), wq, n(x, 'wk'), n(x, 'wv'), n(x, 'wo'), 2, 2, 4);
    },
  },
  {
    name: 'cross-entropy with loss mask (GatherElements)',
    inputs: [
      { name: 'logits', shape: [2, 3, 5] },
      { name: 'targets', shape: [2, 3], ints: CE_TARGETS },
      { name: 'mask', shape: [2, 3], values: CE_MASK, diff: false },
    ],
    build: (x) => crossEntropy(t(x, 'logits'), t(x, 'targets'), t(x, 'mask')),
    ref: (x, i) => crossEntropyRef(n(x, 'logits'), i['targets'] as number[], n(x, 'mask')),
  },
  {
    name: 'cross-entropy without mask',
    inputs: [
      { name: 'logits', shape: [6, 5] },
      { name: 'targets', shape: [6], ints: CE_TARGETS },
    ],
    build: (x) => crossEntropy(t(x, 'logits'), t(x, 'targets')),
    ref: (x, i) => crossEntropyRef(n(x, 'logits'), i['targets'] as number[]),
  },
];

const reports: CheckReport[] = [];

describe('composite helpers (onnxruntime-node vs loop-based float64 references)', () => {
  it.each(NN_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const r = await checkOp(c);
    reports.push(r);
    expect(r.failures).toEqual([]);
  });

  it('cross-entropy is 0 (not NaN) when every token is masked', async () => {
    const r = await checkOp({
      name: 'cross-entropy, all masked',
      inputs: [
        { name: 'logits', shape: [2, 3] },
        { name: 'targets', shape: [2], ints: [0, 1] },
        { name: 'mask', shape: [2], values: [0, 0], diff: false },
      ],
      build: (x) => crossEntropy(t(x, 'logits'), t(x, 'targets'), t(x, 'mask')),
      ref: () => Nd.scalar(0),
    });
    expect(r.failures).toEqual([]);
  });

  it('ropeTables and rotateHalfMatrix match the formulas', () => {
    const { cos, sin } = ropeTables(4, 4);
    expect(Array.from(cos)).toEqual(ROPE.cos);
    expect(Array.from(sin)).toEqual(ROPE.sin);
    // x · R = [−x₂, x₁]
    const r = rotateHalfMatrix(4);
    const x = [1, 2, 3, 4];
    const y = [0, 1, 2, 3].map((j) => x.reduce((s, v, i) => s + v * (r[i * 4 + j] as number), 0));
    expect(y).toEqual([-3, -4, 1, 2]);
  });
});

describe('negative controls: the check must fail on a wrong gradient or a wrong forward', () => {
  /** Sigmoid as a custom node whose vjp is g·y·(1 − y), or the wrong g·y. */
  const customSigmoid = (wrong: boolean): OpCase => ({
    name: `custom Sigmoid, ${wrong ? 'wrong' : 'right'} vjp`,
    inputs: [{ name: 'a', shape: [2, 4] }],
    build: (x) => {
      const a = t(x, 'a');
      const vjp: Vjp = ([g]) => [mul(g as Tensor, wrong ? y : mul(y, sub(1, y)))];
      const y: Tensor = a.graph.addNode1('Sigmoid', [a], { dtype: 'float32', shape: a.shape }, {}, vjp);
      return y;
    },
    ref: (x) => sigmoidN(n(x, 'a')),
  });

  it('a correct custom vjp passes', async () => {
    expect((await checkOp(customSigmoid(false))).ok).toBe(true);
  });

  it('a vjp missing the (1 − y) factor fails, by a wide margin', async () => {
    const r = await checkOp(customSigmoid(true));
    expect(r.ok).toBe(false);
    expect(r.gradMaxAbs).toBeGreaterThan(1e-2);
  });

  it('a 1 % error in the forward value fails', async () => {
    const r = await checkOp({
      name: 'SiLU vs a 1 % scaled reference',
      inputs: [{ name: 'x', shape: [3, 4] }],
      build: (x) => silu(t(x, 'x')),
      ref: (x) => map(siluRef(n(x, 'x')), (v) => v * 1.01),
    });
    expect(r.ok).toBe(false);
  });

  it('a vjp that forgets to sum a broadcast gradient is rejected by grad itself', () => {
    const g = new Graph();
    const a = g.param('a', [3]);
    const b = g.param('b', [2, 3]);
    const bad = g.addNode1('Add', [a, b], { dtype: 'float32', shape: [2, 3] }, {}, ([gy]) => [gy, gy]);
    const loss = g.addNode1('ReduceSum', [bad, g.int64s([0, 1])], { dtype: 'float32', shape: [] }, { keepdims: { kind: 'int', value: 0 } }, () => [
      g.constant([2, 3], new Float32Array(6).fill(1)),
      undefined,
    ]);
    expect(() => grad(loss, [a, b])).toThrow(/Add: gradient for input 0 .* is \[2, 3\]/);
  });
});

afterAll(() => {
  if (process.env['AUTODIFF_REPORT'] === undefined) return;
  const rows = reports.map((r) => `${r.name.padEnd(64)} fwd ${r.forwardMaxAbs.toExponential(1)}  grad abs ${r.gradMaxAbs.toExponential(1)} rel ${r.gradMaxRel.toExponential(1)}`);
  console.log(rows.join('\n'));
});
