import type { Graph } from './graph.js';

/** Element types the builder knows. float32 is the only differentiable one. */
export type DType = 'float32' | 'int64' | 'bool';

export type Shape = readonly number[];

/** Raw data of a constant tensor: Float32Array for float32, BigInt64Array for int64, Uint8Array (0/1) for bool. */
export type TensorData = Float32Array | BigInt64Array | Uint8Array;

/**
 * Where a tensor comes from.
 * - `input`: a graph input fed per run (token ids, targets, masks, hyperparameters); never differentiated by default.
 * - `param`: a graph input that is trainable; `grad` differentiates with respect to these.
 * - `initializer`: a named constant stored in the model (frozen weights); never differentiated.
 * - `constant`: an anonymous constant (scalars, shapes, masks); never differentiated.
 * - `node`: the output of an op.
 */
export type TensorKind = 'input' | 'param' | 'initializer' | 'constant' | 'node';

/** A symbolic tensor: static shape and dtype, owned by one graph. Values only exist when ONNX Runtime runs the graph. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly kind: TensorKind,
    /** The producing node's index in graph.nodes, for kind `node`. */
    readonly nodeIndex = -1,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return numel(this.shape);
  }

  toString(): string {
    return `${this.name}[${this.shape.join(',')}]:${this.dtype}`;
  }
}

/** Name, shape and dtype of a graph input or output: the I/O contract a caller feeds and reads. */
export interface TensorSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: DType;
}

export const numel = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export const fmtShape = (shape: Shape): string => `[${shape.join(', ')}]`;

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export const specOf = (t: Tensor): TensorSpec => ({ name: t.name, shape: t.shape, dtype: t.dtype });
