// Every op: forward values vs a float64 JS reference, and the ONNX gradient vs central finite differences of that
// reference (tolerances in harness.ts). Set AUTODIFF_REPORT=1 to print the measured errors.
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  add,
  cast,
  concat,
  div,
  exp,
  expand,
  gather,
  gatherElements,
  log,
  logSoftmax,
  matmul,
  mul,
  neg,
  pad,
  pow,
  reduceMean,
  reduceSum,
  reshape,
  sigmoid,
  slice,
  softmax,
  sqrt,
  sub,
  sum,
  tanh,
  transpose,
  where,
  type Tensor,
} from '../src/index.js';
import { checkOp, type CheckReport, type OpCase } from './harness.js';
import {
  addN,
  concatN,
  divN,
  expandN,
  gatherElementsN,
  gatherN,
  map,
  matmulN,
  mulN,
  Nd,
  reduceN,
  reshapeN,
  sigmoidN,
  sliceN,
  softmaxN,
  subN,
  transposeN,
  whereN,
} from './nd.js';

const t = (x: Record<string, Tensor>, k: string): Tensor => x[k] as Tensor;
const n = (x: Record<string, Nd>, k: string): Nd => x[k] as Nd;
const ids = (x: Record<string, readonly number[]>, k: string): readonly number[] => x[k] as readonly number[];

const MASK_3x4 = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0];

export const OP_CASES: OpCase[] = [
  {
    name: 'Add (broadcast [2,3,4] + [3,1])',
    inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [3, 1] }],
    build: (x) => add(t(x, 'a'), t(x, 'b')),
    ref: (x) => addN(n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'Sub (broadcast [4] - [2,3,4])',
    inputs: [{ name: 'a', shape: [4] }, { name: 'b', shape: [2, 3, 4] }],
    build: (x) => sub(t(x, 'a'), t(x, 'b')),
    ref: (x) => subN(n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'Mul (broadcast [2,1,4] * [3,1])',
    inputs: [{ name: 'a', shape: [2, 1, 4] }, { name: 'b', shape: [3, 1] }],
    build: (x) => mul(t(x, 'a'), t(x, 'b')),
    ref: (x) => mulN(n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'Div (broadcast [2,3] / [3])',
    inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [3], init: 'positive' }],
    build: (x) => div(t(x, 'a'), t(x, 'b')),
    ref: (x) => divN(n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'Mul with a scalar number and the same tensor twice (x·x·3)',
    inputs: [{ name: 'a', shape: [2, 3] }],
    build: (x) => mul(mul(t(x, 'a'), t(x, 'a')), 3),
    ref: (x) => map(n(x, 'a'), (v) => 3 * v * v),
  },
  {
    name: 'Sum of three (broadcast [2,3] + [3] + [2,1])',
    inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [3] }, { name: 'c', shape: [2, 1] }],
    build: (x) => sum([t(x, 'a'), t(x, 'b'), t(x, 'c')]),
    ref: (x) => addN(addN(n(x, 'a'), n(x, 'b')), n(x, 'c')),
  },
  { name: 'Neg', inputs: [{ name: 'a', shape: [5] }], build: (x) => neg(t(x, 'a')), ref: (x) => map(n(x, 'a'), (v) => -v) },
  {
    name: 'MatMul [3,4]·[4,5]',
    inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4, 5] }],
    build: (x) => matmul(t(x, 'a'), t(x, 'b')),
    ref: (x) => matmulN(n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'MatMul batched·weight [2,3,4]·[4,5] (Gemm gradients)',
    inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4, 5] }],
    build: (x) => matmul(t(x, 'a'), t(x, 'b')),
    ref: (x) => matmulN(n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'MatMul broadcast batch [2,1,3,4]·[3,4,2]',
    inputs: [{ name: 'a', shape: [2, 1, 3, 4] }, { name: 'b', shape: [3, 4, 2] }],
    build: (x) => matmul(t(x, 'a'), t(x, 'b')),
    ref: (x) => matmulN(n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'MatMul matrix·batched [3,4]·[2,4,5]',
    inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [2, 4, 5] }],
    build: (x) => matmul(t(x, 'a'), t(x, 'b')),
    ref: (x) => matmulN(n(x, 'a'), n(x, 'b')),
  },
  { name: 'Sqrt', inputs: [{ name: 'a', shape: [6], init: 'positive' }], build: (x) => sqrt(t(x, 'a')), ref: (x) => map(n(x, 'a'), Math.sqrt) },
  ...[2, 3, 0.5, -1, 1].map(
    (p): OpCase => ({
      name: `Pow ^${p}`,
      inputs: [{ name: 'a', shape: [2, 3], init: 'positive' }],
      build: (x) => pow(t(x, 'a'), p),
      ref: (x) => map(n(x, 'a'), (v) => v ** p),
    }),
  ),
  { name: 'Exp', inputs: [{ name: 'a', shape: [6] }], build: (x) => exp(t(x, 'a')), ref: (x) => map(n(x, 'a'), Math.exp) },
  { name: 'Log', inputs: [{ name: 'a', shape: [6], init: 'positive' }], build: (x) => log(t(x, 'a')), ref: (x) => map(n(x, 'a'), Math.log) },
  { name: 'Sigmoid', inputs: [{ name: 'a', shape: [2, 4] }], build: (x) => sigmoid(t(x, 'a')), ref: (x) => sigmoidN(n(x, 'a')) },
  { name: 'Tanh', inputs: [{ name: 'a', shape: [2, 4] }], build: (x) => tanh(t(x, 'a')), ref: (x) => map(n(x, 'a'), Math.tanh) },
  {
    name: 'Softmax (last axis) [2,3,5]',
    inputs: [{ name: 'a', shape: [2, 3, 5] }],
    build: (x) => softmax(t(x, 'a')),
    ref: (x) => softmaxN(n(x, 'a')),
  },
  {
    name: 'Softmax (axis 1) [2,3,4]',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (x) => softmax(t(x, 'a'), 1),
    ref: (x) => transposeN(softmaxN(transposeN(n(x, 'a'), [0, 2, 1])), [0, 2, 1]),
  },
  {
    name: 'LogSoftmax (last axis) [3,6]',
    inputs: [{ name: 'a', shape: [3, 6] }],
    build: (x) => logSoftmax(t(x, 'a')),
    ref: (x) => softmaxN(n(x, 'a'), true),
  },
  {
    name: 'ReduceMean axes [1]',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (x) => reduceMean(t(x, 'a'), [1]),
    ref: (x) => reduceN(n(x, 'a'), [1], false, 'mean'),
  },
  {
    name: 'ReduceMean axes [0,-1] keepdims',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (x) => reduceMean(t(x, 'a'), [0, -1], true),
    ref: (x) => reduceN(n(x, 'a'), [0, 2], true, 'mean'),
  },
  {
    name: 'ReduceSum axes [2]',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (x) => reduceSum(t(x, 'a'), [2]),
    ref: (x) => reduceN(n(x, 'a'), [2], false, 'sum'),
  },
  {
    name: 'ReduceSum all, keepdims',
    inputs: [{ name: 'a', shape: [2, 3] }],
    build: (x) => reduceSum(t(x, 'a'), undefined, true),
    ref: (x) => reduceN(n(x, 'a'), [0, 1], true, 'sum'),
  },
  {
    name: 'Reshape [2,3,4] → [4,-1]',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (x) => mul(reshape(t(x, 'a'), [4, -1]), reshape(t(x, 'a'), [4, 6])),
    ref: (x) => mulN(reshapeN(n(x, 'a'), [4, 6]), reshapeN(n(x, 'a'), [4, 6])),
  },
  {
    name: 'Transpose perm [2,0,1]',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (x) => transpose(t(x, 'a'), [2, 0, 1]),
    ref: (x) => transposeN(n(x, 'a'), [2, 0, 1]),
  },
  ...(['scatter', 'onehot'] as const).map(
    (method): OpCase => ({
      name: `Gather axis 0 (embedding, ${method} gradient, repeated ids)`,
      inputs: [
        { name: 'table', shape: [7, 3] },
        { name: 'ids', shape: [2, 4], ints: [1, 3, 3, 0, 6, 1, 1, 2] },
      ],
      build: (x) => gather(t(x, 'table'), t(x, 'ids'), { grad: method }),
      ref: (x, i) => gatherN(n(x, 'table'), ids(i, 'ids'), [2, 4]),
    }),
  ),
  {
    name: 'GatherElements axis -1',
    inputs: [
      { name: 'a', shape: [3, 5] },
      { name: 'idx', shape: [3, 2], ints: [4, 0, 2, 2, 1, 3] },
    ],
    build: (x) => gatherElements(t(x, 'a'), t(x, 'idx'), -1),
    ref: (x, i) => gatherElementsN(n(x, 'a'), ids(i, 'idx'), [3, 2], -1),
  },
  {
    name: 'GatherElements axis 0',
    inputs: [
      { name: 'a', shape: [4, 3] },
      { name: 'idx', shape: [2, 3], ints: [3, 0, 1, 3, 2, 1] },
    ],
    build: (x) => gatherElements(t(x, 'a'), t(x, 'idx'), 0),
    ref: (x, i) => gatherElementsN(n(x, 'a'), ids(i, 'idx'), [2, 3], 0),
  },
  {
    name: 'Concat axis 1 of three',
    inputs: [{ name: 'a', shape: [2, 1, 3] }, { name: 'b', shape: [2, 2, 3] }, { name: 'c', shape: [2, 3, 3] }],
    build: (x) => concat([t(x, 'a'), t(x, 'b'), t(x, 'c')], 1),
    ref: (x) => concatN([n(x, 'a'), n(x, 'b'), n(x, 'c')], 1),
  },
  {
    name: 'Slice (negative bounds, two axes)',
    inputs: [{ name: 'a', shape: [4, 6] }],
    build: (x) => slice(t(x, 'a'), [1, -4], [3, 100], [0, -1]),
    ref: (x) => sliceN(n(x, 'a'), [1, -4], [3, 100], [0, 1]),
  },
  {
    name: 'Pad',
    inputs: [{ name: 'a', shape: [2, 3] }],
    build: (x) => pad(t(x, 'a'), [1, 0, 0, 2]),
    ref: (x) => concatN([concatN([new Nd([1, 3], new Float64Array(3)), n(x, 'a')], 0), new Nd([3, 2], new Float64Array(6))], 1),
  },
  {
    name: 'Where (constant mask [3,4], scalar else)',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (x, g) => where(g.constant([3, 4], Uint8Array.from(MASK_3x4), 'bool'), t(x, 'a'), -2),
    ref: (x) => whereN(Nd.of([3, 4], MASK_3x4), n(x, 'a'), Nd.scalar(-2)),
  },
  {
    name: 'Where (both branches differentiable, broadcast)',
    inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4] }],
    build: (x, g) => where(g.constant([3, 4], Uint8Array.from(MASK_3x4), 'bool'), t(x, 'a'), t(x, 'b')),
    ref: (x) => whereN(Nd.of([3, 4], MASK_3x4), n(x, 'a'), n(x, 'b')),
  },
  {
    name: 'Cast (float→float identity; int64→float not differentiated)',
    inputs: [
      { name: 'a', shape: [4] },
      { name: 'k', shape: [4], ints: [2, -1, 0, 5] },
    ],
    build: (x) => mul(cast(t(x, 'a'), 'float32'), cast(t(x, 'k'), 'float32')),
    ref: (x, i) => mulN(n(x, 'a'), Nd.of([4], ids(i, 'k'))),
  },
  {
    name: 'Expand [3,1] → [2,3,4]',
    inputs: [{ name: 'a', shape: [3, 1] }],
    build: (x) => expand(t(x, 'a'), [2, 3, 4]),
    ref: (x) => expandN(n(x, 'a'), [2, 3, 4]),
  },
  {
    name: 'Non-differentiable float input (a mask) mixed in',
    inputs: [{ name: 'a', shape: [2, 3] }, { name: 'm', shape: [2, 3], diff: false }],
    build: (x) => mul(exp(t(x, 'a')), t(x, 'm')),
    ref: (x) => mulN(map(n(x, 'a'), Math.exp), n(x, 'm')),
  },
];

const reports: CheckReport[] = [];

describe('op forward values and gradients (onnxruntime-node vs float64 reference)', () => {
  it.each(OP_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const r = await checkOp(c);
    reports.push(r);
    expect(r.failures).toEqual([]);
  });
});

afterAll(() => {
  if (process.env['AUTODIFF_REPORT'] === undefined) return;
  const rows = reports.map((r) => `${r.name.padEnd(64)} fwd ${r.forwardMaxAbs.toExponential(1)}  grad abs ${r.gradMaxAbs.toExponential(1)} rel ${r.gradMaxRel.toExponential(1)}`);
  console.log(rows.join('\n'));
});
