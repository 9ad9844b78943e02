import { basename } from 'node:path';
import { eosTokenIds, expectedTensorShapes, readModelFolder, type DecoderConfig, type Tensor, type TokenizerFiles } from '@distillery/models';
import { GgufUnsupportedError } from './errors.js';
import { GGML_QUANTIZATION_VERSION, GGML_TYPES, GGUF_FILE_TYPE, GGUF_FILE_TYPES, type GgmlTypeName, type GgufFileType } from './ggml-types.js';
import type { GgufFile } from './gguf-reader.js';
import { gguf, type GgufValue } from './gguf-values.js';
import { GGUF_DEFAULT_ALIGNMENT, writeGgufFile, type GgufTensorSpec, type WrittenGgufFile } from './gguf-writer.js';
import { quantize } from './quants.js';
import { tokenizerMetadata } from './tokenizer-metadata.js';

/**
 * HF Llama-family folder (Llama, Mistral, Qwen2 — whatever libs/models parses into a DecoderConfig) → GGUF for
 * llama.cpp's `llama` architecture, the way llama.cpp's convert_hf_to_gguf.py does it for LlamaForCausalLM.
 */

/** One tensor of the export: where it comes from, what it is called in GGUF, how it is stored. */
export interface LlamaTensorPlan {
  /** transformers name (`model.layers.0.self_attn.q_proj.weight`). */
  readonly hfName: string;
  /** llama.cpp name (`blk.0.attn_q.weight`). */
  readonly name: string;
  /** Row-major shape of the HF tensor. */
  readonly shape: readonly number[];
  /** GGML dims: the shape reversed (ne[0] is the contiguous in-features dimension). */
  readonly dims: readonly number[];
  readonly type: GgmlTypeName;
  /** Rows are permuted from HF's rotate_half layout to GGML's interleaved rope layout, per head of this many heads. */
  readonly permuteHeads?: number;
}

const LAYER_NAMES: Readonly<Record<string, string>> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.o_proj.bias': 'attn_output.bias',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};

/** The llama.cpp tensor name of a transformers tensor name (gguf-py's tensor_mapping for LLAMA), or undefined. */
export function llamaTensorName(hfName: string): string | undefined {
  if (hfName === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hfName === 'model.norm.weight') return 'output_norm.weight';
  if (hfName === 'lm_head.weight') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const suffix = m ? LAYER_NAMES[m[2] as string] : undefined;
  return m && suffix ? `blk.${m[1]}.${suffix}` : undefined;
}

/**
 * llama.cpp's choice of layers that get more bits in the _M K-quant mixes: the first and last eighth of the layers,
 * and every third layer in between (`use_more_bits` in llama-quant.cpp).
 */
export const useMoreBits = (layer: number, layers: number): boolean =>
  layer < Math.trunc(layers / 8) || layer >= Math.trunc((7 * layers) / 8) || (layer - Math.trunc(layers / 8)) % 3 === 2;

/**
 * The storage type of one tensor in a file of `fileType`:
 * - 1-D tensors (norms, biases) stay F32 in every file: they are tiny and llama.cpp's ops on them (RMSNorm weight,
 *   bias add) work in F32 (gguf-py: `n_dims <= 1` → F32).
 * - A block type needs the row length (ne[0]) to be a multiple of 32; a tensor whose rows are not falls back to F16,
 *   as convert_hf_to_gguf.py does on its QuantError ("falling back to F16").
 * - In a Q4_0 file the output head (`output.weight`, or `token_embd.weight` when the head is tied to it) is Q8_0:
 *   llama-quantize gives the head more bits than the rest (Q6_K, or Q8_0 when the row length is not a multiple of
 *   256); in a Q4_0 file it is Q8_0 always (larger than Q6_K, and at least as precise).
 * - Q4_K_M follows llama-quantize's mix: the head Q6_K; `attn_v` and `ffn_down` Q6_K in the layers `useMoreBits`
 *   picks, Q4_K elsewhere; every other matrix Q4_K. K-quants need rows that are a multiple of 256; a tensor whose
 *   rows are not falls back to Q8_0 (llama-quantize uses Q5_0 for a Q4_K tensor there, a type not written here;
 *   Q8_0 is larger and more precise), and to F16 when not even a multiple of 32.
 */
export function llamaTensorType(name: string, dims: readonly number[], fileType: GgufFileType, tied: boolean, layers = 1): GgmlTypeName {
  if (dims.length <= 1 || fileType === 'F32') return 'F32';
  if (fileType === 'F16') return 'F16';
  const head = name === 'output.weight' || (tied && name === 'token_embd.weight');
  let wanted: GgmlTypeName;
  if (fileType === 'Q4_K_M') {
    const layer = Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? -1);
    const moreBits = layer >= 0 && /\.(attn_v|ffn_down)\.weight$/.test(name) && useMoreBits(layer, layers);
    wanted = head || moreBits ? 'Q6_K' : 'Q4_K';
    if ((dims[0] as number) % GGML_TYPES[wanted].blockSize !== 0) wanted = 'Q8_0';
  } else {
    wanted = fileType === 'Q4_0' && head ? 'Q8_0' : fileType;
  }
  return (dims[0] as number) % GGML_TYPES[wanted].blockSize === 0 ? wanted : 'F16';
}

/** Every tensor of the export, in llama.cpp's order (embedding, blocks, final norm, head). */
export function llamaTensorPlan(config: DecoderConfig, fileType: GgufFileType): LlamaTensorPlan[] {
  const plans: LlamaTensorPlan[] = [];
  for (const [hfName, shape] of expectedTensorShapes(config)) {
    const name = llamaTensorName(hfName);
    if (name === undefined) throw new GgufUnsupportedError(`tensor ${hfName} has no llama.cpp name`, 'tensor_name', hfName);
    const dims = [...shape].reverse();
    const permuteHeads = /\.q_proj\.(weight|bias)$/.test(hfName) ? config.num_attention_heads : /\.k_proj\.(weight|bias)$/.test(hfName) ? config.num_key_value_heads : undefined;
    plans.push({ hfName, name, shape, dims, type: llamaTensorType(name, dims, fileType, config.tie_word_embeddings, config.num_hidden_layers), ...(permuteHeads !== undefined ? { permuteHeads } : {}) });
  }
  const order = (n: string): number => (n.startsWith('token_embd') ? 0 : n.startsWith('blk.') ? 1 : n.startsWith('output_norm') ? 2 : 3);
  return plans.sort((a, b) => order(a.name) - order(b.name) || layerOf(a.name) - layerOf(b.name));
}

const layerOf = (name: string): number => Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? 0);

/**
 * Q/K row permutation for the `llama` architecture. transformers applies rotary embeddings in the "rotate_half"
 * layout: within a head of size d, element i pairs with element i + d/2. GGML's `llama` rope (GGML_ROPE_TYPE_NORMAL)
 * pairs adjacent elements 2i and 2i + 1. Reordering the output rows of q_proj / k_proj (and their biases) per head so
 * that row h·d + 2i + j takes HF row h·d + j·d/2 + i makes the two computations identical; it is exactly gguf-py's
 * `LlamaModel.permute` (`reshape(n_head, 2, d/2, …).swapaxes(1, 2)`), with n_head = the kv heads for k_proj.
 * (llama.cpp's `qwen2` architecture uses NEOX rope and skips this; exporting Qwen2 as `llama` needs it too.)
 */
export function permuteRopeRows(data: Float32Array, rows: number, heads: number): Float32Array {
  const cols = data.length / rows;
  const headDim = rows / heads;
  if (!Number.isInteger(cols) || !Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new GgufUnsupportedError(`cannot permute ${rows} rows for rope in ${heads} heads`, 'rope_permutation', { rows, heads });
  }
  const out = new Float32Array(data.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const dst = h * headDim + 2 * i + j;
        const src = h * headDim + j * half + i;
        out.set(data.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

/** The inverse of `permuteRopeRows` (GGML interleaved rows back to HF's rotate_half layout). */
export function unpermuteRopeRows(data: Float32Array, rows: number, heads: number): Float32Array {
  const cols = data.length / rows;
  const headDim = rows / heads;
  const out = new Float32Array(data.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const ggml = h * headDim + 2 * i + j;
        const hf = h * headDim + j * half + i;
        out.set(data.subarray(ggml * cols, (ggml + 1) * cols), hf * cols);
      }
    }
  }
  return out;
}

/**
 * The weights of a `llama` GGUF file back under their transformers names, dequantized to float32 and with the q/k
 * rows un-permuted: what engine-ort (or any HF-layout consumer) can run, e.g. to check a quantized file's maths
 * without llama.cpp. Head counts come from the file's metadata.
 */
export async function readLlamaWeights(file: GgufFile): Promise<Map<string, Tensor>> {
  const arch = file.value('general.architecture');
  if (arch !== 'llama') throw new GgufUnsupportedError(`${file.path}: general.architecture ${JSON.stringify(arch)} is not llama`, 'general.architecture', arch);
  const heads = file.value('llama.attention.head_count');
  const kvHeads = file.value('llama.attention.head_count_kv') ?? heads;
  if (typeof heads !== 'number' || typeof kvHeads !== 'number') throw new GgufUnsupportedError(`${file.path}: llama.attention.head_count is missing or not a number`, 'llama.attention.head_count', heads);
  const byGguf = new Map<string, string>();
  for (const t of file.tensors) {
    const m = /^blk\.(\d+)\.(.+)$/.exec(t.name);
    const hf = t.name === 'token_embd.weight' ? 'model.embed_tokens.weight' : t.name === 'output_norm.weight' ? 'model.norm.weight' : t.name === 'output.weight' ? 'lm_head.weight' : m ? Object.entries(LAYER_NAMES).find(([, g]) => g === m[2])?.[0] : undefined;
    if (hf === undefined) throw new GgufUnsupportedError(`${file.path}: tensor ${t.name} has no transformers name`, 'tensor_name', t.name);
    byGguf.set(t.name, m ? `model.layers.${m[1]}.${hf}` : hf);
  }
  const out = new Map<string, Tensor>();
  for (const t of file.tensors) {
    let data = await file.read(t.name);
    const permuteHeads = /\.attn_q\.(weight|bias)$/.test(t.name) ? heads : /\.attn_k\.(weight|bias)$/.test(t.name) ? kvHeads : undefined;
    if (permuteHeads !== undefined) data = unpermuteRopeRows(data, t.shape[0] as number, permuteHeads);
    out.set(byGguf.get(t.name) as string, { shape: t.shape, data });
  }
  return out;
}

export interface LlamaGgufOptions {
  readonly fileType: GgufFileType;
  /** `general.name` (default: the folder's name for `convertModelFolder`). */
  readonly name: string;
  /** generation_config.json, whose `eos_token_id` list (if any) adds end-of-generation ids. */
  readonly generationConfig?: Readonly<Record<string, unknown>>;
}

/**
 * The non-tokenizer metadata of a Llama export. Types are those gguf-py writes (llama.cpp checks them): counts and
 * lengths UINT32, rope base and RMS epsilon FLOAT32. `llama.rope.dimension_count` is the head size (llama.cpp
 * requires n_rot == head size for `llama`); key/value lengths are written only when the head size is not
 * hidden / heads (the default llama.cpp assumes).
 */
export function llamaMetadata(config: DecoderConfig, options: LlamaGgufOptions, quantized: boolean): Map<string, GgufValue> {
  const m = new Map<string, GgufValue>();
  m.set('general.architecture', gguf.string('llama'));
  m.set('general.name', gguf.string(options.name));
  m.set('general.file_type', gguf.uint32(GGUF_FILE_TYPE[options.fileType]));
  if (quantized) m.set('general.quantization_version', gguf.uint32(GGML_QUANTIZATION_VERSION));
  // Explicit, although 32 is the default: the data layout depends on it, so the file says so.
  m.set('general.alignment', gguf.uint32(GGUF_DEFAULT_ALIGNMENT));
  m.set('llama.vocab_size', gguf.uint32(config.vocab_size));
  m.set('llama.context_length', gguf.uint32(config.max_position_embeddings));
  m.set('llama.embedding_length', gguf.uint32(config.hidden_size));
  m.set('llama.block_count', gguf.uint32(config.num_hidden_layers));
  m.set('llama.feed_forward_length', gguf.uint32(config.intermediate_size));
  m.set('llama.attention.head_count', gguf.uint32(config.num_attention_heads));
  m.set('llama.attention.head_count_kv', gguf.uint32(config.num_key_value_heads));
  if (config.head_dim * config.num_attention_heads !== config.hidden_size) {
    m.set('llama.attention.key_length', gguf.uint32(config.head_dim));
    m.set('llama.attention.value_length', gguf.uint32(config.head_dim));
  }
  m.set('llama.rope.dimension_count', gguf.uint32(config.head_dim));
  m.set('llama.rope.freq_base', gguf.float32(config.rope_theta));
  m.set('llama.attention.layer_norm_rms_epsilon', gguf.float32(config.rms_norm_eps));
  if (config.rope_scaling !== null) {
    m.set('llama.rope.scaling.type', gguf.string('linear'));
    m.set('llama.rope.scaling.factor', gguf.float32(config.rope_scaling.factor));
  }
  return m;
}

/** Where the weights come from: transformers names, F32 data on demand (one tensor in memory at a time). */
export interface WeightSource {
  read(hfName: string): Promise<Float32Array> | Float32Array;
}

export interface WrittenLlamaGguf extends WrittenGgufFile {
  readonly fileType: GgufFileType;
  readonly plan: readonly LlamaTensorPlan[];
}

/** Writes `path` from a config, weights and tokenizer files (see `convertModelFolder` for a model folder). */
export async function writeLlamaGguf(path: string, input: { readonly config: DecoderConfig; readonly weights: WeightSource; readonly tokenizer: TokenizerFiles }, options: LlamaGgufOptions): Promise<WrittenLlamaGguf> {
  if (!(GGUF_FILE_TYPES as readonly string[]).includes(options.fileType)) {
    throw new GgufUnsupportedError(`file type ${String(options.fileType)} is not one of ${GGUF_FILE_TYPES.join(', ')}`, 'file_type', options.fileType);
  }
  const { config } = input;
  const plan = llamaTensorPlan(config, options.fileType);
  const quantized = plan.some((p) => GGML_TYPES[p.type].quantized);
  const generationEos = options.generationConfig?.['eos_token_id'];
  const eosIds = [...new Set([...eosTokenIds(config), ...(Array.isArray(generationEos) ? (generationEos as number[]) : typeof generationEos === 'number' ? [generationEos] : [])])];
  const metadata = llamaMetadata(config, options, quantized);
  for (const [k, v] of tokenizerMetadata(input.tokenizer, { vocabSize: config.vocab_size, bosTokenId: config.bos_token_id, eosTokenIds: eosIds, padTokenId: config.pad_token_id })) metadata.set(k, v);
  const tensors: GgufTensorSpec[] = plan.map((p) => ({
    name: p.name,
    type: p.type,
    dims: p.dims,
    data: async () => {
      const raw = await input.weights.read(p.hfName);
      const expected = p.shape.reduce((a, b) => a * b, 1);
      if (raw.length !== expected) throw new GgufUnsupportedError(`tensor ${p.hfName}: ${raw.length} values, its shape [${p.shape.join(', ')}] needs ${expected}`, 'tensor_data', raw.length);
      const rows = p.permuteHeads !== undefined ? permuteRopeRows(raw, p.shape[0] as number, p.permuteHeads) : raw;
      return quantize(p.type, rows);
    },
  }));
  const written = await writeGgufFile(path, metadata, tensors);
  return { ...written, fileType: options.fileType, plan };
}

/**
 * Converts an HF model folder (config.json, safetensors weights — single or sharded, any float dtype —, tokenizer.json,
 * tokenizer_config.json, generation_config.json) to one GGUF file.
 */
export async function convertModelFolder(dir: string, path: string, options: Omit<LlamaGgufOptions, 'name' | 'generationConfig'> & { readonly name?: string }): Promise<WrittenLlamaGguf> {
  const folder = await readModelFolder(dir);
  try {
    return await writeLlamaGguf(
      path,
      { config: folder.config, weights: { read: (n) => folder.checkpoint.read(n) }, tokenizer: folder.tokenizerFiles },
      { fileType: options.fileType, name: options.name ?? basename(dir), ...(folder.generationConfig ? { generationConfig: folder.generationConfig } : {}) },
    );
  } finally {
    await folder.close();
  }
}
