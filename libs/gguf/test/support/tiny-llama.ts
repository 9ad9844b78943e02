// A small but real Llama model for the GGUF tests: a byte-level BPE tokenizer trained on Alice, a config sized so that
// Q8_0/Q4_0 apply (hidden 64, intermediate 192), seeded random weights, briefly trained with engine-ort so that the
// next-token distributions are peaked like a real model's (random weights give near-ties everywhere, which makes
// greedy comparisons meaningless).
import { readFileSync } from 'node:fs';
import { openRun } from '@distillery/engine-ort';
import { decoderConfig, expectedTensorShapes, trainBpe, type DecoderConfig, type Tensor, type TokenizerFiles } from '@distillery/models';

const ALICE = new URL('../../../../examples/corpora/gutenberg-alice/pg11.txt', import.meta.url);

/** The book's text: BOM, CRLF, the Project Gutenberg header and licence removed. */
export function aliceText(): string {
  const raw = readFileSync(ALICE, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const start = raw.indexOf('\n', raw.indexOf('*** START OF'));
  const end = raw.indexOf('*** END OF');
  return raw.slice(start + 1, end > 0 ? end : undefined).trim();
}

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

/** trainBpe's defaults: <|endoftext|> 0 (bos), <|im_start|> 1, <|im_end|> 2 (eos), <pad> 3; ChatML template. */
export function aliceTokenizer(vocabSize = 512): TokenizerFiles {
  const bpe = trainBpe(aliceText(), { vocabSize });
  return { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig };
}

export function tinyLlamaConfig(overrides: Partial<DecoderConfig> = {}): DecoderConfig {
  return decoderConfig({
    model_type: 'llama',
    vocab_size: 512,
    hidden_size: 64,
    intermediate_size: 192,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
    bos_token_id: 0,
    eos_token_id: 2,
    pad_token_id: 3,
    ...overrides,
  });
}

/** Weights of exactly the config's tensors: linear ±scale uniform, embeddings ±0.5, norms 1 ± 0.1, biases ±0.1. */
export function randomWeights(config: DecoderConfig, seed: number, scale = 0.2): Map<string, Tensor> {
  const rand = prng(seed);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const norm = name.endsWith('norm.weight');
    const bias = name.endsWith('.bias');
    const s = name.includes('embed') || name.startsWith('lm_head') ? 0.5 : scale;
    for (let i = 0; i < n; i++) data[i] = norm ? 1 + 0.2 * (rand() - 0.5) : (bias ? 0.1 : s) * (2 * rand() - 1);
    out.set(name, { shape, data });
  }
  return out;
}

export const OPTIM = { weight_decay: 0.0, max_grad_norm: 1, betas: [0.9, 0.99], eps: 1e-8 } as const;

/**
 * `steps` full fine-tuning steps on consecutive Alice windows (batch × seq tokens each, encoded with `encode`).
 * Returns the trained weights and the first and last losses.
 */
export async function trainBriefly(
  config: DecoderConfig,
  weights: Map<string, Tensor>,
  encode: (text: string) => number[],
  options: { steps: number; batch?: number; seq?: number; lr?: number },
): Promise<{ weights: Map<string, Tensor>; losses: number[] }> {
  const batch = options.batch ?? 8;
  const seq = options.seq ?? 64;
  const ids = encode(aliceText());
  const run = await openRun({ config, weights, method: 'full', optim: { ...OPTIM, betas: [...OPTIM.betas] as [number, number] }, seed: 1, buckets: [seq] });
  const losses: number[] = [];
  try {
    let at = 0;
    for (let step = 0; step < options.steps; step++) {
      const input = new Int32Array(batch * seq);
      for (let i = 0; i < input.length; i++) input[i] = ids[(at + i) % ids.length] as number;
      at = (at + input.length) % ids.length;
      const result = await run.step(
        { batch, seq, input_ids: input, labels: input.slice(), attention_mask: new Uint8Array(batch * seq).fill(1), trained_tokens: batch * (seq - 1) },
        { lr: options.lr ?? 1e-2 },
      );
      losses.push(result.loss);
    }
    return { weights: run.mergedWeights(), losses };
  } finally {
    await run.close();
  }
}
