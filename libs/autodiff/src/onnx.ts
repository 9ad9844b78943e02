import onnxProto from 'onnx-proto';
import { AutodiffError, AutodiffErrorCodes } from './errors.js';
import { bytesOf, type Attr, type Graph } from './graph.js';
import type { DType, Shape, Tensor } from './tensor.js';

const { onnx } = onnxProto;

/** ONNX opset (default domain) and IR version every serialized model declares. */
export const OPSET_VERSION = 17;
export const IR_VERSION = 8;

const ELEM_TYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9 };

export interface SerializeOptions {
  /** Graph name in the model (default "distillery"). */
  readonly name?: string;
  /** Free text stored as the model's doc string. */
  readonly docString?: string;
}

const encoder = new TextEncoder();

function valueInfo(name: string, dtype: DType, shape: Shape): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: ELEM_TYPE[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: encoder.encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: { dims: [...a.shape], dataType: ELEM_TYPE[a.dtype], rawData: bytesOf(a.data) } };
  }
}

/**
 * Writes the graph as one ONNX model (opset 17, IR 8) and returns its bytes. Every declared input is kept, in
 * declaration order, so the I/O contract does not depend on what the outputs use; nodes and constants that no output
 * needs are left out. The same graph always gives the same bytes.
 */
export function serialize(graph: Graph, options: SerializeOptions = {}): Uint8Array {
  if (graph.outputs.length === 0) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, 'the graph declares no outputs', 'serialize');

  // Keep only the nodes some output depends on.
  const needed = new Set(graph.outputs.map((o) => o.tensor.id));
  const keep: boolean[] = new Array<boolean>(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (node === undefined || !node.outputs.some((t) => needed.has(t.id))) continue;
    keep[i] = true;
    for (const t of node.inputs) needed.add(t.id);
  }

  // A node output that is a graph output takes the output's name; anything else gets an Identity node.
  const rename = new Map<number, string>();
  const identities: onnxProto.onnx.INodeProto[] = [];
  for (const { name, tensor } of graph.outputs) {
    if (tensor.kind === 'node' && !rename.has(tensor.id)) rename.set(tensor.id, name);
    else identities.push({ input: [rename.get(tensor.id) ?? tensor.name], output: [name], name: `Identity_${name}`, opType: 'Identity' });
  }
  const nameOf = (t: Tensor): string => rename.get(t.id) ?? t.name;

  const nodes: onnxProto.onnx.INodeProto[] = [];
  graph.nodes.forEach((node, i) => {
    if (!keep[i]) return;
    nodes.push({
      input: node.inputs.map(nameOf),
      output: node.outputs.map(nameOf),
      name: `${node.op}_${node.index}`,
      opType: node.op,
      attribute: Object.keys(node.attrs)
        .sort()
        .map((k) => attribute(k, node.attrs[k] as Attr)),
    });
  });

  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'distillery-autodiff',
    ...(options.docString === undefined ? {} : { docString: options.docString }),
    graph: {
      name: options.name ?? 'distillery',
      node: [...nodes, ...identities],
      input: graph.inputs.map((t) => valueInfo(t.name, t.dtype, t.shape)),
      output: graph.outputs.map((o) => valueInfo(o.name, o.tensor.dtype, o.tensor.shape)),
      initializer: graph.initializers
        .filter((init) => needed.has(init.tensor.id))
        .map((init) => ({ name: init.tensor.name, dims: [...init.tensor.shape], dataType: ELEM_TYPE[init.tensor.dtype], rawData: bytesOf(init.data) })),
    },
  };
  const bytes = onnx.ModelProto.encode(model).finish();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
