// HF folder → GGUF → back: metadata as the config says, every tensor under its llama.cpp name and type, and the
// weights recovered under their transformers names (q/k un-permuted): exactly for F32, within each type's error bound
// otherwise. Also a sharded F16 folder as input.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeModelFolder, type Tensor } from '@distillery/models';
import { convertModelFolder, dequantize, GgufFile, permuteRopeRows, quantize, readLlamaWeights, unpermuteRopeRows } from '../src/index.js';
import { aliceTokenizer, prng, randomWeights, tinyLlamaConfig } from './support/tiny-llama.js';

// hidden 64 with head_dim 32 (≠ 64/4), q/k/v/o biases, untied head, intermediate 40 (ffn_down rows are not whole blocks).
const config = tinyLlamaConfig({ attention_bias: true, head_dim: 32, intermediate_size: 40, rope_scaling: { type: 'linear', factor: 2 } });
const weights = randomWeights(config, 3);
const tokenizer = aliceTokenizer(512);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-roundtrip-'));
  await writeModelFolder(join(dir, 'hf'), { config, tensors: weights, tokenizer });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const maxRelErr = (a: Float32Array, b: Float32Array): number => {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / scale;
};

describe('round trip', () => {
  it('F32: metadata from the config, q/k stored permuted, every weight back bit for bit', async () => {
    const path = join(dir, 'f32.gguf');
    const written = await convertModelFolder(join(dir, 'hf'), path, { fileType: 'F32' });
    expect(written.bytes % 32).toBe(0);
    const file = await GgufFile.open(path);
    try {
      expect(file.value('general.name')).toBe('hf');
      expect(file.value('llama.attention.key_length')).toBe(32);
      expect(file.value('llama.rope.dimension_count')).toBe(32);
      expect(file.value('llama.rope.scaling.factor')).toBe(2);
      expect(file.value('llama.feed_forward_length')).toBe(40);
      expect(file.value('tokenizer.ggml.eos_token_id')).toBe(2);
      expect((file.value('tokenizer.ggml.tokens') as string[]).length).toBe(512);
      expect(file.tensors.length).toBe(2 + 13 * 2 + 1);
      expect(file.tensor('blk.0.attn_q.weight').dims).toEqual([64, 128]);
      const q = weights.get('model.layers.0.self_attn.q_proj.weight') as Tensor;
      expect([...(await file.read('blk.0.attn_q.weight'))]).toEqual([...permuteRopeRows(q.data, 128, 4)]);
      const bk = weights.get('model.layers.1.self_attn.k_proj.bias') as Tensor;
      expect([...(await file.read('blk.1.attn_k.bias'))]).toEqual([...permuteRopeRows(bk.data, 64, 2)]);
      const back = await readLlamaWeights(file);
      expect([...back.keys()].sort()).toEqual([...weights.keys()].sort());
      for (const [name, t] of weights) {
        expect(back.get(name)?.shape).toEqual(t.shape);
        expect(Buffer.from((back.get(name) as Tensor).data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
      }
    } finally {
      await file.close();
    }
  });

  it('permutation and its inverse are inverses (and the permutation is not the identity)', () => {
    const rand = prng(9);
    const x = Float32Array.from({ length: 96 * 5 }, () => rand());
    expect([...unpermuteRopeRows(permuteRopeRows(x, 96, 3), 96, 3)]).toEqual([...x]);
    expect([...permuteRopeRows(x, 96, 3)]).not.toEqual([...x]);
  });

  for (const [type, bound] of [
    ['F16', 2 ** -11],
    ['Q8_0', 0.57 / 127],
    ['Q4_0', (1 + 1e-2) / 8],
  ] as const) {
    it(`${type}: storage types per tensor, and every weight back within ${bound.toExponential(1)} of its tensor's max |w|`, async () => {
      const path = join(dir, `${type}.gguf`);
      await convertModelFolder(join(dir, 'hf'), path, { fileType: type, name: 'rt' });
      const file = await GgufFile.open(path);
      try {
        const typeOf = (n: string) => file.tensor(n).type;
        expect(typeOf('blk.0.attn_norm.weight')).toBe('F32');
        expect(typeOf('blk.0.attn_q.bias')).toBe('F32');
        expect(typeOf('blk.0.attn_q.weight')).toBe(type);
        expect(typeOf('blk.0.ffn_up.weight')).toBe(type);
        expect(typeOf('blk.0.ffn_down.weight')).toBe('F16'); // rows of 40
        expect(typeOf('output.weight')).toBe(type === 'Q4_0' ? 'Q8_0' : type);
        expect(file.value('general.file_type')).toBe({ F16: 1, Q8_0: 7, Q4_0: 2 }[type]);
        const back = await readLlamaWeights(file);
        for (const [name, t] of weights) {
          const stored = file.tensors.find((x) => readName(x.name) === name)?.type;
          const limit = t.shape.length === 1 ? 0 : stored === 'F16' ? 2 ** -11 : stored === 'Q8_0' ? 0.57 / 127 : bound;
          expect({ name, err: maxRelErr(t.data, (back.get(name) as Tensor).data) <= limit }).toEqual({ name, err: true });
        }
      } finally {
        await file.close();
      }
    });
  }

  it('a sharded F16 folder converts to the same tensors as the F16 values it holds', async () => {
    await writeModelFolder(join(dir, 'sharded'), { config, tensors: weights, tokenizer, dtype: 'F16', maxShardBytes: 40_000 });
    const path = join(dir, 'sharded.gguf');
    await convertModelFolder(join(dir, 'sharded'), path, { fileType: 'F16' });
    const direct = await GgufFile.open(join(dir, 'F16.gguf'));
    const sharded = await GgufFile.open(path);
    try {
      expect(sharded.tensors.map((t) => `${t.name}:${t.type}`)).toEqual(direct.tensors.map((t) => `${t.name}:${t.type}`));
      for (const t of direct.tensors) {
        if (t.type === 'F16') {
          // F16 of an F16-stored value is that value: the bytes are the direct conversion's.
          expect(Buffer.from(await sharded.readRaw(t.name)).equals(Buffer.from(await direct.readRaw(t.name)))).toBe(true);
        } else {
          // 1-D tensors are F32 in the GGUF; the folder held them as F16, so they come back F16-rounded.
          const rounded = dequantize('F16', quantize('F16', await direct.read(t.name)), t.elements);
          expect([...(await sharded.read(t.name))]).toEqual([...rounded]);
        }
      }
    } finally {
      await direct.close();
      await sharded.close();
    }
  });
});

/** llama.cpp name → transformers name, for the test's lookup. */
function readName(gguf: string): string {
  const m = /^blk\.(\d+)\.(.+)$/.exec(gguf);
  const table: Record<string, string> = {
    'attn_norm.weight': 'input_layernorm.weight',
    'attn_q.weight': 'self_attn.q_proj.weight',
    'attn_q.bias': 'self_attn.q_proj.bias',
    'attn_k.weight': 'self_attn.k_proj.weight',
    'attn_k.bias': 'self_attn.k_proj.bias',
    'attn_v.weight': 'self_attn.v_proj.weight',
    'attn_v.bias': 'self_attn.v_proj.bias',
    'attn_output.weight': 'self_attn.o_proj.weight',
    'attn_output.bias': 'self_attn.o_proj.bias',
    'ffn_norm.weight': 'post_attention_layernorm.weight',
    'ffn_gate.weight': 'mlp.gate_proj.weight',
    'ffn_up.weight': 'mlp.up_proj.weight',
    'ffn_down.weight': 'mlp.down_proj.weight',
  };
  if (m) return `model.layers.${m[1]}.${table[m[2] as string]}`;
  return { 'token_embd.weight': 'model.embed_tokens.weight', 'output_norm.weight': 'model.norm.weight', 'output.weight': 'lm_head.weight' }[gguf] as string;
}
