// Graph building, shape inference errors, the structure of the backward graph, and serialization (no runtime).
import { describe, expect, it } from '@jest/globals';
import onnxProto from 'onnx-proto';
import {
  add,
  attention,
  AutodiffError,
  buildTrainingStep,
  cast,
  concat,
  crossEntropy,
  exp,
  gather,
  gatherElements,
  gemm,
  grad,
  Graph,
  matmul,
  mul,
  reduceMean,
  reduceSum,
  reshape,
  serialize,
  ShapeError,
  sigmoid,
  slice,
  softmax,
  transpose,
  where,
  type Tensor,
} from '../src/index.js';

const { onnx } = onnxProto;
const decode = (bytes: Uint8Array): onnxProto.onnx.ModelProto => onnx.ModelProto.decode(bytes);

describe('shape inference', () => {
  const g = new Graph();
  const a = g.input('a', [2, 3, 4]);
  const b = g.input('b', [4, 5]);
  const ids = g.input('ids', [2, 3], 'int64');

  it('infers the output shape of each op', () => {
    expect(add(a, g.input('c', [3, 1])).shape).toEqual([2, 3, 4]);
    expect(matmul(a, b).shape).toEqual([2, 3, 5]);
    expect(matmul(g.input('d', [7, 1, 3, 4]), g.input('e', [2, 4, 6])).shape).toEqual([7, 2, 3, 6]);
    expect(reduceMean(a, [1]).shape).toEqual([2, 4]);
    expect(reduceSum(a, [0, -1], true).shape).toEqual([1, 3, 1]);
    expect(reduceSum(a).shape).toEqual([]);
    expect(reshape(a, [6, -1]).shape).toEqual([6, 4]);
    expect(transpose(a, [2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(transpose(a).shape).toEqual([4, 3, 2]);
    expect(gather(b, ids).shape).toEqual([2, 3, 5]);
    expect(gatherElements(a, g.input('i', [2, 3, 1], 'int64'), -1).shape).toEqual([2, 3, 1]);
    expect(concat([a, a], 1).shape).toEqual([2, 6, 4]);
    expect(slice(a, [1], [-1], [2]).shape).toEqual([2, 3, 2]);
    expect(where(g.constant([3, 1], Uint8Array.of(1, 0, 1), 'bool'), a, 0).shape).toEqual([2, 3, 4]);
    expect(cast(ids, 'float32').dtype).toBe('float32');
    expect(softmax(a).shape).toEqual([2, 3, 4]);
    expect(crossEntropy(a, ids).shape).toEqual([]);
  });

  it('errors name the op and the shapes that do not fit', () => {
    expect(() => add(a, b)).toThrow(ShapeError);
    expect(() => add(a, b)).toThrow('Add: shapes [2, 3, 4] and [4, 5] do not broadcast (axis -2: 3 vs 4)');
    expect(() => matmul(b, a)).toThrow('MatMul: inner dimensions differ: [4, 5] · [2, 3, 4] (5 vs 3)');
    expect(() => matmul(a, g.input('v', [4]))).toThrow('MatMul: operands need rank >= 2, got [2, 3, 4] and [4]');
    expect(() => reshape(a, [5, -1])).toThrow('Reshape: cannot reshape [2, 3, 4] (24 elements) to [5, -1]');
    expect(() => transpose(a, [0, 0, 1])).toThrow('Transpose: perm [0, 0, 1] is not a permutation of the axes of [2, 3, 4]');
    expect(() => concat([a, b], 0)).toThrow('Concat: inputs [2, 3, 4]:float32, [4, 5]:float32 differ outside axis 0');
    expect(() => gatherElements(a, g.input('j', [2, 2, 1], 'int64'), -1)).toThrow('GatherElements: indices [2, 2, 1] must match data [2, 3, 4] except on axis 2');
    expect(() => reduceSum(a, [3])).toThrow('ReduceSum: axis 3 is out of range for rank 3');
    expect(() => crossEntropy(a, b.graph.input('t', [3], 'int64'))).toThrow('crossEntropy: targets [3] must be logits [2, 3, 4] without the last axis');
    expect(() =>
      attention(a, { q: b, k: b, v: b, o: b }, { numHeads: 4, numKvHeads: 3, headDim: 1 }),
    ).toThrow('attention: numKvHeads 3 must divide numHeads 4');
  });

  it('rejects mixed dtypes, foreign tensors, bad names and bad data', () => {
    expect(() => add(a, ids)).toThrow(expect.objectContaining({ code: 'AUTODIFF.DTYPE_MISMATCH' }));
    expect(() => exp(ids)).toThrow('Exp: ids is int64, expected float32');
    expect(() => add(a, new Graph().input('a', [1]))).toThrow(expect.objectContaining({ code: 'AUTODIFF.GRAPH_MISMATCH' }));
    expect(() => g.input('a', [1])).toThrow(expect.objectContaining({ code: 'AUTODIFF.DUPLICATE_NAME' }));
    expect(() => g.input('/generated', [1])).toThrow(AutodiffError);
    expect(() => g.initializer('w', [2, 2], new Float32Array(3))).toThrow('w: 3 values do not fill shape [2, 2]');
    expect(() => g.initializer('w2', [2], new Float64Array(2) as unknown as Float32Array)).toThrow('w2: float32 data must be a Float32Array');
  });

  it('shares small constants', () => {
    expect(g.scalar(2)).toBe(g.scalar(2));
    expect(g.scalar(2)).not.toBe(g.scalar(-2));
    expect(g.scalar(0)).not.toBe(g.scalar(-0));
  });
});

/** The nodes grad appended, with their output shapes. */
function appended(g: Graph, from: number): { op: string; shape: readonly number[] }[] {
  return g.nodes.slice(from).map((n) => ({ op: n.op, shape: (n.outputs[0] as Tensor).shape }));
}

describe('grad', () => {
  it('never differentiates through frozen weights or branches that do not reach a parameter', () => {
    const g = new Graph();
    const x = g.input('x', [2, 5]);
    const frozen = g.initializer('w_frozen', [5, 4], new Float32Array(20));
    const p = g.param('p', [4, 3]);
    const q = g.param('q', [4, 2]);
    const h = sigmoid(matmul(x, frozen));
    const loss = reduceSum(matmul(h, p));
    reduceSum(matmul(h, q)); // a branch that never reaches the loss
    const before = g.nodes.length;
    const [dp] = grad(loss, [p]);
    expect(dp?.shape).toEqual([4, 3]);
    const nodes = appended(g, before);
    // no gradient for the frozen weight [5, 4], for h [2, 4] or for the Sigmoid input
    expect(nodes.filter((n) => ['[5,4]', '[2,4]'].includes(JSON.stringify(n.shape).replace(/ /g, '')))).toEqual([]);
    expect(nodes.some((n) => n.op === 'Sigmoid' || n.op === 'Mul')).toBe(false);
  });

  it('sums the contributions of a tensor used more than once', () => {
    const g = new Graph();
    const p = g.param('p', [3]);
    const loss = reduceSum(add(mul(p, p), exp(p)));
    const before = g.nodes.length;
    grad(loss, [p]);
    // x·x gives two contributions, exp one: one Sum node adds the three
    const sums = g.nodes.slice(before).filter((n) => n.op === 'Sum');
    expect(sums.map((n) => n.inputs.length)).toEqual([3]);
  });

  it('gives zeros to a parameter that does not reach the loss', () => {
    const g = new Graph();
    const p = g.param('p', [3]);
    const unused = g.param('unused', [2, 2]);
    const [, dz] = grad(reduceSum(exp(p)), [p, unused]);
    expect(g.nodes[(dz as Tensor).nodeIndex]?.op).toBe('ConstantOfShape');
  });

  it('refuses constants, initializers, integer inputs and non-scalar losses', () => {
    const g = new Graph();
    const p = g.param('p', [3]);
    const w = g.initializer('w', [3], new Float32Array(3));
    const loss = reduceSum(mul(p, w));
    expect(() => grad(loss, [w])).toThrow('grad: cannot differentiate with respect to w[3]:float32 (initializer)');
    expect(() => grad(loss, [g.scalar(1)])).toThrow(AutodiffError);
    expect(() => grad(loss, [g.input('ids', [3], 'int64')])).toThrow(AutodiffError);
    expect(() => grad(mul(p, 2), [p])).toThrow('grad: loss must be one float32 value');
  });

  it('does not differentiate integer paths (gather indices, casts)', () => {
    const g = new Graph();
    const table = g.param('table', [5, 2]);
    const ids = g.input('ids', [3], 'int64');
    const loss = reduceSum(mul(gather(table, ids), cast(reshape(ids, [3, 1]), 'float32')));
    const [d] = grad(loss, [table]);
    expect(d?.shape).toEqual([5, 2]);
  });

  it('throws when an op without a gradient lies on the path', () => {
    const g = new Graph();
    const p = g.param('p', [2, 2]);
    expect(() => grad(reduceSum(gemm(p, p)), [p])).toThrow(/^Gemm: no gradient is defined/);
  });
});

describe('buildTrainingStep', () => {
  it('refuses params that do not reach the loss unless allowed', () => {
    const make = (): [Tensor, Tensor[]] => {
      const g = new Graph();
      const p = g.param('p', [3]);
      const q = g.param('q', [3]);
      return [reduceSum(exp(p)), [p, q]];
    };
    const [loss, params] = make();
    expect(() => buildTrainingStep(loss, params)).toThrow('buildTrainingStep: params q do not reach the loss');
    const [loss2, params2] = make();
    expect(buildTrainingStep(loss2, params2, { allowUnusedParams: true }).params.map((s) => s.name)).toEqual(['p', 'q']);
  });

  it('refuses inputs and initializers as params', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    expect(() => buildTrainingStep(reduceSum(exp(x)), [x])).toThrow('buildTrainingStep: x[3]:float32 is a input, not a param');
  });
});

describe('serialize', () => {
  const build = (): Graph => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const unusedInput = g.input('unused', [1]);
    void unusedInput;
    const w = g.param('w', [3, 4]);
    const y = softmax(matmul(x, w));
    exp(x); // dead node
    const loss = reduceMean(y);
    const [dw] = grad(loss, [w]);
    g.output('loss', loss);
    g.output('dw', dw as Tensor);
    g.output('w_echo', w);
    g.output('loss_again', loss);
    return g;
  };

  it('writes opset 17, IR 8, every input, only the needed nodes, and Identity for re-exported values', () => {
    const m = decode(serialize(build()));
    expect(Number(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const graph = m.graph as onnxProto.onnx.GraphProto;
    expect(graph.input.map((i) => i.name)).toEqual(['x', 'unused', 'w']);
    expect(graph.output.map((o) => o.name)).toEqual(['loss', 'dw', 'w_echo', 'loss_again']);
    expect(graph.node.some((n) => n.opType === 'Exp')).toBe(false);
    expect(graph.node.filter((n) => n.opType === 'Identity').map((n) => [n.input?.[0], n.output?.[0]])).toEqual([
      ['w', 'w_echo'],
      ['loss', 'loss_again'],
    ]);
    // ReduceMean takes axes as an attribute in opset 17; ReduceSum takes them as a second input (opset 13+)
    const mean = graph.node.find((n) => n.opType === 'ReduceMean');
    expect(mean?.input).toHaveLength(1);
    expect(mean?.attribute?.map((a) => a.name)).toEqual(['axes', 'keepdims']);
    const sum = graph.node.find((n) => n.opType === 'ReduceSum');
    expect(sum?.input).toHaveLength(2);
    expect(sum?.attribute?.map((a) => a.name)).toEqual(['keepdims']);
  });

  it('is deterministic: the same graph gives the same bytes', () => {
    const a = serialize(build());
    const b = serialize(build());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const g = build();
    expect(Buffer.from(serialize(g)).equals(Buffer.from(serialize(g)))).toBe(true);
  });

  it('stores initializer data as little-endian raw bytes', () => {
    const g = new Graph();
    const w = g.initializer('w', [2], Float32Array.of(1.5, -2));
    g.output('y', mul(w, 2));
    const init = decode(serialize(g)).graph?.initializer?.find((i) => i.name === 'w');
    const raw = init?.rawData as Uint8Array;
    expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual([1.5, -2]);
  });

  it('needs at least one output', () => {
    expect(() => serialize(new Graph())).toThrow('serialize: the graph declares no outputs');
  });
});
