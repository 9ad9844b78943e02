import { ShapeError } from '../errors.js';
import type { Graph } from '../graph.js';
import { expectDType, normAxis } from '../shape.js';
import { fmtShape, type DType, type Shape, type Tensor, type TensorData } from '../tensor.js';
import { cast, equal, gradOf } from './elementwise.js';
import { gemm } from './matmul.js';
import { reshape } from './shape-ops.js';

/**
 * How the gradient of gather (an embedding lookup) reaches the table:
 * - `scatter`: ScatterND(zeros, ids, g, reduction = add): O(tokens · width), independent of the vocabulary size.
 * - `onehot`: onehot(ids)ᵀ · g as one Gemm: O(tokens · vocab · width), but a single multi-threaded matrix product.
 */
export type EmbeddingGrad = 'scatter' | 'onehot';

const zeroOf: Record<DType, () => TensorData> = {
  float32: () => new Float32Array(1),
  int64: () => new BigInt64Array(1),
  bool: () => new Uint8Array(1),
};

/** A tensor of zeros made at run time by ConstantOfShape (nothing stored in the model). */
export function zeros(g: Graph, shape: Shape, dtype: DType = 'float32'): Tensor {
  return g.addNode1('ConstantOfShape', [g.int64s(shape)], { dtype, shape }, { value: { kind: 'tensor', dtype, shape: [1], data: zeroOf[dtype]() } });
}

/**
 * table[ids] along axis 0: table [V, ...rest], ids int64 of any shape → [...ids, ...rest]. Ids are never
 * differentiated; the table's gradient is chosen by `grad` (default scatter).
 */
export function gather(table: Tensor, ids: Tensor, options: { grad?: EmbeddingGrad } = {}): Tensor {
  expectDType('Gather', ids, 'int64');
  table.graph.own(ids, 'Gather');
  if (table.rank < 1) throw new ShapeError('Gather', `table must have rank >= 1, got ${fmtShape(table.shape)}`);
  const rest = table.shape.slice(1);
  const method = options.grad ?? 'scatter';
  return table.graph.addNode1('Gather', [table, ids], { dtype: table.dtype, shape: [...ids.shape, ...rest] }, { axis: { kind: 'int', value: 0 } }, (grads) => {
    const g = gradOf(grads);
    return [method === 'scatter' ? scatterAddRows(table, ids, g) : oneHotRows(table, ids, g), undefined];
  });
}

function scatterAddRows(table: Tensor, ids: Tensor, g: Tensor): Tensor {
  const gr = table.graph;
  const idx = reshape(ids, [...ids.shape, 1]);
  return gr.addNode1('ScatterND', [zeros(gr, table.shape), idx, g], { dtype: 'float32', shape: table.shape }, { reduction: { kind: 'string', value: 'add' } });
}

function oneHotRows(table: Tensor, ids: Tensor, g: Tensor): Tensor {
  const gr = table.graph;
  const vocab = table.shape[0] as number;
  const width = table.size / vocab;
  const tokens = ids.size;
  const range = gr.constant([vocab], BigInt64Array.from({ length: vocab }, (_, i) => BigInt(i)), 'int64');
  const onehot = cast(equal(reshape(ids, [tokens, 1]), range), 'float32');
  return reshape(gemm(onehot, reshape(g, [tokens, width]), true, false), table.shape);
}

/**
 * out[i][j] = data[i][indices[i][j]] along `axis` (ONNX GatherElements). indices is int64 with data's rank and the
 * same size on every other axis. The gradient scatters back with ScatterElements(reduction = add).
 */
export function gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
  expectDType('GatherElements', indices, 'int64');
  data.graph.own(indices, 'GatherElements');
  const a = normAxis('GatherElements', axis, data.rank);
  if (indices.rank !== data.rank || indices.shape.some((d, i) => i !== a && d !== data.shape[i])) {
    throw new ShapeError('GatherElements', `indices ${fmtShape(indices.shape)} must match data ${fmtShape(data.shape)} except on axis ${a}`);
  }
  const gr = data.graph;
  return gr.addNode1('GatherElements', [data, indices], { dtype: data.dtype, shape: indices.shape }, { axis: { kind: 'int', value: a } }, (grads) => [
    gr.addNode1('ScatterElements', [zeros(gr, data.shape), indices, gradOf(grads)], { dtype: 'float32', shape: data.shape }, {
      axis: { kind: 'int', value: a },
      reduction: { kind: 'string', value: 'add' },
    }),
    undefined,
  ]);
}
