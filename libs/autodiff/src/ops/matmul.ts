import { ShapeError } from '../errors.js';
import { broadcastShapes, expectDType } from '../shape.js';
import { fmtShape, type Tensor } from '../tensor.js';
import { gradOf } from './elementwise.js';
import { reshape, sumToShape, transposeLast2 } from './shape-ops.js';

/**
 * Batched matrix product a[..., m, k] · b[..., k, n] → [..., m, n] with numpy broadcasting of the batch axes (both
 * operands need rank >= 2). Gradients: da = g·bᵀ, db = aᵀ·g, summed back over broadcast batch axes. When b is a
 * plain matrix (a weight), both are single Gemm calls on the flattened batch, with no Transpose node.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expectDType('MatMul', a, 'float32');
  expectDType('MatMul', b, 'float32');
  a.graph.own(b, 'MatMul');
  if (a.rank < 2 || b.rank < 2) throw new ShapeError('MatMul', `operands need rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw new ShapeError('MatMul', `inner dimensions differ: ${fmtShape(a.shape)} · ${fmtShape(b.shape)} (${k} vs ${k2})`);
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return a.graph.addNode1('MatMul', [a, b], { dtype: 'float32', shape: [...batch, m, n] }, {}, (grads, needs) => {
    const g = gradOf(grads);
    if (b.rank === 2) {
      const rows = g.size / n;
      const g2 = reshape(g, [rows, n]);
      return [
        // b has no batch axes, so a carries all of them: flatten instead of broadcasting.
        needs[0] ? reshape(gemm(g2, b, false, true), a.shape) : undefined,
        needs[1] ? gemm(reshape(a, [rows, k]), g2, true, false) : undefined,
      ];
    }
    return [
      needs[0] ? sumToShape(matmul(g, transposeLast2(b)), a.shape) : undefined,
      needs[1] ? sumToShape(matmul(transposeLast2(a), g), b.shape) : undefined,
    ];
  });
}

/**
 * ONNX Gemm on matrices: op(a)·op(b), where op transposes when asked. Used by gradients; it has no gradient itself.
 */
export function gemm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  expectDType('Gemm', a, 'float32');
  expectDType('Gemm', b, 'float32');
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError('Gemm', `operands must be matrices, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const [m, k] = (transA ? [a.shape[1], a.shape[0]] : a.shape) as [number, number];
  const [k2, n] = (transB ? [b.shape[1], b.shape[0]] : b.shape) as [number, number];
  if (k !== k2) {
    throw new ShapeError('Gemm', `inner dimensions differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} · ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${k2})`);
  }
  return a.graph.addNode1(
    'Gemm',
    [a, b],
    { dtype: 'float32', shape: [m, n] },
    { transA: { kind: 'int', value: transA ? 1 : 0 }, transB: { kind: 'int', value: transB ? 1 : 0 } },
  );
}
