import { expectDType, normAxes, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { exp, gradOf, mul, sub } from './elementwise.js';
import { expand, reshape } from './shape-ops.js';

function reducedShape(x: Tensor, axes: readonly number[], keepdims: boolean): number[] {
  return keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
}

/** Brings a reduced gradient back to x's shape (undo keepdims = false, then broadcast). */
function unreduce(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return expand(reshape(g, reducedShape(x, axes, true)), x.shape);
}

/** Sum over `axes` (default: all). Opset 13+: the axes are an int64 input. */
export function reduceSum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  expectDType('ReduceSum', x, 'float32', 'int64');
  const ax = normAxes('ReduceSum', axes ?? x.shape.map((_, i) => i), x.rank);
  if (ax.length === 0) return x;
  const shape = reducedShape(x, ax, keepdims);
  return x.graph.addNode1('ReduceSum', [x, x.graph.int64s(ax)], { dtype: x.dtype, shape }, { keepdims: { kind: 'int', value: keepdims ? 1 : 0 } }, (grads) => [
    unreduce(gradOf(grads), x, ax),
  ]);
}

/** Mean over `axes` (default: all). Opset 17: the axes are an attribute (an input only from opset 18). */
export function reduceMean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  expectDType('ReduceMean', x, 'float32');
  const ax = normAxes('ReduceMean', axes ?? x.shape.map((_, i) => i), x.rank);
  if (ax.length === 0) return x;
  const count = ax.reduce((n, a) => n * (x.shape[a] as number), 1);
  const shape = reducedShape(x, ax, keepdims);
  return x.graph.addNode1(
    'ReduceMean',
    [x],
    { dtype: 'float32', shape },
    { axes: { kind: 'ints', value: ax }, keepdims: { kind: 'int', value: keepdims ? 1 : 0 } },
    (grads) => [unreduce(mul(gradOf(grads), 1 / count), x, ax)],
  );
}

/** Softmax along one axis (default the last). dx = y·(g − Σ g·y). */
export function softmax(x: Tensor, axis = -1): Tensor {
  expectDType('Softmax', x, 'float32');
  const a = normAxis('Softmax', axis, x.rank);
  const y: Tensor = x.graph.addNode1('Softmax', [x], { dtype: 'float32', shape: x.shape }, { axis: { kind: 'int', value: a } }, (grads) => {
    const g = gradOf(grads);
    return [mul(y, sub(g, reduceSum(mul(g, y), [a], true)))];
  });
  return y;
}

/** log(softmax(x)) along one axis (default the last), computed stably by ONNX. dx = g − softmax(x)·Σ g. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  expectDType('LogSoftmax', x, 'float32');
  const a = normAxis('LogSoftmax', axis, x.rank);
  const y: Tensor = x.graph.addNode1('LogSoftmax', [x], { dtype: 'float32', shape: x.shape }, { axis: { kind: 'int', value: a } }, (grads) => {
    const g = gradOf(grads);
    return [sub(g, mul(exp(y), reduceSum(g, [a], true)))];
  });
  return y;
}
