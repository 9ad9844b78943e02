import { AutodiffError, AutodiffErrorCodes } from './errors.js';
import { sum } from './ops/elementwise.js';
import { zeros } from './ops/gather.js';
import { fmtShape, sameShape, type Tensor } from './tensor.js';

/**
 * Reverse-mode differentiation: appends the backward nodes of `loss` (a float32 tensor with one element) with
 * respect to `wrt` to the same graph and returns one gradient per entry of `wrt`, with its shape.
 *
 * - Only float32 tensors that depend on `wrt` carry gradients: branches that do not reach one of them are skipped, and
 *   constants, initializers (frozen weights), integer and bool tensors are never differentiated.
 * - A tensor used several times gets the sum of its gradient contributions.
 * - A tensor in `wrt` that does not reach the loss gets zeros.
 * - `wrt` may hold params and float32 inputs, not constants or initializers.
 */
export function grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  return gradients(loss, wrt).grads;
}

/** grad, also saying which entries of `wrt` reach the loss (the others got zeros). */
export function gradients(loss: Tensor, wrt: readonly Tensor[]): { grads: Tensor[]; reached: boolean[] } {
  const g = loss.graph;
  if (loss.dtype !== 'float32' || loss.size !== 1) {
    throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `loss must be one float32 value, got ${loss}`, 'grad');
  }
  for (const p of wrt) {
    g.own(p, 'grad');
    if ((p.kind !== 'param' && p.kind !== 'input') || p.dtype !== 'float32') {
      throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `cannot differentiate with respect to ${p} (${p.kind}): only float32 params and inputs`, 'grad');
    }
  }

  const end = loss.kind === 'node' ? loss.nodeIndex + 1 : 0;
  const live = new Set(wrt.map((p) => p.id));
  for (const node of g.nodes.slice(0, end)) {
    if (!node.inputs.some((t) => live.has(t.id))) continue;
    for (const out of node.outputs) if (out.dtype === 'float32') live.add(out.id);
  }

  const parts = new Map<number, Tensor[]>();
  const total = (t: Tensor): Tensor | undefined => {
    const list = parts.get(t.id);
    if (list === undefined || list.length === 0) return undefined;
    const summed = sum(list);
    parts.set(t.id, [summed]);
    return summed;
  };
  if (live.has(loss.id)) parts.set(loss.id, [g.constant(loss.shape, new Float32Array(1).fill(1))]);

  for (let i = end - 1; i >= 0; i--) {
    const node = g.nodes[i];
    if (node === undefined) continue;
    const outGrads = node.outputs.map((o) => (live.has(o.id) ? total(o) : undefined));
    if (outGrads.every((x) => x === undefined)) continue;
    const needs = node.inputs.map((t) => live.has(t.id));
    if (node.vjp === undefined) {
      throw new AutodiffError(AutodiffErrorCodes.NO_GRADIENT, `no gradient is defined, but ${node.outputs[0]?.name} lies between the loss and a parameter`, node.op);
    }
    const inGrads = node.vjp(outGrads, needs);
    node.inputs.forEach((t, k) => {
      if (!needs[k]) return;
      const gi = inGrads[k];
      if (gi === undefined || !sameShape(gi.shape, t.shape)) {
        throw new AutodiffError(
          AutodiffErrorCodes.SHAPE_MISMATCH,
          `gradient for input ${k} (${t}) is ${gi === undefined ? 'missing' : fmtShape(gi.shape)}`,
          node.op,
        );
      }
      const list = parts.get(t.id) ?? [];
      list.push(gi);
      parts.set(t.id, list);
    });
  }
  const found = wrt.map((p) => total(p));
  return { grads: found.map((d, i) => d ?? zeros(g, (wrt[i] as Tensor).shape)), reached: found.map((d) => d !== undefined) };
}
