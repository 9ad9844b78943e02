import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rotaryTables } from '@distillery/engine-ort';
import { CONFIG_FILE, GENERATION_CONFIG_FILE, type DecoderConfig, type Tensor } from '@distillery/models';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * The decoder with past as one ONNX model with dynamic axes, in the layout transformers.js (and Optimum's
 * `text-generation-with-past` export) loads: inputs `input_ids` [batch, seq], `attention_mask` [batch, past + seq]
 * (int64), `position_ids` [batch, seq], `past_key_values.{i}.key|value` [batch, kvHeads, past, headDim]; outputs
 * `logits` [batch, seq, vocab] and `present.{i}.key|value` [batch, kvHeads, past + seq, headDim]. The first call
 * feeds empty pasts (past = 0). libs/autodiff builds static shapes only, so this graph is written directly with
 * onnx-proto (opset 17): reshapes copy dynamic dims with 0 / infer them with −1, and the causal mask comes from
 * Shape + Range. The maths is the inference graphs' (rotary tables gathered by position id, grouped-query attention
 * by broadcasting, masked scores −1e9); the parity test runs it against them.
 */

export const ONNX_SUBDIR = 'onnx';
export const ONNX_MODEL_FILE = 'model.onnx';
export const ONNX_OPSET = 17;

type Attr = { readonly ints: readonly number[] } | { readonly int: number } | { readonly float: number };

const F32 = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('int' in a) return { name, type: T.INT, i: a.int };
  return { name, type: T.FLOAT, f: a.float };
}

const bytes = (a: Float32Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A tiny graph writer: every node gets a fresh output name. */
class Writer {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private count = 0;
  private readonly ints = new Map<string, string>();

  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? `/${opType}_${this.count}`;
    this.nodes.push({ name: `${opType}_${this.count++}`, opType, input: [...inputs], output: [out], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  weight(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push({ name, dims: [...dims], dataType: F32, rawData: bytes(data) });
    return name;
  }

  /** A 1-D int64 constant (shared by value). */
  i64(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.ints.get(key);
    if (name === undefined) {
      name = `/i64_${this.ints.size}`;
      this.initializers.push({ name, dims: [values.length], dataType: I64, rawData: bytes(BigInt64Array.from(values, (v) => BigInt(v))) });
      this.ints.set(key, name);
    }
    return name;
  }

  scalar(value: number): string {
    const name = `/f32_${this.count++}`;
    this.initializers.push({ name, dims: [], dataType: F32, rawData: bytes(Float32Array.of(value)) });
    return name;
  }
}

/** [out, in] (transformers) → [in, out], for MatMul over dynamic leading axes. */
function transposed(t: Tensor): Float32Array {
  const [out, inp] = t.shape as [number, number];
  const r = new Float32Array(out * inp);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) r[i * out + o] = t.data[o * inp + i] as number;
  return r;
}

const valueInfo = (name: string, elemType: number, dims: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/** The decoder-with-past model's bytes for a config and its (merged) weights by transformers name. */
export function decoderWithPastOnnx(config: DecoderConfig, weights: ReadonlyMap<string, Tensor>): Uint8Array {
  const w = new Writer();
  const h = config.num_attention_heads;
  const hkv = config.num_key_value_heads;
  const dh = config.head_dim;
  const group = h / hkv;
  const eps = w.scalar(config.rms_norm_eps);
  const get = (name: string): Tensor => {
    const t = weights.get(name);
    if (t === undefined) throw new Error(`the model has no weight ${name}`);
    return t;
  };
  const linear = (x: string, module: string, bias: boolean): string => {
    const y = w.op('MatMul', [x, w.weight(`${module}.weight_t`, [get(`${module}.weight`).shape[1] as number, get(`${module}.weight`).shape[0] as number], transposed(get(`${module}.weight`)))]);
    return bias ? w.op('Add', [y, w.weight(`${module}.bias`, get(`${module}.bias`).shape, get(`${module}.bias`).data)]) : y;
  };
  const rmsNorm = (x: string, name: string): string => {
    const ms = w.op('ReduceMean', [w.op('Mul', [x, x])], { axes: { ints: [-1] }, keepdims: { int: 1 } });
    const inv = w.op('Reciprocal', [w.op('Sqrt', [w.op('Add', [ms, eps])])]);
    return w.op('Mul', [w.op('Mul', [x, inv]), w.weight(name, get(name).shape, get(name).data)]);
  };

  // Dynamic sizes: S = seq, T = past + seq; query i sits at absolute slot T − S + i.
  const seq = w.op('Gather', [w.op('Shape', ['input_ids']), w.i64([1])], { axis: { int: 0 } });
  const total = w.op('Gather', [w.op('Shape', ['attention_mask']), w.i64([1])], { axis: { int: 0 } });
  const squeeze = (x: string) => w.op('Squeeze', [x, w.i64([0])]);
  const zero = squeeze(w.i64([0]));
  const one = squeeze(w.i64([1]));
  const queries = w.op('Add', [w.op('Range', [zero, squeeze(seq), one]), squeeze(w.op('Sub', [total, seq]))]);
  const keys = w.op('Range', [zero, squeeze(total), one]);
  const causal = w.op('LessOrEqual', [w.op('Unsqueeze', [keys, w.i64([0])]), w.op('Unsqueeze', [queries, w.i64([1])])]);
  const valid = w.op('Unsqueeze', [w.op('Cast', ['attention_mask'], { to: { int: BOOL } }), w.i64([1, 2, 3])]);
  const mask = w.op('And', [valid, causal]); // [B, 1, 1, S, T]: broadcasts over [B, kv, group, S, T]

  const tables = rotaryTables(config.max_position_embeddings, dh, config.rope_theta, config.rope_scaling?.factor ?? 1);
  const perToken = (name: string, table: Float32Array) => w.op('Unsqueeze', [w.op('Gather', [w.weight(name, [config.max_position_embeddings, dh], table), 'position_ids'], { axis: { int: 0 } }), w.i64([1])]);
  const cos = perToken('rotary.cos', tables.cos);
  const sin = perToken('rotary.sin', tables.sin);
  const rotate = new Float32Array(dh * dh);
  for (let j = 0; j < dh / 2; j++) {
    rotate[(j + dh / 2) * dh + j] = -1;
    rotate[j * dh + j + dh / 2] = 1;
  }
  const rotateHalf = w.weight('rotary.rotate_half', [dh, dh], rotate);
  const rope = (x: string) => w.op('Add', [w.op('Mul', [x, cos]), w.op('Mul', [w.op('MatMul', [x, rotateHalf]), sin])]);
  const heads = (x: string, n: number) => w.op('Transpose', [w.op('Reshape', [x, w.i64([0, 0, n, dh])])], { perm: { ints: [0, 2, 1, 3] } });
  const scale = w.scalar(1 / Math.sqrt(dh));
  const masked = w.scalar(-1e9);

  let hidden = w.op('Gather', [w.weight('model.embed_tokens.weight', get('model.embed_tokens.weight').shape, get('model.embed_tokens.weight').data), 'input_ids'], { axis: { int: 0 } });
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const x = rmsNorm(hidden, `${p}.input_layernorm.weight`);
    const q = rope(heads(linear(x, `${p}.self_attn.q_proj`, config.attention_bias), h));
    const k = w.op('Concat', [`past_key_values.${l}.key`, rope(heads(linear(x, `${p}.self_attn.k_proj`, config.attention_bias), hkv))], { axis: { int: 2 } }, `present.${l}.key`);
    const v = w.op('Concat', [`past_key_values.${l}.value`, heads(linear(x, `${p}.self_attn.v_proj`, config.attention_bias), hkv)], { axis: { int: 2 } }, `present.${l}.value`);
    const q5 = w.op('Reshape', [w.op('Mul', [q, scale]), w.i64([0, hkv, group, -1, dh])]);
    const k5 = w.op('Unsqueeze', [k, w.i64([2])]);
    const v5 = w.op('Unsqueeze', [v, w.i64([2])]);
    const scores = w.op('Where', [mask, w.op('MatMul', [q5, w.op('Transpose', [k5], { perm: { ints: [0, 1, 2, 4, 3] } })]), masked]);
    const ctx = w.op('MatMul', [w.op('Softmax', [scores], { axis: { int: -1 } }), v5]);
    const merged = w.op('Reshape', [w.op('Transpose', [w.op('Reshape', [ctx, w.i64([0, h, -1, dh])])], { perm: { ints: [0, 2, 1, 3] } }), w.i64([0, 0, h * dh])]);
    hidden = w.op('Add', [hidden, linear(merged, `${p}.self_attn.o_proj`, config.attention_out_bias)]);
    const y = rmsNorm(hidden, `${p}.post_attention_layernorm.weight`);
    const gate = linear(y, `${p}.mlp.gate_proj`, false);
    const act = w.op('Mul', [w.op('Mul', [gate, w.op('Sigmoid', [gate])]), linear(y, `${p}.mlp.up_proj`, false)]);
    hidden = w.op('Add', [hidden, linear(act, `${p}.mlp.down_proj`, false)]);
  }
  const head = config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  w.op('MatMul', [rmsNorm(hidden, 'model.norm.weight'), w.weight(`${head}_t`, [config.hidden_size, config.vocab_size], transposed(get(head)))], {}, 'logits');

  const past = (l: number, kind: 'key' | 'value') => valueInfo(`past_key_values.${l}.${kind}`, F32, ['batch_size', hkv, 'past_sequence_length', dh]);
  const present = (l: number, kind: 'key' | 'value') => valueInfo(`present.${l}.${kind}`, F32, ['batch_size', hkv, 'total_sequence_length', dh]);
  const layers = Array.from({ length: config.num_hidden_layers }, (_, l) => l);
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'distillery-inference',
    graph: {
      name: 'decoder_with_past',
      node: w.nodes,
      initializer: w.initializers,
      input: [
        valueInfo('input_ids', I64, ['batch_size', 'sequence_length']),
        valueInfo('attention_mask', I64, ['batch_size', 'total_sequence_length']),
        valueInfo('position_ids', I64, ['batch_size', 'sequence_length']),
        ...layers.flatMap((l) => [past(l, 'key'), past(l, 'value')]),
      ],
      output: [valueInfo('logits', F32, ['batch_size', 'sequence_length', config.vocab_size]), ...layers.flatMap((l) => [present(l, 'key'), present(l, 'value')])],
    },
  };
  const out = onnx.ModelProto.encode(model).finish();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Files copied next to the ONNX model when present in the source folder (config, tokenizer, chat template). */
const FOLDER_FILES = [CONFIG_FILE, GENERATION_CONFIG_FILE, 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/**
 * Writes `<dir>/onnx/model.onnx` and the source folder's config and tokenizer files (the transformers.js layout).
 * Weights are stored in the model itself, so models over 2 GB (protobuf's limit) are refused.
 */
export async function writeOnnxFolder(dir: string, source: string, config: DecoderConfig, weights: ReadonlyMap<string, Tensor>): Promise<{ dir: string; files: string[] }> {
  const total = [...weights.values()].reduce((n, t) => n + t.data.byteLength, 0);
  if (total > 1.9 * 2 ** 30) throw new RangeError(`the weights (${(total / 2 ** 30).toFixed(2)} GiB) exceed what one ONNX file holds without external data (2 GiB)`);
  const bytesOut = decoderWithPastOnnx(config, weights);
  await mkdir(join(dir, ONNX_SUBDIR), { recursive: true });
  await writeFile(join(dir, ONNX_SUBDIR, ONNX_MODEL_FILE), bytesOut);
  const files = [`${ONNX_SUBDIR}/${ONNX_MODEL_FILE}`];
  for (const f of FOLDER_FILES) {
    try {
      await copyFile(join(source, f), join(dir, f));
      files.push(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { dir, files };
}
