import { AutodiffError, AutodiffErrorCodes, ShapeError } from './errors.js';
import type { Graph } from './graph.js';
import { fmtShape, Tensor, type DType, type Shape } from './tensor.js';

/** A tensor, or a JS number that becomes a scalar constant of the other operand's dtype. */
export type Operand = Tensor | number;

/** numpy broadcasting of any number of shapes; the error names the op and every shape. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const e = k < 0 ? 1 : (s[k] as number);
      if (e === 1 || e === d) continue;
      if (d !== 1) throw new ShapeError(op, `shapes ${shapes.map(fmtShape).join(' and ')} do not broadcast (axis ${i - rank}: ${d} vs ${e})`);
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** Resolves a possibly negative axis against a rank. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `axis ${axis} is out of range for rank ${rank}`, op);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Resolves, sorts and de-duplicates axes. */
export function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  const out = [...new Set(axes.map((a) => normAxis(op, a, rank)))].sort((a, b) => a - b);
  if (out.length !== axes.length) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `axes [${axes.join(', ')}] repeat an axis`, op);
  return out;
}

export function expectDType(op: string, t: Tensor, ...dtypes: DType[]): void {
  if (!dtypes.includes(t.dtype)) {
    throw new AutodiffError(AutodiffErrorCodes.DTYPE_MISMATCH, `${t.name} is ${t.dtype}, expected ${dtypes.join(' or ')}`, op);
  }
}

/** The graph the operands belong to (every tensor operand must share it; at least one operand must be a tensor). */
export function graphOf(op: string, ...operands: Operand[]): Graph {
  const tensors = operands.filter((o): o is Tensor => o instanceof Tensor);
  const first = tensors[0];
  if (first === undefined) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, 'needs at least one tensor operand', op);
  for (const t of tensors) first.graph.own(t, op);
  return first.graph;
}

/** Turns numbers into scalar constants of `dtype`. */
export function lift(g: Graph, v: Operand, dtype: DType): Tensor {
  if (v instanceof Tensor) return v;
  if (dtype === 'bool') throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, 'cannot lift a number to a bool tensor');
  return g.scalar(v, dtype);
}
