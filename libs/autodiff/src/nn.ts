import { AutodiffError, AutodiffErrorCodes, ShapeError } from './errors.js';
import type { Graph } from './graph.js';
import { add, div, max, mul, neg, sigmoid, sqrt, where } from './ops/elementwise.js';
import { gatherElements } from './ops/gather.js';
import { matmul } from './ops/matmul.js';
import { logSoftmax, reduceMean, reduceSum, softmax } from './ops/reduce.js';
import { concat, reshape, slice, transpose, transposeLast2 } from './ops/shape-ops.js';
import { expectDType } from './shape.js';
import { fmtShape, type Tensor } from './tensor.js';

/** A weight matrix [in, out] (x · W), or any function of x, e.g. a frozen weight plus a LoRA adapter. */
export type Projection = Tensor | ((x: Tensor) => Tensor);

export const project = (x: Tensor, p: Projection): Tensor => (typeof p === 'function' ? p(x) : matmul(x, p));

/** x · W (+ b), with W laid out [in, out]. */
export function linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const y = matmul(x, w);
  return bias === undefined ? y : add(y, bias);
}

/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · weight. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const meanSquare = reduceMean(mul(x, x), [-1], true);
  return mul(mul(x, div(1, sqrt(add(meanSquare, eps)))), weight);
}

/** SiLU (swish): x · sigmoid(x). */
export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));

export interface SwiGluWeights {
  readonly gate: Projection;
  readonly up: Projection;
  readonly down: Projection;
}

/** The Llama MLP: down(silu(gate(x)) · up(x)). */
export const swiglu = (x: Tensor, w: SwiGluWeights): Tensor => project(mul(silu(project(x, w.gate)), project(x, w.up)), w.down);

/** cos and sin tables [positions, headDim] of rotary embeddings, HF layout (the half-frequencies repeated twice). */
export function ropeTables(seqLen: number, headDim: number, base = 10_000, offset = 0): { cos: Float32Array; sin: Float32Array } {
  if (headDim % 2 !== 0) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `headDim ${headDim} must be even`, 'ropeTables');
  const half = headDim / 2;
  const cos = new Float32Array(seqLen * headDim);
  const sin = new Float32Array(seqLen * headDim);
  for (let p = 0; p < seqLen; p++) {
    for (let i = 0; i < half; i++) {
      const angle = (p + offset) * base ** ((-2 * i) / headDim);
      for (const j of [i, i + half]) {
        cos[p * headDim + j] = Math.cos(angle);
        sin[p * headDim + j] = Math.sin(angle);
      }
    }
  }
  return { cos, sin };
}

/** The constant signed permutation R with x · R = rotateHalf(x) = concat(−x₂, x₁) over the last axis. */
export function rotateHalfMatrix(headDim: number): Float32Array {
  const half = headDim / 2;
  const r = new Float32Array(headDim * headDim);
  for (let j = 0; j < half; j++) {
    r[(j + half) * headDim + j] = -1;
    r[j * headDim + j + half] = 1;
  }
  return r;
}

/** How rotateHalf is built: one MatMul with a constant matrix, or Slice + Neg + Concat. Same values. */
export type RotateHalf = 'matmul' | 'slice';

export function rotateHalf(x: Tensor, method: RotateHalf = 'matmul'): Tensor {
  const d = x.shape[x.rank - 1] as number;
  if (d % 2 !== 0) throw new ShapeError('rotateHalf', `last axis of ${fmtShape(x.shape)} must be even`);
  if (method === 'matmul') return matmul(x, x.graph.constant([d, d], rotateHalfMatrix(d)));
  return concat([neg(slice(x, [d / 2], [d], [-1])), slice(x, [0], [d / 2], [-1])], -1);
}

/** Rotary position embedding: x · cos + rotateHalf(x) · sin, with cos/sin [seq, headDim] broadcast over x [..., seq, headDim]. */
export const rope = (x: Tensor, cos: Tensor, sin: Tensor, method: RotateHalf = 'matmul'): Tensor => add(mul(x, cos), mul(rotateHalf(x, method), sin));

/** A bool constant [seq, seq], true where key position j ≤ query position i (what causal attention may see). */
export function causalMask(g: Graph, seqLen: number): Tensor {
  const m = new Uint8Array(seqLen * seqLen);
  for (let i = 0; i < seqLen; i++) for (let j = 0; j <= i; j++) m[i * seqLen + j] = 1;
  return g.constant([seqLen, seqLen], m, 'bool');
}

export interface AttentionWeights {
  readonly q: Projection;
  readonly k: Projection;
  readonly v: Projection;
  readonly o: Projection;
}

export interface AttentionConfig {
  readonly numHeads: number;
  /** Must divide numHeads; each key/value head serves numHeads / numKvHeads query heads (grouped-query attention). */
  readonly numKvHeads: number;
  readonly headDim: number;
  /** cos/sin tables [seq, headDim] (see ropeTables); no rotary embedding when absent. */
  readonly rope?: { readonly cos: Tensor; readonly sin: Tensor; readonly rotateHalf?: RotateHalf };
  /** bool [seq, seq] or broadcastable to the scores [batch, kvHeads, group, seq, seq]; default causalMask. */
  readonly mask?: Tensor;
}

/** What masked scores are set to before the softmax. */
const MASKED = -1e9;

/**
 * Causal multi-head self-attention with grouped-query attention over x [batch, seq, dModel]. Query heads are
 * grouped as [batch, kvHeads, group, seq, headDim] so the key/value heads broadcast inside MatMul: there is no
 * Expand or copy of K and V, and their gradients are summed over the group by the MatMul gradient.
 */
export function attention(x: Tensor, w: AttentionWeights, c: AttentionConfig): Tensor {
  if (x.rank !== 3) throw new ShapeError('attention', `x must be [batch, seq, dModel], got ${fmtShape(x.shape)}`);
  const { numHeads: h, numKvHeads: hkv, headDim: dh } = c;
  if (!(Number.isInteger(h) && Number.isInteger(hkv) && hkv > 0 && h % hkv === 0)) {
    throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `numKvHeads ${hkv} must divide numHeads ${h}`, 'attention');
  }
  const [b, s] = x.shape as [number, number, number];
  const group = h / hkv;
  const heads = (t: Tensor, n: number, name: string): Tensor => {
    if (t.shape[2] !== n * dh) throw new ShapeError('attention', `${name} projection gives ${fmtShape(t.shape)}, expected [${b}, ${s}, ${n * dh}]`);
    return transpose(reshape(t, [b, s, n, dh]), [0, 2, 1, 3]);
  };
  let q = heads(project(x, w.q), h, 'q');
  let k = heads(project(x, w.k), hkv, 'k');
  const v = heads(project(x, w.v), hkv, 'v');
  if (c.rope !== undefined) {
    q = rope(q, c.rope.cos, c.rope.sin, c.rope.rotateHalf);
    k = rope(k, c.rope.cos, c.rope.sin, c.rope.rotateHalf);
  }
  q = mul(q, 1 / Math.sqrt(dh));
  const grouped = group > 1;
  const q5 = grouped ? reshape(q, [b, hkv, group, s, dh]) : q;
  const k5 = grouped ? reshape(k, [b, hkv, 1, s, dh]) : k;
  const v5 = grouped ? reshape(v, [b, hkv, 1, s, dh]) : v;
  const mask = c.mask ?? causalMask(x.graph, s);
  expectDType('attention', mask, 'bool');
  const scores = where(mask, matmul(q5, transposeLast2(k5)), MASKED);
  const probs = softmax(scores, -1);
  const out = reshape(matmul(probs, v5), [b, h, s, dh]);
  return project(reshape(transpose(out, [0, 2, 1, 3]), [b, s, h * dh]), w.o);
}

/**
 * Mean token cross-entropy. logits [..., vocab] float32, targets int64 [...]; mask float32 [...] (1 counts, 0 is
 * ignored) gives the mean over unmasked tokens (and 0 when none is unmasked). Masked targets must still be valid ids.
 * The target log-probability is picked with GatherElements; its gradient is a ScatterElements(add).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, mask?: Tensor): Tensor {
  expectDType('crossEntropy', targets, 'int64');
  const lead = logits.shape.slice(0, -1);
  if (targets.rank !== lead.length || targets.shape.some((d, i) => d !== lead[i])) {
    throw new ShapeError('crossEntropy', `targets ${fmtShape(targets.shape)} must be logits ${fmtShape(logits.shape)} without the last axis`);
  }
  const picked = gatherElements(logSoftmax(logits, -1), reshape(targets, [...targets.shape, 1]), -1);
  const nll = neg(reshape(picked, targets.shape));
  if (mask === undefined) return reduceMean(nll);
  expectDType('crossEntropy', mask, 'float32');
  if (mask.rank !== targets.rank || mask.shape.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError('crossEntropy', `mask ${fmtShape(mask.shape)} must have the targets' shape ${fmtShape(targets.shape)}`);
  }
  return div(reduceSum(mul(nll, mask)), max(reduceSum(mask), 1));
}
