import { ModelConfigError, UnsupportedModelError, WeightsMismatchError } from './errors.js';

/**
 * config.json of the Llama decoder family → a typed, validated `DecoderConfig`. Field names are those of
 * config.json (snake_case), so a reader of the HF docs recognises them; defaults are transformers' for the family.
 * Anything that would change the maths of a plain Llama decoder (token embedding, RMSNorm, rotary attention with
 * grouped-query heads, SwiGLU, tied or untied head, optional q/k/v bias) and is not modelled here is refused with
 * an `UnsupportedModelError` naming the field and its value, never ignored.
 */

export const DECODER_MODEL_TYPES = ['llama', 'mistral', 'qwen2'] as const;
export type DecoderModelType = (typeof DECODER_MODEL_TYPES)[number];

export const ARCHITECTURES: Readonly<Record<DecoderModelType, string>> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

/** Position scaling of the rotary embedding: only linear interpolation (positions divided by `factor`). */
export interface LinearRopeScaling {
  readonly type: 'linear';
  readonly factor: number;
}

export interface DecoderConfig {
  readonly model_type: DecoderModelType;
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  /** Grouped-query attention: key/value heads (divides num_attention_heads; equal to it = multi-head attention). */
  readonly num_key_value_heads: number;
  readonly head_dim: number;
  readonly rms_norm_eps: number;
  readonly rope_theta: number;
  readonly rope_scaling: LinearRopeScaling | null;
  readonly max_position_embeddings: number;
  readonly tie_word_embeddings: boolean;
  /** q_proj, k_proj and v_proj have a bias (Qwen2 always; Llama when `attention_bias` is true). */
  readonly attention_bias: boolean;
  /** o_proj has a bias (Llama with `attention_bias: true` only; Qwen2's o_proj has none). */
  readonly attention_out_bias: boolean;
  readonly hidden_act: 'silu';
  readonly bos_token_id: number | null;
  /** One id, or several (any of them ends generation). */
  readonly eos_token_id: number | readonly number[] | null;
  readonly pad_token_id: number | null;
}

type Raw = Readonly<Record<string, unknown>>;

interface FamilyDefaults {
  readonly max_position_embeddings: number;
  readonly rms_norm_eps: number;
  readonly rope_theta: number;
  readonly bos_token_id: number | null;
  readonly eos_token_id: number | null;
}

const DEFAULTS: Readonly<Record<DecoderModelType, FamilyDefaults>> = {
  llama: { max_position_embeddings: 2048, rms_norm_eps: 1e-6, rope_theta: 10000, bos_token_id: 1, eos_token_id: 2 },
  mistral: { max_position_embeddings: 4096 * 32, rms_norm_eps: 1e-6, rope_theta: 10000, bos_token_id: 1, eos_token_id: 2 },
  qwen2: { max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 10000, bos_token_id: null, eos_token_id: null },
};
/** MistralConfig's default when config.json has no sliding_window at all. */
const MISTRAL_DEFAULT_SLIDING_WINDOW = 4096;

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

function refuse(file: string, field: string, value: unknown, why: string): never {
  throw new UnsupportedModelError(`${file}: ${field} ${show(value)} is not supported: ${why}`, field, value);
}

function positiveInt(raw: Raw, field: string, file: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (v === undefined) throw new ModelConfigError(`${file} has no ${field}`, field);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new ModelConfigError(`${file}: ${field} must be a positive integer (got ${show(v)})`, field);
  return v;
}

function positiveNumber(v: unknown, field: string, file: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ModelConfigError(`${file}: ${field} must be a positive number (got ${show(v)})`, field);
  return v;
}

function bool(raw: Raw, field: string, file: string, fallback: boolean): boolean {
  const v = raw[field] ?? fallback;
  if (typeof v !== 'boolean') throw new ModelConfigError(`${file}: ${field} must be true or false (got ${show(v)})`, field);
  return v;
}

function tokenId(raw: Raw, field: string, file: string, fallback: number | null): number | null {
  const v = raw[field] === undefined ? fallback : raw[field];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ModelConfigError(`${file}: ${field} must be a token id (got ${show(v)})`, field);
  return v;
}

function eosIds(raw: Raw, file: string, fallback: number | null): number | readonly number[] | null {
  const v = raw['eos_token_id'] === undefined ? fallback : raw['eos_token_id'];
  if (Array.isArray(v)) {
    if (v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
      throw new ModelConfigError(`${file}: eos_token_id must be a token id or a non-empty list of them (got ${show(v)})`, 'eos_token_id');
    }
    return v.length === 1 ? (v[0] as number) : [...(v as number[])];
  }
  return tokenId({ eos_token_id: v }, 'eos_token_id', file, null);
}

/** The rotary settings: `rope_theta` + `rope_scaling` (transformers 4.x) or `rope_parameters` (transformers 5). */
function rope(raw: Raw, file: string, defaultTheta: number): { rope_theta: number; rope_scaling: LinearRopeScaling | null } {
  const params = raw['rope_parameters'];
  const scaling = raw['rope_scaling'];
  let theta: unknown = raw['rope_theta'];
  let spec: unknown = scaling;
  let specField = 'rope_scaling';
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object' || Array.isArray(params)) throw new ModelConfigError(`${file}: rope_parameters must be an object`, 'rope_parameters');
    theta ??= (params as Raw)['rope_theta'];
    if (scaling === undefined || scaling === null) {
      spec = params;
      specField = 'rope_parameters';
    }
  }
  const rope_theta = positiveNumber(theta ?? defaultTheta, 'rope_theta', file);
  if (spec === undefined || spec === null) return { rope_theta, rope_scaling: null };
  if (typeof spec !== 'object' || Array.isArray(spec)) throw new ModelConfigError(`${file}: ${specField} must be an object or null`, specField);
  const s = spec as Raw;
  const kind = s['rope_type'] ?? s['type'] ?? 'default';
  const kindField = `${specField}.${'rope_type' in s ? 'rope_type' : 'type'}`;
  if (kind === 'default') return { rope_theta, rope_scaling: null };
  if (kind !== 'linear') refuse(file, kindField, kind, 'supported are none, default, linear');
  const factor = positiveNumber(s['factor'], `${specField}.factor`, file);
  return { rope_theta, rope_scaling: factor === 1 ? null : { type: 'linear', factor } };
}

/**
 * Validates a parsed config.json. `file` names it in messages. Throws `UnsupportedModelError` (field + value) for
 * anything outside the family and `ModelConfigError` for missing or malformed fields.
 */
export function parseDecoderConfig(json: unknown, file = 'config.json'): DecoderConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelConfigError(`${file} is not a JSON object`);
  const raw = json as Raw;
  const type = raw['model_type'];
  if (type === undefined) throw new ModelConfigError(`${file} has no model_type (supported are ${DECODER_MODEL_TYPES.join(', ')})`, 'model_type');
  if (!DECODER_MODEL_TYPES.includes(type as DecoderModelType)) refuse(file, 'model_type', type, `supported are ${DECODER_MODEL_TYPES.join(', ')}`);
  const model_type = type as DecoderModelType;
  const d = DEFAULTS[model_type];

  if (raw['quantization_config'] !== undefined && raw['quantization_config'] !== null) {
    const q = raw['quantization_config'] as Raw;
    refuse(file, 'quantization_config.quant_method', q['quant_method'] ?? q, 'quantized checkpoints cannot be trained here; use the unquantized weights');
  }
  const act = raw['hidden_act'] ?? 'silu';
  if (act !== 'silu' && act !== 'swish') refuse(file, 'hidden_act', act, 'supported is silu');
  if (model_type === 'llama' && raw['mlp_bias'] === true) refuse(file, 'mlp_bias', true, 'MLP biases are not modelled');

  const hidden_size = positiveInt(raw, 'hidden_size', file);
  const num_attention_heads = positiveInt(raw, 'num_attention_heads', file);
  const num_key_value_heads = positiveInt(raw, 'num_key_value_heads', file, num_attention_heads);
  if (num_attention_heads % num_key_value_heads !== 0) {
    throw new ModelConfigError(`${file}: num_attention_heads ${num_attention_heads} is not a multiple of num_key_value_heads ${num_key_value_heads}`, 'num_key_value_heads');
  }
  let head_dim: number;
  if (raw['head_dim'] === undefined || raw['head_dim'] === null) {
    if (hidden_size % num_attention_heads !== 0) {
      throw new ModelConfigError(`${file}: hidden_size ${hidden_size} is not divisible by num_attention_heads ${num_attention_heads} and head_dim is not given`, 'head_dim');
    }
    head_dim = hidden_size / num_attention_heads;
  } else {
    head_dim = positiveInt(raw, 'head_dim', file);
  }
  if (head_dim % 2 !== 0) throw new ModelConfigError(`${file}: head_dim ${head_dim} must be even for rotary embeddings`, 'head_dim');
  const max_position_embeddings = positiveInt(raw, 'max_position_embeddings', file, d.max_position_embeddings);

  if (model_type === 'mistral') {
    const window = 'sliding_window' in raw ? raw['sliding_window'] : MISTRAL_DEFAULT_SLIDING_WINDOW;
    if (window !== null && (typeof window !== 'number' || window < max_position_embeddings)) {
      refuse(file, 'sliding_window', window, `it is smaller than max_position_embeddings ${max_position_embeddings} and sliding-window attention is not modelled`);
    }
  }
  if (model_type === 'qwen2' && raw['use_sliding_window'] === true) {
    const window = raw['sliding_window'];
    if (typeof window !== 'number' || window < max_position_embeddings) {
      refuse(file, 'use_sliding_window', true, `sliding_window ${show(window)} is smaller than max_position_embeddings ${max_position_embeddings} and sliding-window attention is not modelled`);
    }
  }
  const layerTypes = raw['layer_types'];
  if (Array.isArray(layerTypes)) {
    const other = layerTypes.find((t) => t !== 'full_attention');
    if (other !== undefined) refuse(file, 'layer_types', other, 'only full_attention layers are modelled');
  }

  const qkvBias = model_type === 'qwen2' ? true : model_type === 'llama' ? bool(raw, 'attention_bias', file, false) : false;
  const config: DecoderConfig = {
    model_type,
    vocab_size: positiveInt(raw, 'vocab_size', file),
    hidden_size,
    intermediate_size: positiveInt(raw, 'intermediate_size', file),
    num_hidden_layers: positiveInt(raw, 'num_hidden_layers', file),
    num_attention_heads,
    num_key_value_heads,
    head_dim,
    rms_norm_eps: positiveNumber(raw['rms_norm_eps'] ?? d.rms_norm_eps, 'rms_norm_eps', file),
    ...rope(raw, file, d.rope_theta),
    max_position_embeddings,
    tie_word_embeddings: bool(raw, 'tie_word_embeddings', file, false),
    attention_bias: qkvBias,
    attention_out_bias: model_type === 'llama' && qkvBias,
    hidden_act: 'silu',
    bos_token_id: tokenId(raw, 'bos_token_id', file, d.bos_token_id),
    eos_token_id: eosIds(raw, file, d.eos_token_id),
    pad_token_id: tokenId(raw, 'pad_token_id', file, null),
  };
  for (const field of ['bos_token_id', 'pad_token_id'] as const) {
    const id = config[field];
    if (id !== null && id >= config.vocab_size) throw new ModelConfigError(`${file}: ${field} ${id} is outside the vocabulary (vocab_size ${config.vocab_size})`, field);
  }
  for (const id of eosTokenIds(config)) {
    if (id >= config.vocab_size) throw new ModelConfigError(`${file}: eos_token_id ${id} is outside the vocabulary (vocab_size ${config.vocab_size})`, 'eos_token_id');
  }
  return config;
}

export const eosTokenIds = (config: Pick<DecoderConfig, 'eos_token_id'>): number[] =>
  config.eos_token_id === null ? [] : typeof config.eos_token_id === 'number' ? [config.eos_token_id] : [...config.eos_token_id];

/** A config from the fields that matter, with the family's defaults for the rest (validated like config.json). */
export function decoderConfig(fields: Partial<DecoderConfig> & Pick<DecoderConfig, 'model_type' | 'vocab_size' | 'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads'>): DecoderConfig {
  const { attention_out_bias: _out, ...rest } = fields;
  return parseDecoderConfig(rest, 'decoderConfig()');
}

/** The config.json document transformers would write for this config (`parseDecoderConfig` reads it back equal). */
export function configToJson(config: DecoderConfig, extra: { readonly torch_dtype?: string } = {}): Record<string, unknown> {
  const json: Record<string, unknown> = {
    architectures: [ARCHITECTURES[config.model_type]],
    model_type: config.model_type,
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    intermediate_size: config.intermediate_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    num_key_value_heads: config.num_key_value_heads,
    head_dim: config.head_dim,
    hidden_act: config.hidden_act,
    max_position_embeddings: config.max_position_embeddings,
    rms_norm_eps: config.rms_norm_eps,
    rope_theta: config.rope_theta,
    rope_scaling: config.rope_scaling ? { rope_type: 'linear', type: 'linear', factor: config.rope_scaling.factor } : null,
    tie_word_embeddings: config.tie_word_embeddings,
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.pad_token_id,
    attention_dropout: 0,
    initializer_range: 0.02,
    use_cache: true,
  };
  if (config.model_type === 'llama') Object.assign(json, { attention_bias: config.attention_bias, mlp_bias: false });
  if (config.model_type === 'mistral') json['sliding_window'] = null;
  if (config.model_type === 'qwen2') Object.assign(json, { use_sliding_window: false, sliding_window: null });
  if (extra.torch_dtype) json['torch_dtype'] = extra.torch_dtype;
  return json;
}

/** Every tensor a transformers `*ForCausalLM` checkpoint of this config holds, with its shape, in layer order. */
export function expectedTensorShapes(config: DecoderConfig): Map<string, readonly number[]> {
  const H = config.hidden_size;
  const q = config.num_attention_heads * config.head_dim;
  const kv = config.num_key_value_heads * config.head_dim;
  const I = config.intermediate_size;
  const out = new Map<string, readonly number[]>();
  out.set('model.embed_tokens.weight', [config.vocab_size, H]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    out.set(`${p}.input_layernorm.weight`, [H]);
    out.set(`${p}.self_attn.q_proj.weight`, [q, H]);
    out.set(`${p}.self_attn.k_proj.weight`, [kv, H]);
    out.set(`${p}.self_attn.v_proj.weight`, [kv, H]);
    if (config.attention_bias) {
      out.set(`${p}.self_attn.q_proj.bias`, [q]);
      out.set(`${p}.self_attn.k_proj.bias`, [kv]);
      out.set(`${p}.self_attn.v_proj.bias`, [kv]);
    }
    out.set(`${p}.self_attn.o_proj.weight`, [H, q]);
    if (config.attention_out_bias) out.set(`${p}.self_attn.o_proj.bias`, [H]);
    out.set(`${p}.post_attention_layernorm.weight`, [H]);
    out.set(`${p}.mlp.gate_proj.weight`, [I, H]);
    out.set(`${p}.mlp.up_proj.weight`, [I, H]);
    out.set(`${p}.mlp.down_proj.weight`, [H, I]);
  }
  out.set('model.norm.weight', [H]);
  if (!config.tie_word_embeddings) out.set('lm_head.weight', [config.vocab_size, H]);
  return out;
}

/** Buffers some older checkpoints carry that are recomputed, never loaded. */
const IGNORED_TENSOR = /(^|\.)rotary_emb\.inv_freq$/;

export interface WeightsReport {
  readonly ok: boolean;
  readonly missing: readonly { readonly name: string; readonly expected: readonly number[] }[];
  readonly unexpected: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly misshaped: readonly { readonly name: string; readonly expected: readonly number[]; readonly actual: readonly number[] }[];
  /** Present and skipped: `rotary_emb.inv_freq` buffers, and `lm_head.weight` of a tied model (the embedding is used). */
  readonly ignored: readonly string[];
  /** One line per problem, for messages. */
  readonly problems: readonly string[];
}

/** Compares the tensors of a checkpoint (name → shape) with what the config needs; lists every difference. */
export function checkWeights(config: DecoderConfig, shapes: ReadonlyMap<string, readonly number[]> | Readonly<Record<string, readonly number[]>>): WeightsReport {
  const actual = shapes instanceof Map ? (shapes as ReadonlyMap<string, readonly number[]>) : new Map(Object.entries(shapes));
  const expected = expectedTensorShapes(config);
  const missing: { name: string; expected: readonly number[] }[] = [];
  const unexpected: { name: string; shape: readonly number[] }[] = [];
  const misshaped: { name: string; expected: readonly number[]; actual: readonly number[] }[] = [];
  const ignored: string[] = [];
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const [name, shape] of expected) {
    const got = actual.get(name);
    if (!got) missing.push({ name, expected: shape });
    else if (!same(got, shape)) misshaped.push({ name, expected: shape, actual: got });
  }
  for (const [name, shape] of actual) {
    if (expected.has(name)) continue;
    if (IGNORED_TENSOR.test(name)) ignored.push(name);
    else if (name === 'lm_head.weight' && config.tie_word_embeddings && same(shape, [config.vocab_size, config.hidden_size])) ignored.push(name);
    else unexpected.push({ name, shape });
  }
  const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
  const problems = [
    ...missing.map((m) => `missing ${m.name} ${fmt(m.expected)}`),
    ...misshaped.map((m) => `${m.name} has shape ${fmt(m.actual)}, expected ${fmt(m.expected)}`),
    ...unexpected.map((u) => `unexpected ${u.name} ${fmt(u.shape)}`),
  ];
  return { ok: problems.length === 0, missing, unexpected, misshaped, ignored, problems };
}

/** `checkWeights` that throws a `WeightsMismatchError` listing every problem (the first 20 in the message). */
export function assertWeights(config: DecoderConfig, shapes: ReadonlyMap<string, readonly number[]> | Readonly<Record<string, readonly number[]>>, where = 'the weights'): WeightsReport {
  const report = checkWeights(config, shapes);
  if (!report.ok) {
    const shown = report.problems.slice(0, 20).join('; ');
    const more = report.problems.length > 20 ? `; … and ${report.problems.length - 20} more` : '';
    throw new WeightsMismatchError(`${where} do not match the ${config.model_type} config (${report.problems.length} problems): ${shown}${more}`, report.problems);
  }
  return report;
}
