import { AutodiffError, AutodiffErrorCodes } from './errors.js';
import { fmtShape, numel, Tensor, type DType, type Shape, type TensorData, type TensorSpec } from './tensor.js';

/** An ONNX attribute with its type spelled out (ints and floats are both JS numbers). */
export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly dtype: DType; readonly shape: Shape; readonly data: TensorData };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  tensor: (dtype: DType, shape: Shape, data: TensorData): Attr => ({ kind: 'tensor', dtype, shape, data }),
};

/**
 * Vector-Jacobian product of one node: given the gradients of its outputs (undefined for an output no gradient
 * reached), return the gradients of its inputs. `needs[i]` says whether input i wants one; return undefined otherwise.
 * Each returned gradient must have its input's shape (grad checks this).
 */
export type Vjp = (grads: readonly (Tensor | undefined)[], needs: readonly boolean[]) => readonly (Tensor | undefined)[];

export interface OpNode {
  readonly index: number;
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: Readonly<Record<string, Attr>>;
  /** Undefined: the op has no gradient (grad throws if one is needed through it). */
  readonly vjp?: Vjp;
}

export interface Initializer {
  readonly tensor: Tensor;
  readonly data: TensorData;
}

export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** Graph-level names must not start with '/': generated names (node outputs, anonymous constants) do. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;

const SMALL_CONSTANT = 64;

const expectedArray: Record<DType, string> = { float32: 'Float32Array', int64: 'BigInt64Array', bool: 'Uint8Array' };

function dataMatches(dtype: DType, data: TensorData): boolean {
  // Checked by tag, not instanceof, so typed arrays from another realm (Jest vm contexts) are accepted too.
  return Object.prototype.toString.call(data) === `[object ${expectedArray[dtype]}]`;
}

function checkShape(shape: Shape, what: string): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `${what}: shape ${fmtShape(shape)} must be non-negative integers`);
  }
}

/**
 * A forward (and, after grad, backward) computation over symbolic tensors with static shapes. Nodes are appended in
 * creation order, which is a topological order; serialize() writes them as one ONNX graph (opset 17, IR 8).
 */
export class Graph {
  readonly nodes: OpNode[] = [];
  /** Graph inputs (kind input and param) in declaration order. */
  readonly inputs: Tensor[] = [];
  readonly initializers: Initializer[] = [];
  readonly outputs: { readonly name: string; readonly tensor: Tensor }[] = [];
  private readonly names = new Set<string>();
  private readonly constantCache = new Map<string, Tensor>();
  private nextId = 0;

  /** A float32 (or int64/bool) tensor fed on every run: data, targets, masks, hyperparameters. */
  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    const t = this.declare(name, shape, dtype, 'input');
    this.inputs.push(t);
    return t;
  }

  /** A trainable float32 parameter, fed as a graph input (the optimizer step returns its new value). */
  param(name: string, shape: Shape): Tensor {
    const t = this.declare(name, shape, 'float32', 'param');
    this.inputs.push(t);
    return t;
  }

  /** A named constant stored in the model, e.g. a frozen base weight. Never differentiated. */
  initializer(name: string, shape: Shape, data: TensorData, dtype: DType = 'float32'): Tensor {
    this.checkData(name, shape, data, dtype);
    const t = this.declare(name, shape, dtype, 'initializer');
    this.initializers.push({ tensor: t, data });
    return t;
  }

  /** An anonymous constant. Small constants with equal dtype, shape and bytes are shared. */
  constant(shape: Shape, data: TensorData, dtype: DType = 'float32'): Tensor {
    this.checkData('constant', shape, data, dtype);
    const key = data.length <= SMALL_CONSTANT ? `${dtype}|${shape.join(',')}|${bytesOf(data).join(',')}` : undefined;
    const cached = key === undefined ? undefined : this.constantCache.get(key);
    if (cached !== undefined) return cached;
    const id = this.nextId++;
    const t = new Tensor(this, id, `/const_${id}`, [...shape], dtype, 'constant');
    this.initializers.push({ tensor: t, data });
    if (key !== undefined) this.constantCache.set(key, t);
    return t;
  }

  /** A float32 (default) or int64 scalar constant (shape []). */
  scalar(value: number, dtype: 'float32' | 'int64' = 'float32'): Tensor {
    return dtype === 'float32' ? this.constant([], Float32Array.of(value)) : this.constant([], BigInt64Array.of(BigInt(value)), 'int64');
  }

  /** A 1-D int64 constant, e.g. a shape or an axes list. */
  int64s(values: readonly number[]): Tensor {
    return this.constant([values.length], BigInt64Array.from(values, (v) => BigInt(v)), 'int64');
  }

  /** Declares a graph output. The same tensor may be output under several names. */
  output(name: string, tensor: Tensor): void {
    this.own(tensor, 'output');
    this.reserve(name);
    this.outputs.push({ name, tensor });
  }

  /** Appends a node and returns its output tensors. Ops call this; shapes must already be inferred. */
  addNode(
    op: string,
    inputs: readonly Tensor[],
    outputs: readonly OutputSpec[],
    attrs: Readonly<Record<string, Attr>> = {},
    vjp?: Vjp,
  ): Tensor[] {
    for (const t of inputs) this.own(t, op);
    const index = this.nodes.length;
    const outs = outputs.map((o, k) => {
      const id = this.nextId++;
      const name = outputs.length === 1 ? `/${op}_${index}` : `/${op}_${index}:${k}`;
      return new Tensor(this, id, name, [...o.shape], o.dtype, 'node', index);
    });
    this.nodes.push({ index, op, inputs: [...inputs], outputs: outs, attrs, ...(vjp === undefined ? {} : { vjp }) });
    return outs;
  }

  /** Like addNode for the common single-output case. */
  addNode1(op: string, inputs: readonly Tensor[], out: OutputSpec, attrs: Readonly<Record<string, Attr>> = {}, vjp?: Vjp): Tensor {
    const [t] = this.addNode(op, inputs, [out], attrs, vjp);
    return t as Tensor;
  }

  /** The trainable parameters, in declaration order. */
  get params(): Tensor[] {
    return this.inputs.filter((t) => t.kind === 'param');
  }

  inputSpecs(): TensorSpec[] {
    return this.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype }));
  }

  outputSpecs(): TensorSpec[] {
    return this.outputs.map((o) => ({ name: o.name, shape: o.tensor.shape, dtype: o.tensor.dtype }));
  }

  /** Throws unless the tensor belongs to this graph. */
  own(t: Tensor, op: string): void {
    if (t.graph !== this) throw new AutodiffError(AutodiffErrorCodes.GRAPH_MISMATCH, `tensor ${t.name} belongs to another graph`, op);
  }

  private declare(name: string, shape: Shape, dtype: DType, kind: 'input' | 'param' | 'initializer'): Tensor {
    checkShape(shape, name);
    this.reserve(name);
    return new Tensor(this, this.nextId++, name, [...shape], dtype, kind);
  }

  private reserve(name: string): void {
    if (!NAME.test(name)) {
      throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `name "${name}" must match ${NAME.source} (names starting with '/' are generated)`);
    }
    if (this.names.has(name)) throw new AutodiffError(AutodiffErrorCodes.DUPLICATE_NAME, `name "${name}" is already used in this graph`);
    this.names.add(name);
  }

  private checkData(name: string, shape: Shape, data: TensorData, dtype: DType): void {
    checkShape(shape, name);
    if (!dataMatches(dtype, data)) {
      throw new AutodiffError(AutodiffErrorCodes.DTYPE_MISMATCH, `${name}: ${dtype} data must be a ${expectedArray[dtype]}`);
    }
    if (data.length !== numel(shape)) {
      throw new AutodiffError(AutodiffErrorCodes.SHAPE_MISMATCH, `${name}: ${data.length} values do not fill shape ${fmtShape(shape)}`);
    }
  }
}

/** The little-endian bytes of a typed array (a view, not a copy; every supported platform is little-endian). */
export function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
