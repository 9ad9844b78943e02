import { AutodiffError, AutodiffErrorCodes } from '../errors.js';
import type { Vjp } from '../graph.js';
import { broadcastShapes, expectDType, graphOf, lift, type Operand } from '../shape.js';
import { Tensor, type DType } from '../tensor.js';
import { sumToShape } from './shape-ops.js';

/** The gradient of a single-output node (grad only calls a vjp when one of its outputs received a gradient). */
export function gradOf(grads: readonly (Tensor | undefined)[]): Tensor {
  const g = grads[0];
  if (g === undefined) throw new AutodiffError(AutodiffErrorCodes.NO_GRADIENT, 'vjp called without an output gradient');
  return g;
}

/** Lifts number operands to scalars of the tensor operand's dtype and checks that the dtypes agree. */
function operands(op: string, a: Operand, b: Operand, allowed: readonly DType[]): [Tensor, Tensor] {
  const g = graphOf(op, a, b);
  const dtype = a instanceof Tensor ? a.dtype : (b as Tensor).dtype;
  const x = lift(g, a, dtype);
  const y = lift(g, b, dtype);
  if (x.dtype !== y.dtype) {
    throw new AutodiffError(AutodiffErrorCodes.DTYPE_MISMATCH, `operands ${x} and ${y} have different dtypes`, op);
  }
  expectDType(op, x, ...allowed);
  return [x, y];
}

function binary(op: string, a: Operand, b: Operand, vjp?: (x: Tensor, y: Tensor, out: () => Tensor) => Vjp, allowed: readonly DType[] = ['float32', 'int64']): Tensor {
  const [x, y] = operands(op, a, b, allowed);
  const shape = broadcastShapes(op, x.shape, y.shape);
  const out: Tensor = x.graph.addNode1(op, [x, y], { dtype: x.dtype, shape }, {}, vjp?.(x, y, () => out));
  return out;
}

function unary(op: string, x: Tensor, vjp?: (out: () => Tensor) => Vjp, allowed: readonly DType[] = ['float32']): Tensor {
  expectDType(op, x, ...allowed);
  const out: Tensor = x.graph.addNode1(op, [x], { dtype: x.dtype, shape: x.shape }, {}, vjp?.(() => out));
  return out;
}

/** a + b with numpy broadcasting. */
export const add = (a: Operand, b: Operand): Tensor =>
  binary('Add', a, b, (x, y) => (grads, needs) => {
    const g = gradOf(grads);
    return [needs[0] ? sumToShape(g, x.shape) : undefined, needs[1] ? sumToShape(g, y.shape) : undefined];
  });

/** a - b with numpy broadcasting. */
export const sub = (a: Operand, b: Operand): Tensor =>
  binary('Sub', a, b, (x, y) => (grads, needs) => {
    const g = gradOf(grads);
    return [needs[0] ? sumToShape(g, x.shape) : undefined, needs[1] ? sumToShape(neg(g), y.shape) : undefined];
  });

/** a * b with numpy broadcasting. */
export const mul = (a: Operand, b: Operand): Tensor =>
  binary('Mul', a, b, (x, y) => (grads, needs) => {
    const g = gradOf(grads);
    return [needs[0] ? sumToShape(mul(g, y), x.shape) : undefined, needs[1] ? sumToShape(mul(g, x), y.shape) : undefined];
  });

/** a / b with numpy broadcasting. d/db = -g·(a/b)/b, reusing the forward output. */
export const div = (a: Operand, b: Operand): Tensor =>
  binary('Div', a, b, (x, y, out) => (grads, needs) => {
    const g = gradOf(grads);
    return [needs[0] ? sumToShape(div(g, y), x.shape) : undefined, needs[1] ? sumToShape(neg(div(mul(g, out()), y)), y.shape) : undefined];
  });

/** The element-wise sum of any number of tensors (one ONNX Sum node), with numpy broadcasting. */
export function sum(xs: readonly Tensor[]): Tensor {
  const first = xs[0];
  if (first === undefined) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, 'needs at least one tensor', 'Sum');
  if (xs.length === 1) return first;
  for (const x of xs) {
    first.graph.own(x, 'Sum');
    if (x.dtype !== first.dtype) throw new AutodiffError(AutodiffErrorCodes.DTYPE_MISMATCH, `operands ${xs.join(', ')} have different dtypes`, 'Sum');
  }
  expectDType('Sum', first, 'float32');
  const shape = broadcastShapes('Sum', ...xs.map((x) => x.shape));
  return first.graph.addNode1('Sum', xs, { dtype: first.dtype, shape }, {}, (grads, needs) => {
    const g = gradOf(grads);
    return xs.map((x, i) => (needs[i] ? sumToShape(g, x.shape) : undefined));
  });
}

/** Element-wise maximum (no gradient: for loss denominators and clipping factors). */
export const max = (a: Operand, b: Operand): Tensor => binary('Max', a, b);

/** Element-wise minimum (no gradient). */
export const min = (a: Operand, b: Operand): Tensor => binary('Min', a, b);

/** a == b as a bool tensor (no gradient). */
export function equal(a: Operand, b: Operand): Tensor {
  const [x, y] = operands('Equal', a, b, ['float32', 'int64', 'bool']);
  return x.graph.addNode1('Equal', [x, y], { dtype: 'bool', shape: broadcastShapes('Equal', x.shape, y.shape) });
}

export const neg = (x: Tensor): Tensor => unary('Neg', x, () => (grads) => [neg(gradOf(grads))], ['float32', 'int64']);

export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x, (out) => (grads) => [div(mul(gradOf(grads), 0.5), out())]);

export const exp = (x: Tensor): Tensor => unary('Exp', x, (out) => (grads) => [mul(gradOf(grads), out())]);

export const log = (x: Tensor): Tensor => unary('Log', x, () => (grads) => [div(gradOf(grads), x)]);

export const sigmoid = (x: Tensor): Tensor =>
  unary('Sigmoid', x, (out) => (grads) => [mul(gradOf(grads), mul(out(), sub(1, out())))]);

export const tanh = (x: Tensor): Tensor => unary('Tanh', x, (out) => (grads) => [mul(gradOf(grads), sub(1, mul(out(), out())))]);

/** x ** p for a constant exponent p; dx = g·p·x^(p-1) (p = 2 and p = 1 without a Pow node). */
export function pow(x: Tensor, p: number): Tensor {
  expectDType('Pow', x, 'float32');
  if (!Number.isFinite(p)) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `exponent ${p} must be finite`, 'Pow');
  return x.graph.addNode1('Pow', [x, x.graph.scalar(p)], { dtype: 'float32', shape: x.shape }, {}, (grads) => {
    const g = gradOf(grads);
    if (p === 0) return [mul(g, 0)];
    if (p === 1) return [g];
    const dydx = p === 2 ? mul(x, 2) : mul(pow(x, p - 1), p);
    return [mul(g, dydx)];
  });
}

const CAST_TO: Record<DType, number> = { float32: 1, int64: 7, bool: 9 };

/** Converts the element type. Differentiable only float32 → float32 (an identity). */
export function cast(x: Tensor, to: DType): Tensor {
  return x.graph.addNode1('Cast', [x], { dtype: to, shape: x.shape }, { to: { kind: 'int', value: CAST_TO[to] } }, (grads) => [gradOf(grads)]);
}

/**
 * where(cond, a, b): a where cond is true, else b, all three broadcast. cond is bool and never differentiated (a
 * constant causal mask, for instance).
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  expectDType('Where', cond, 'bool');
  const [x, y] = operands('Where', a, b, ['float32', 'int64']);
  cond.graph.own(x, 'Where');
  const shape = broadcastShapes('Where', cond.shape, x.shape, y.shape);
  return cond.graph.addNode1('Where', [cond, x, y], { dtype: x.dtype, shape }, {}, (grads, needs) => {
    const g = gradOf(grads);
    return [
      undefined,
      needs[1] ? sumToShape(where(cond, g, 0), x.shape) : undefined,
      needs[2] ? sumToShape(where(cond, 0, g), y.shape) : undefined,
    ];
  });
}
