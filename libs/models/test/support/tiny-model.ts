import { readFileSync } from 'node:fs';
import { type DecoderConfig, decoderConfig, expectedTensorShapes, type Tensor, type TokenizerFiles, trainBpe } from '../../src/index.js';
import { randomTensor, rng } from './sandbox.js';

const alice = readFileSync(new URL('../fixtures/alice/alice-body.txt', import.meta.url), 'utf8');

export interface TinyModel {
  readonly config: DecoderConfig;
  readonly tensors: Map<string, Tensor>;
  readonly tokenizer: TokenizerFiles;
}

/**
 * A small but real model folder's contents: a byte-level BPE tokenizer trained on Alice (vocab 384), a Llama config
 * sized to it (2 layers, 4 heads, 2 KV heads), and deterministic random weights of exactly the expected shapes.
 */
export function tinyModel(overrides: Partial<DecoderConfig> = {}, seed = 7): TinyModel {
  const bpe = trainBpe(alice.slice(0, 40_000), { vocabSize: 384 });
  const config = decoderConfig({
    model_type: 'llama',
    vocab_size: 384,
    hidden_size: 16,
    intermediate_size: 40,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: 2,
    pad_token_id: 3,
    ...overrides,
  });
  const next = rng(seed);
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensorShapes(config)) tensors.set(name, randomTensor(shape, next));
  return { config, tensors, tokenizer: { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig } };
}
