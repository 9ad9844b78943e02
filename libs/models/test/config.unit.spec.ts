import { describe, expect, it } from '@jest/globals';
import {
  assertWeights,
  checkWeights,
  configToJson,
  type DecoderConfig,
  decoderConfig,
  expectedTensorShapes,
  ModelConfigError,
  parseDecoderConfig,
  UnsupportedModelError,
  WeightsMismatchError,
} from '../src/index.js';
import { GPT2, LLAMA32_1B_INSTRUCT, MISTRAL_7B_V01, MISTRAL_7B_V03, QWEN25_05B_INSTRUCT, SMOLLM2_135M, TINYLLAMA_CHAT } from './support/configs.js';

const refusal = (json: unknown): UnsupportedModelError => {
  try {
    parseDecoderConfig(json);
  } catch (err) {
    expect(err).toBeInstanceOf(UnsupportedModelError);
    return err as UnsupportedModelError;
  }
  throw new Error('expected a refusal');
};

const malformed = (json: unknown): ModelConfigError => {
  try {
    parseDecoderConfig(json);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelConfigError);
    return err as ModelConfigError;
  }
  throw new Error('expected a ModelConfigError');
};

describe('accepted families', () => {
  it('SmolLM2 (a llama with GQA and tied embeddings)', () => {
    expect(parseDecoderConfig(SMOLLM2_135M)).toEqual({
      model_type: 'llama',
      vocab_size: 49152,
      hidden_size: 576,
      intermediate_size: 1536,
      num_hidden_layers: 30,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      head_dim: 64,
      rms_norm_eps: 1e-5,
      rope_theta: 100000,
      rope_scaling: null,
      max_position_embeddings: 8192,
      tie_word_embeddings: true,
      attention_bias: false,
      attention_out_bias: false,
      hidden_act: 'silu',
      bos_token_id: 0,
      eos_token_id: 0,
      pad_token_id: null,
    } satisfies DecoderConfig);
  });

  it('TinyLlama (untied head)', () => {
    const c = parseDecoderConfig(TINYLLAMA_CHAT);
    expect(c).toMatchObject({ model_type: 'llama', head_dim: 64, num_key_value_heads: 4, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2 });
    expect(expectedTensorShapes(c).get('lm_head.weight')).toEqual([32000, 2048]);
  });

  it('Qwen2 implies q/k/v biases (and no o_proj bias); its unused sliding window is fine', () => {
    const c = parseDecoderConfig(QWEN25_05B_INSTRUCT);
    expect(c).toMatchObject({ model_type: 'qwen2', attention_bias: true, attention_out_bias: false, head_dim: 64, num_key_value_heads: 2, rope_theta: 1e6, rms_norm_eps: 1e-6 });
    const shapes = expectedTensorShapes(c);
    expect(shapes.get('model.layers.0.self_attn.q_proj.bias')).toEqual([896]);
    expect(shapes.get('model.layers.0.self_attn.k_proj.bias')).toEqual([128]);
    expect(shapes.get('model.layers.23.self_attn.v_proj.bias')).toEqual([128]);
    expect(shapes.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(shapes.size).toBe(1 + 24 * 12 + 1);
  });

  it('Mistral without a sliding window', () => {
    expect(parseDecoderConfig(MISTRAL_7B_V03)).toMatchObject({ model_type: 'mistral', vocab_size: 32768, head_dim: 128, attention_bias: false, rope_theta: 1e6 });
  });

  it('Llama with attention_bias has biases on q, k, v and o', () => {
    const c = parseDecoderConfig({ ...TINYLLAMA_CHAT, attention_bias: true });
    expect(c).toMatchObject({ attention_bias: true, attention_out_bias: true });
    expect(expectedTensorShapes(c).get('model.layers.3.self_attn.o_proj.bias')).toEqual([2048]);
  });

  it('a list of eos ids is kept; a one-element list becomes the id', () => {
    expect(parseDecoderConfig({ ...TINYLLAMA_CHAT, eos_token_id: [2, 7] }).eos_token_id).toEqual([2, 7]);
    expect(parseDecoderConfig({ ...TINYLLAMA_CHAT, eos_token_id: [2] }).eos_token_id).toBe(2);
  });

  it('fills the family defaults', () => {
    const c = parseDecoderConfig({ model_type: 'llama', vocab_size: 100, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4 });
    expect(c).toMatchObject({ num_key_value_heads: 4, head_dim: 16, rope_theta: 10000, rms_norm_eps: 1e-6, max_position_embeddings: 2048, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2 });
    expect(parseDecoderConfig({ ...c, model_type: 'qwen2', bos_token_id: undefined, eos_token_id: undefined, max_position_embeddings: undefined })).toMatchObject({
      bos_token_id: null,
      eos_token_id: null,
      max_position_embeddings: 32768,
    });
  });

  it('rope scaling: none, default, linear; transformers 5 rope_parameters', () => {
    expect(parseDecoderConfig({ ...TINYLLAMA_CHAT, rope_scaling: { rope_type: 'default' } }).rope_scaling).toBeNull();
    expect(parseDecoderConfig({ ...TINYLLAMA_CHAT, rope_scaling: { type: 'linear', factor: 4 } }).rope_scaling).toEqual({ type: 'linear', factor: 4 });
    const v5 = { ...TINYLLAMA_CHAT, rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_type: 'linear', rope_theta: 50000, factor: 2 } };
    expect(parseDecoderConfig(v5)).toMatchObject({ rope_theta: 50000, rope_scaling: { type: 'linear', factor: 2 } });
  });

  it.each([
    ['SmolLM2', SMOLLM2_135M],
    ['TinyLlama', TINYLLAMA_CHAT],
    ['Qwen2.5', QWEN25_05B_INSTRUCT],
    ['Mistral v0.3', MISTRAL_7B_V03],
    ['linear rope, eos list', { ...TINYLLAMA_CHAT, rope_scaling: { type: 'linear', factor: 2 }, eos_token_id: [2, 3], pad_token_id: 0 }],
  ])('%s: configToJson is read back equal', (_name, json) => {
    const c = parseDecoderConfig(json);
    const written = configToJson(c, { torch_dtype: 'float32' });
    expect(written['architectures']).toEqual([(json as { architectures: string[] }).architectures[0]]);
    expect(parseDecoderConfig(JSON.parse(JSON.stringify(written)))).toEqual(c);
  });

  it('decoderConfig() builds a validated config from the fields that matter', () => {
    const c = decoderConfig({ model_type: 'qwen2', vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2 });
    expect(c).toMatchObject({ head_dim: 8, attention_bias: true, attention_out_bias: false });
    expect(() => decoderConfig({ model_type: 'llama', vocab_size: 64, hidden_size: 30, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 4 })).toThrow(
      /hidden_size 30 is not divisible by num_attention_heads 4/,
    );
  });
});

describe('refusals name the field and the value', () => {
  it('an unsupported model_type', () => {
    const err = refusal(GPT2);
    expect(err.message).toContain("model_type 'gpt2' is not supported: supported are llama, mistral, qwen2");
    expect(err.field).toBe('model_type');
    expect(err.value).toBe('gpt2');
    expect(refusal({ ...SMOLLM2_135M, model_type: 'smollm3' }).message).toContain("model_type 'smollm3' is not supported");
  });

  it('Mistral with a sliding window smaller than the context (or the default one)', () => {
    const err = refusal(MISTRAL_7B_V01);
    expect(err.field).toBe('sliding_window');
    expect(err.message).toContain('sliding_window 4096 is not supported: it is smaller than max_position_embeddings 32768');
    const { sliding_window: _w, ...noWindow } = MISTRAL_7B_V03;
    expect(refusal(noWindow).field).toBe('sliding_window');
    expect(parseDecoderConfig({ ...MISTRAL_7B_V01, sliding_window: 32768 }).model_type).toBe('mistral');
  });

  it('Qwen2 with sliding-window attention switched on', () => {
    const err = refusal({ ...QWEN25_05B_INSTRUCT, use_sliding_window: true, sliding_window: 4096 });
    expect(err.field).toBe('use_sliding_window');
    expect(err.message).toContain('sliding_window 4096 is smaller than max_position_embeddings 32768');
  });

  it('llama3, yarn and dynamic rope scaling', () => {
    const err = refusal(LLAMA32_1B_INSTRUCT);
    expect(err.field).toBe('rope_scaling.rope_type');
    expect(err.value).toBe('llama3');
    expect(err.message).toContain("rope_scaling.rope_type 'llama3' is not supported: supported are none, default, linear");
    expect(refusal({ ...TINYLLAMA_CHAT, rope_scaling: { type: 'dynamic', factor: 2 } }).field).toBe('rope_scaling.type');
    expect(refusal({ ...TINYLLAMA_CHAT, rope_parameters: { rope_type: 'yarn', factor: 4 } }).field).toBe('rope_parameters.rope_type');
  });

  it('other activations, MLP biases, quantized weights, sliding layers', () => {
    expect(refusal({ ...TINYLLAMA_CHAT, hidden_act: 'gelu' })).toMatchObject({ field: 'hidden_act', value: 'gelu' });
    expect(refusal({ ...TINYLLAMA_CHAT, mlp_bias: true })).toMatchObject({ field: 'mlp_bias', value: true });
    expect(refusal({ ...TINYLLAMA_CHAT, quantization_config: { quant_method: 'gptq', bits: 4 } })).toMatchObject({
      field: 'quantization_config.quant_method',
      value: 'gptq',
    });
    expect(refusal({ ...QWEN25_05B_INSTRUCT, layer_types: ['full_attention', 'sliding_attention'] })).toMatchObject({ field: 'layer_types', value: 'sliding_attention' });
  });
});

describe('malformed configs', () => {
  it.each([
    [{ ...TINYLLAMA_CHAT, hidden_size: undefined }, 'hidden_size', /config\.json has no hidden_size/],
    [{ ...TINYLLAMA_CHAT, num_hidden_layers: 2.5 }, 'num_hidden_layers', /num_hidden_layers must be a positive integer \(got 2\.5\)/],
    [{ ...TINYLLAMA_CHAT, num_key_value_heads: 5 }, 'num_key_value_heads', /num_attention_heads 32 is not a multiple of num_key_value_heads 5/],
    [{ ...TINYLLAMA_CHAT, head_dim: 63 }, 'head_dim', /head_dim 63 must be even/],
    [{ ...TINYLLAMA_CHAT, eos_token_id: 32000 }, 'eos_token_id', /eos_token_id 32000 is outside the vocabulary \(vocab_size 32000\)/],
    [{ ...TINYLLAMA_CHAT, tie_word_embeddings: 'yes' }, 'tie_word_embeddings', /tie_word_embeddings must be true or false/],
    [{ ...TINYLLAMA_CHAT, rms_norm_eps: 0 }, 'rms_norm_eps', /rms_norm_eps must be a positive number/],
    [{ ...TINYLLAMA_CHAT, model_type: undefined }, 'model_type', /has no model_type/],
  ])('%#: %s', (json, field, message) => {
    const err = malformed(json);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('not an object', () => {
    expect(() => parseDecoderConfig([1, 2], 'x/config.json')).toThrow(/x\/config\.json is not a JSON object/);
  });
});

describe('checkWeights', () => {
  const tiny = decoderConfig({ model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1 });

  it('a complete set passes', () => {
    const report = checkWeights(tiny, expectedTensorShapes(tiny));
    expect(report).toMatchObject({ ok: true, missing: [], unexpected: [], misshaped: [], problems: [] });
    expect([...expectedTensorShapes(tiny).keys()]).toContain('model.layers.1.mlp.down_proj.weight');
    expect(expectedTensorShapes(tiny).get('model.layers.1.self_attn.k_proj.weight')).toEqual([4, 8]);
  });

  it('lists every missing, unexpected and mis-shaped tensor', () => {
    const shapes = new Map(expectedTensorShapes(tiny));
    shapes.delete('model.layers.1.mlp.up_proj.weight');
    shapes.delete('model.norm.weight');
    shapes.set('model.layers.0.self_attn.k_proj.weight', [8, 8]);
    shapes.set('model.layers.2.input_layernorm.weight', [8]);
    const report = checkWeights(tiny, shapes);
    expect(report.ok).toBe(false);
    expect(report.missing.map((m) => m.name)).toEqual(['model.layers.1.mlp.up_proj.weight', 'model.norm.weight']);
    expect(report.misshaped).toEqual([{ name: 'model.layers.0.self_attn.k_proj.weight', expected: [4, 8], actual: [8, 8] }]);
    expect(report.unexpected).toEqual([{ name: 'model.layers.2.input_layernorm.weight', shape: [8] }]);
    expect(report.problems).toEqual([
      'missing model.layers.1.mlp.up_proj.weight [12, 8]',
      'missing model.norm.weight [8]',
      'model.layers.0.self_attn.k_proj.weight has shape [8, 8], expected [4, 8]',
      'unexpected model.layers.2.input_layernorm.weight [8]',
    ]);
    expect(() => assertWeights(tiny, shapes)).toThrow(WeightsMismatchError);
    expect(() => assertWeights(tiny, shapes, 'the weights in /m')).toThrow(/the weights in \/m do not match the llama config \(4 problems\): missing model\.layers\.1/);
  });

  it('ignores rotary inv_freq buffers and a tied model’s lm_head; an untied model needs its lm_head', () => {
    const tied = { ...tiny, tie_word_embeddings: true };
    const shapes = new Map(expectedTensorShapes(tied));
    shapes.set('model.layers.0.self_attn.rotary_emb.inv_freq', [2]);
    shapes.set('lm_head.weight', [10, 8]);
    const report = checkWeights(tied, shapes);
    expect(report.ok).toBe(true);
    expect(report.ignored).toEqual(['model.layers.0.self_attn.rotary_emb.inv_freq', 'lm_head.weight']);
    shapes.delete('lm_head.weight');
    expect(checkWeights(tiny, shapes).missing).toEqual([{ name: 'lm_head.weight', expected: [10, 8] }]);
  });
});
