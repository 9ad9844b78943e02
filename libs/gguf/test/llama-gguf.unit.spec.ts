// The Llama mapping without llama.cpp: tensor names, the rope row permutation (checked against the two rope layouts
// it converts between), storage types per tensor and file type, metadata types, and the tokenizer's GGUF metadata.
import { describe, expect, it } from '@jest/globals';
import type { TokenizerFiles } from '@distillery/models';
import {
  GGUF_TOKEN_TYPE,
  GgufUnsupportedError,
  ggufPreTokenizer,
  llamaMetadata,
  llamaTensorName,
  llamaTensorPlan,
  llamaTensorType,
  permuteRopeRows,
  PRE_TOKENIZER_REGEX,
  tokenizerMetadata,
} from '../src/index.js';
import { aliceTokenizer, prng, tinyLlamaConfig } from './support/tiny-llama.js';

describe('tensor names', () => {
  it('maps every transformers tensor of an untied model with biases to its llama.cpp name', () => {
    const config = tinyLlamaConfig({ attention_bias: true, num_hidden_layers: 1 });
    expect(llamaTensorPlan(config, 'F32').map((p) => `${p.hfName} → ${p.name}`)).toEqual([
      'model.embed_tokens.weight → token_embd.weight',
      'model.layers.0.input_layernorm.weight → blk.0.attn_norm.weight',
      'model.layers.0.self_attn.q_proj.weight → blk.0.attn_q.weight',
      'model.layers.0.self_attn.k_proj.weight → blk.0.attn_k.weight',
      'model.layers.0.self_attn.v_proj.weight → blk.0.attn_v.weight',
      'model.layers.0.self_attn.q_proj.bias → blk.0.attn_q.bias',
      'model.layers.0.self_attn.k_proj.bias → blk.0.attn_k.bias',
      'model.layers.0.self_attn.v_proj.bias → blk.0.attn_v.bias',
      'model.layers.0.self_attn.o_proj.weight → blk.0.attn_output.weight',
      'model.layers.0.self_attn.o_proj.bias → blk.0.attn_output.bias',
      'model.layers.0.post_attention_layernorm.weight → blk.0.ffn_norm.weight',
      'model.layers.0.mlp.gate_proj.weight → blk.0.ffn_gate.weight',
      'model.layers.0.mlp.up_proj.weight → blk.0.ffn_up.weight',
      'model.layers.0.mlp.down_proj.weight → blk.0.ffn_down.weight',
      'model.norm.weight → output_norm.weight',
      'lm_head.weight → output.weight',
    ]);
  });

  it('a tied model has no output tensor; layers come in numeric order; dims are the shape reversed', () => {
    const plan = llamaTensorPlan(tinyLlamaConfig({ tie_word_embeddings: true, num_hidden_layers: 12 }), 'F32');
    expect(plan.some((p) => p.name === 'output.weight')).toBe(false);
    const layers = plan.filter((p) => p.name.endsWith('attn_norm.weight')).map((p) => p.name);
    expect(layers).toEqual(Array.from({ length: 12 }, (_, i) => `blk.${i}.attn_norm.weight`));
    const k = plan.find((p) => p.name === 'blk.0.attn_k.weight');
    expect(k).toMatchObject({ shape: [32, 64], dims: [64, 32], permuteHeads: 2 });
    expect(plan.find((p) => p.name === 'blk.0.attn_q.weight')?.permuteHeads).toBe(4);
    expect(plan.find((p) => p.name === 'blk.0.attn_v.weight')?.permuteHeads).toBeUndefined();
    expect(llamaTensorName('model.rotary_emb.inv_freq')).toBeUndefined();
  });
});

describe('rope permutation', () => {
  it('reorders rows within each head: row h·d + 2i + j ← row h·d + j·d/2 + i', () => {
    const rows = Float32Array.from({ length: 8 }, (_, i) => i); // 2 heads of 4, one column
    expect([...permuteRopeRows(rows, 8, 2)]).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    const wide = Float32Array.from({ length: 12 }, (_, i) => i); // 1 head of 6 rows × 2 columns
    expect([...permuteRopeRows(wide, 6, 1)]).toEqual([0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]);
  });

  it('HF rotate_half rope then permute = permute then GGML adjacent-pair rope, for every position', () => {
    const d = 16;
    const heads = 3;
    const rand = prng(3);
    const q = Float64Array.from({ length: d * heads }, () => rand() - 0.5);
    const theta = (i: number, pos: number) => pos * 10000 ** ((-2 * i) / d);
    const hfRope = (x: Float64Array, pos: number) => {
      const out = new Float64Array(x.length);
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < d / 2; i++) {
          const a = x[h * d + i]!;
          const b = x[h * d + i + d / 2]!;
          const [c, s] = [Math.cos(theta(i, pos)), Math.sin(theta(i, pos))];
          out[h * d + i] = a * c - b * s;
          out[h * d + i + d / 2] = b * c + a * s;
        }
      }
      return out;
    };
    const ggmlRope = (x: Float32Array, pos: number) => {
      const out = new Float64Array(x.length);
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < d / 2; i++) {
          const a = x[h * d + 2 * i]!;
          const b = x[h * d + 2 * i + 1]!;
          const [c, s] = [Math.cos(theta(i, pos)), Math.sin(theta(i, pos))];
          out[h * d + 2 * i] = a * c - b * s;
          out[h * d + 2 * i + 1] = a * s + b * c;
        }
      }
      return out;
    };
    for (const pos of [0, 1, 7, 100]) {
      const left = permuteRopeRows(Float32Array.from(hfRope(q, pos)), d * heads, heads);
      const right = ggmlRope(permuteRopeRows(Float32Array.from(q), d * heads, heads), pos);
      for (let i = 0; i < q.length; i++) expect(Math.abs(left[i]! - right[i]!)).toBeLessThan(1e-6);
    }
    // Without the permutation the layouts disagree (the property is not vacuous).
    const unpermuted = ggmlRope(Float32Array.from(q), 7);
    expect(Math.max(...hfRope(q, 7).map((v, i) => Math.abs(v - unpermuted[i]!)))).toBeGreaterThan(0.01);
  });
});

describe('storage types', () => {
  it('1-D stays F32; F16 files are F16; Q files fall back to F16 when rows are not whole blocks; Q4_0 heads are Q8_0', () => {
    expect(llamaTensorType('blk.0.attn_norm.weight', [64], 'Q4_0', false)).toBe('F32');
    expect(llamaTensorType('blk.0.attn_q.bias', [64], 'F16', false)).toBe('F32');
    expect(llamaTensorType('blk.0.attn_q.weight', [64, 64], 'F32', false)).toBe('F32');
    expect(llamaTensorType('blk.0.attn_q.weight', [64, 64], 'F16', false)).toBe('F16');
    expect(llamaTensorType('blk.0.attn_q.weight', [64, 64], 'Q8_0', false)).toBe('Q8_0');
    expect(llamaTensorType('blk.0.ffn_down.weight', [40, 16], 'Q4_0', false)).toBe('F16');
    expect(llamaTensorType('output.weight', [64, 512], 'Q4_0', false)).toBe('Q8_0');
    expect(llamaTensorType('token_embd.weight', [64, 512], 'Q4_0', false)).toBe('Q4_0');
    expect(llamaTensorType('token_embd.weight', [64, 512], 'Q4_0', true)).toBe('Q8_0');
    expect(llamaTensorType('output.weight', [64, 512], 'Q8_0', false)).toBe('Q8_0');
  });
});

describe('metadata', () => {
  it('writes the llama keys with the types llama.cpp reads them as', () => {
    const m = llamaMetadata(tinyLlamaConfig({ rope_theta: 5e5, rms_norm_eps: 1e-6 }), { fileType: 'Q4_0', name: 'tiny' }, true);
    expect(Object.fromEntries(m)).toEqual({
      'general.architecture': { type: 'string', value: 'llama' },
      'general.name': { type: 'string', value: 'tiny' },
      'general.file_type': { type: 'uint32', value: 2 },
      'general.quantization_version': { type: 'uint32', value: 2 },
      'general.alignment': { type: 'uint32', value: 32 },
      'llama.vocab_size': { type: 'uint32', value: 512 },
      'llama.context_length': { type: 'uint32', value: 256 },
      'llama.embedding_length': { type: 'uint32', value: 64 },
      'llama.block_count': { type: 'uint32', value: 2 },
      'llama.feed_forward_length': { type: 'uint32', value: 192 },
      'llama.attention.head_count': { type: 'uint32', value: 4 },
      'llama.attention.head_count_kv': { type: 'uint32', value: 2 },
      'llama.rope.dimension_count': { type: 'uint32', value: 16 },
      'llama.rope.freq_base': { type: 'float32', value: 5e5 },
      'llama.attention.layer_norm_rms_epsilon': { type: 'float32', value: 1e-6 },
    });
  });

  it('an explicit head_dim adds key/value lengths; linear rope scaling adds its type and factor; Q8_0 is file type 7', () => {
    const m = llamaMetadata(tinyLlamaConfig({ head_dim: 32, rope_scaling: { type: 'linear', factor: 4 } }), { fileType: 'Q8_0', name: 'x' }, true);
    expect(m.get('general.file_type')?.value).toBe(7);
    expect(m.get('llama.attention.key_length')).toEqual({ type: 'uint32', value: 32 });
    expect(m.get('llama.attention.value_length')).toEqual({ type: 'uint32', value: 32 });
    expect(m.get('llama.rope.dimension_count')?.value).toBe(32);
    expect(m.get('llama.rope.scaling.type')?.value).toBe('linear');
    expect(m.get('llama.rope.scaling.factor')).toEqual({ type: 'float32', value: 4 });
    expect(llamaMetadata(tinyLlamaConfig(), { fileType: 'F16', name: 'x' }, false).has('general.quantization_version')).toBe(false);
  });
});

describe('tokenizer metadata', () => {
  const files = aliceTokenizer(300);

  it('tokens by id padded to vocab_size with UNUSED [PADn], specials CONTROL, merges, ids, flags, template', () => {
    const m = tokenizerMetadata(files, { vocabSize: 320, eosTokenIds: [2, 0] });
    const tokens = m.get('tokenizer.ggml.tokens')?.value as string[];
    const types = m.get('tokenizer.ggml.token_type')?.value as number[];
    expect(tokens.length).toBe(320);
    expect(tokens.slice(0, 5)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<pad>', 'Ā']);
    expect(tokens.slice(298, 302)).toEqual([expect.any(String), expect.any(String), '[PAD300]', '[PAD301]']);
    expect(types.slice(0, 5)).toEqual([3, 3, 3, 3, 1]);
    expect(types[310]).toBe(GGUF_TOKEN_TYPE.unused);
    expect(m.get('tokenizer.ggml.token_type')?.type).toBe('array');
    expect((m.get('tokenizer.ggml.merges')?.value as string[])[0]).toMatch(/^\S+ \S+$/);
    expect((m.get('tokenizer.ggml.merges')?.value as string[]).length).toBe(300 - 4 - 256);
    expect(m.get('tokenizer.ggml.model')?.value).toBe('gpt2');
    expect(m.get('tokenizer.ggml.pre')?.value).toBe('gpt-2');
    expect(m.get('tokenizer.ggml.bos_token_id')).toEqual({ type: 'uint32', value: 0 });
    expect(m.get('tokenizer.ggml.eos_token_id')).toEqual({ type: 'uint32', value: 2 });
    expect(m.get('tokenizer.ggml.eot_token_id')).toEqual({ type: 'uint32', value: 0 });
    expect(m.get('tokenizer.ggml.padding_token_id')?.value).toBe(3);
    expect(m.get('tokenizer.ggml.add_bos_token')).toEqual({ type: 'bool', value: false });
    expect(m.get('tokenizer.chat_template')?.value).toContain('<|im_start|>');
    expect(m.has('tokenizer.ggml.unknown_token_id')).toBe(false);
  });

  it('add_bos_token follows a TemplateProcessing post-processor when tokenizer_config.json does not say', () => {
    const { add_bos_token: _a, add_eos_token: _b, ...config } = files.tokenizerConfig as Record<string, unknown>;
    const withTemplate: TokenizerFiles = {
      tokenizerConfig: config,
      tokenizerJson: { ...files.tokenizerJson, post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} } },
    };
    expect(tokenizerMetadata(withTemplate, { vocabSize: 300 }).get('tokenizer.ggml.add_bos_token')?.value).toBe(true);
  });

  it('recognises the pre-tokenizers llama.cpp implements and refuses the others', () => {
    const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
    const split = (regex: string) => ({ type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }, byteLevel(false)] });
    expect(ggufPreTokenizer(byteLevel(true))).toBe('gpt-2');
    expect(ggufPreTokenizer({ type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] })).toBe('smollm');
    expect(ggufPreTokenizer(split(PRE_TOKENIZER_REGEX.qwen2))).toBe('qwen2');
    expect(ggufPreTokenizer(split(PRE_TOKENIZER_REGEX['llama-bpe']))).toBe('llama-bpe');
    expect(() => ggufPreTokenizer(split('\\s+'))).toThrow(GgufUnsupportedError);
    expect(() => ggufPreTokenizer({ type: 'ByteLevel', add_prefix_space: true, use_regex: true })).toThrow(/not one llama.cpp is known to re-implement/);
    expect(() => ggufPreTokenizer({ type: 'Metaspace', replacement: '▁' })).toThrow(GgufUnsupportedError);
  });

  it('refuses non-BPE and SentencePiece-style (byte_fallback) tokenizers, and tokens past vocab_size', () => {
    const model = files.tokenizerJson['model'] as Record<string, unknown>;
    expect(() => tokenizerMetadata({ ...files, tokenizerJson: { ...files.tokenizerJson, model: { ...model, type: 'Unigram' } } }, { vocabSize: 300 })).toThrow(/is not BPE/);
    expect(() => tokenizerMetadata({ ...files, tokenizerJson: { ...files.tokenizerJson, model: { ...model, byte_fallback: true } } }, { vocabSize: 300 })).toThrow(/SentencePiece/);
    expect(() => tokenizerMetadata(files, { vocabSize: 299 })).toThrow(/outside the model's vocab_size 299/);
  });
});
