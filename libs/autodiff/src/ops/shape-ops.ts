import { AutodiffError, AutodiffErrorCodes, ShapeError } from '../errors.js';
import { broadcastShapes, normAxes, normAxis } from '../shape.js';
import { fmtShape, numel, sameShape, Tensor, type Shape } from '../tensor.js';
import { gradOf } from './elementwise.js';
import { reduceSum } from './reduce.js';

/**
 * Sums a broadcast gradient back to an input's shape: over the leading axes the input lacks and over the axes where
 * the input has size 1. Returns g itself when the shapes already agree.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new ShapeError('sumToShape', `cannot reduce ${fmtShape(g.shape)} to the larger rank of ${fmtShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) throw new ShapeError('sumToShape', `${fmtShape(g.shape)} was not broadcast from ${fmtShape(shape)}`);
  }
  const r = axes.length === 0 ? g : reduceSum(g, axes, true);
  return sameShape(r.shape, shape) ? r : reshape(r, shape);
}

/** Reshape to a static shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const holes = shape.filter((d) => d === -1).length;
  const known = numel(shape.filter((d) => d !== -1));
  if (holes > 1 || !shape.every((d) => d === -1 || (Number.isInteger(d) && d >= 0))) {
    throw new ShapeError('Reshape', `target ${fmtShape(shape)} may hold one -1 and otherwise non-negative integers`);
  }
  const resolved = holes === 1 && known > 0 ? shape.map((d) => (d === -1 ? x.size / known : d)) : [...shape];
  if (!resolved.every(Number.isInteger) || numel(resolved) !== x.size) {
    throw new ShapeError('Reshape', `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
  }
  if (sameShape(resolved, x.shape)) return x;
  return x.graph.addNode1('Reshape', [x, x.graph.int64s(resolved)], { dtype: x.dtype, shape: resolved }, {}, (grads) => [reshape(gradOf(grads), x.shape)]);
}

/** Permutes axes; the default reverses them. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  const sorted = [...p].sort((a, b) => a - b);
  if (p.length !== x.rank || !sorted.every((a, i) => a === i)) {
    throw new ShapeError('Transpose', `perm [${p.join(', ')}] is not a permutation of the axes of ${fmtShape(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  const inverse = p.map((_, i) => p.indexOf(i));
  return x.graph.addNode1('Transpose', [x], { dtype: x.dtype, shape: p.map((a) => x.shape[a] as number) }, { perm: { kind: 'ints', value: [...p] } }, (grads) => [
    transpose(gradOf(grads), inverse),
  ]);
}

/** Swaps the last two axes (a matrix transpose of every batch entry). */
export function transposeLast2(x: Tensor): Tensor {
  if (x.rank < 2) throw new ShapeError('Transpose', `needs rank >= 2, got ${fmtShape(x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}

/** Broadcasts x to `shape` (numpy rules, as ONNX Expand). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const out = broadcastShapes('Expand', x.shape, shape);
  if (sameShape(out, x.shape)) return x;
  return x.graph.addNode1('Expand', [x, x.graph.int64s(shape)], { dtype: x.dtype, shape: out }, {}, (grads) => [sumToShape(gradOf(grads), x.shape)]);
}

/** Joins tensors along an axis; every other dimension must agree. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (first === undefined) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, 'needs at least one tensor', 'Concat');
  const a = normAxis('Concat', axis, first.rank);
  for (const x of xs) {
    first.graph.own(x, 'Concat');
    if (x.dtype !== first.dtype || x.rank !== first.rank || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError('Concat', `inputs ${xs.map((t) => `${fmtShape(t.shape)}:${t.dtype}`).join(', ')} differ outside axis ${a}`);
    }
  }
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, x) => s + (x.shape[a] as number), 0);
  return first.graph.addNode1('Concat', xs, { dtype: first.dtype, shape }, { axis: { kind: 'int', value: a } }, (grads, needs) => {
    const g = gradOf(grads);
    let offset = 0;
    return xs.map((x, i) => {
      const start = offset;
      offset += x.shape[a] as number;
      return needs[i] ? slice(g, [start], [offset], [a]) : undefined;
    });
  });
}

/**
 * x[starts:ends] along `axes` (default 0..n-1), step 1. Negative indices count from the end; bounds clamp as in
 * numpy. The gradient pads with zeros.
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
  const ax = axes ?? starts.map((_, i) => i);
  if (starts.length !== ends.length || ax.length !== starts.length) {
    throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, 'starts, ends and axes must have the same length', 'Slice');
  }
  normAxes('Slice', ax, x.rank); // rejects repeated axes
  const axesN = ax.map((a) => normAxis('Slice', a, x.rank));
  const shape = [...x.shape];
  const pads = new Array<number>(2 * x.rank).fill(0);
  const s0: number[] = [];
  const e0: number[] = [];
  axesN.forEach((axis, k) => {
    const dim = x.shape[axis] as number;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const s = clamp(starts[k] as number);
    const e = Math.max(clamp(ends[k] as number), s);
    shape[axis] = e - s;
    pads[axis] = s;
    pads[axis + x.rank] = dim - e;
    s0.push(s);
    e0.push(e);
  });
  if (sameShape(shape, x.shape)) return x;
  const g = x.graph;
  return g.addNode1('Slice', [x, g.int64s(s0), g.int64s(e0), g.int64s(axesN)], { dtype: x.dtype, shape }, {}, (grads) => [
    pad(gradOf(grads), pads),
  ]);
}

/** Zero padding; pads = [begin_0, …, begin_{r-1}, end_0, …, end_{r-1}] (ONNX layout), non-negative. */
export function pad(x: Tensor, pads: readonly number[]): Tensor {
  if (pads.length !== 2 * x.rank || !pads.every((p) => Number.isInteger(p) && p >= 0)) {
    throw new ShapeError('Pad', `pads [${pads.join(', ')}] must be ${2 * x.rank} non-negative integers for ${fmtShape(x.shape)}`);
  }
  if (pads.every((p) => p === 0)) return x;
  const shape = x.shape.map((d, i) => d + (pads[i] as number) + (pads[i + x.rank] as number));
  return x.graph.addNode1('Pad', [x, x.graph.int64s(pads)], { dtype: x.dtype, shape }, { mode: { kind: 'string', value: 'constant' } }, (grads) => [
    slice(
      gradOf(grads),
      x.shape.map((_, i) => pads[i] as number),
      x.shape.map((d, i) => (pads[i] as number) + d),
      x.shape.map((_, i) => i),
    ),
  ]);
}
