// Tiny Llama-family models and batches for the engine's tests: deterministic weights, configs and padded batches.
import { decoderConfig, expectedTensorShapes, type DecoderConfig, type Tensor } from '@distillery/models';
import { IGNORE_INDEX, type PaddedBatch } from '@distillery/tasks';
import type { EngineOptimConfig } from '../../src/index.js';

/** mulberry32, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function tinyConfig(overrides: Partial<DecoderConfig> = {}): DecoderConfig {
  return decoderConfig({
    model_type: 'llama',
    vocab_size: 64,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: 1,
    pad_token_id: 2,
    ...overrides,
  });
}

/** Random weights of exactly the config's tensors: linear weights uniform ±scale, norms 1 ± 0.1, biases ±0.1. */
export function tinyWeights(config: DecoderConfig, seed = 1, scale = 0.15): Map<string, Tensor> {
  const rand = prng(seed);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const norm = name.endsWith('norm.weight');
    const bias = name.endsWith('.bias');
    const s = name.includes('embed') ? 0.25 : scale;
    for (let i = 0; i < n; i++) data[i] = norm ? 1 + 0.2 * (rand() - 0.5) : (bias ? 0.1 : s) * (2 * rand() - 1);
    out.set(name, { shape, data });
  }
  return out;
}

/**
 * A padded batch of `batch` rows × `seq`: rows of different lengths (right-padded with `pad`), a few prompt tokens
 * masked with IGNORE_INDEX in each row, and a learnable pattern: each row an arithmetic progression mod vocab, or with
 * `successor` one next-token function shared by all rows (so held-out rows are predictable too).
 */
export function tinyBatch(batch: number, seq: number, vocab: number, seed = 3, options: { pad?: number; full?: boolean; successor?: boolean } = {}): PaddedBatch {
  const rand = prng(seed);
  const ids = new Int32Array(batch * seq).fill(options.pad ?? 2);
  const labels = new Int32Array(batch * seq).fill(IGNORE_INDEX);
  const mask = new Uint8Array(batch * seq);
  let trained = 0;
  for (let r = 0; r < batch; r++) {
    const len = options.full === true ? seq : Math.max(4, seq - Math.floor(rand() * (seq / 2)));
    const start = 3 + Math.floor(rand() * (vocab - 3));
    const stride = 1 + Math.floor(rand() * 3);
    const prompt = 1 + Math.floor(rand() * 3);
    let id = 3 + (start % (vocab - 3));
    for (let t = 0; t < len; t++) {
      // A progression with a per-row stride, or (successor) one fixed next-token function shared by every row.
      if (t > 0) id = options.successor === true ? 3 + ((id * 7 + 1) % (vocab - 3)) : 3 + ((start + t * stride) % (vocab - 3));
      ids[r * seq + t] = id;
      mask[r * seq + t] = 1;
      if (t >= prompt) {
        labels[r * seq + t] = id;
        trained++;
      }
    }
  }
  return { batch, seq, input_ids: ids, labels, attention_mask: mask, trained_tokens: trained };
}

export const OPTIM: EngineOptimConfig = { weight_decay: 0.01, max_grad_norm: 1, betas: [0.9, 0.999], eps: 1e-8 };
