// Tiny random Llama-family model folders for the inference tests, and the naive reference decoder they are checked
// against: libs/engine-ort's training forward pass (`openRun(...).logits`) recomputing the whole sequence each step.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRun, type TrainingRun } from '@distillery/engine-ort';
import { decoderConfig, expectedTensorShapes, trainBpe, writeModelFolder, type DecoderConfig, type Tensor, type TokenizerFiles } from '@distillery/models';
import { repoRoot } from '@distillery/testing';

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

let tokenizerFiles: TokenizerFiles | undefined;

/** A byte-level BPE (512 tokens, ChatML template, eos <|im_end|>) trained on part of the bundled Alice text. */
export function tinyTokenizer(): TokenizerFiles {
  if (tokenizerFiles === undefined) {
    const corpus = readFileSync(join(repoRoot, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt'), 'utf8').slice(2_000, 60_000);
    const bpe = trainBpe(corpus, { vocabSize: 512 });
    tokenizerFiles = { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig };
  }
  return tokenizerFiles;
}

/** Llama, tied head, grouped-query attention (4 heads, 2 kv heads). */
export const LLAMA_GQA = (over: Partial<DecoderConfig> = {}): DecoderConfig =>
  decoderConfig({
    model_type: 'llama',
    vocab_size: 512,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: 2,
    ...over,
  });

/** Qwen2: untied head, q/k/v biases, multi-head attention (no grouping), θ 5e5, linear rope scaling ×2. */
export const QWEN2_MHA = (): DecoderConfig =>
  decoderConfig({
    model_type: 'qwen2',
    vocab_size: 512,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-6,
    rope_theta: 500_000,
    rope_scaling: { type: 'linear', factor: 2 },
    tie_word_embeddings: false,
    eos_token_id: 2,
  });

/**
 * Random weights large enough for peaked logits (greedy choices far from ties): linear weights ±0.3, embeddings and
 * head ±1, norms 1 ± 0.1, biases ±0.1.
 */
export function tinyWeights(config: DecoderConfig, seed = 1): Map<string, Tensor> {
  const rand = prng(seed);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const norm = name.endsWith('norm.weight');
    const scale = name.endsWith('.bias') ? 0.1 : name.includes('embed') || name.includes('lm_head') ? 1 : 0.3;
    for (let i = 0; i < n; i++) data[i] = norm ? 1 + 0.2 * (rand() - 0.5) : scale * (2 * rand() - 1);
    out.set(name, { shape, data });
  }
  return out;
}

export interface TinyModel {
  readonly dir: string;
  readonly config: DecoderConfig;
  readonly weights: Map<string, Tensor>;
}

export async function tinyModelFolder(config: DecoderConfig, seed = 1, generationConfig?: Record<string, unknown>): Promise<TinyModel> {
  const weights = tinyWeights(config, seed);
  const dir = mkdtempSync(join(tmpdir(), 'inference-model-'));
  await writeModelFolder(dir, { config, tensors: weights, tokenizer: tinyTokenizer(), ...(generationConfig === undefined ? {} : { generationConfig }) });
  return { dir, config, weights };
}

/** The training engine's forward pass over the given weights (the independent reference). */
export function referenceRun(model: Pick<TinyModel, 'config' | 'weights'>): Promise<TrainingRun> {
  return openRun({
    config: model.config,
    weights: model.weights,
    method: 'full',
    optim: { weight_decay: 0, max_grad_norm: 0, betas: [0.9, 0.999], eps: 1e-8 },
    seed: 0,
    buckets: [model.config.max_position_embeddings],
  });
}

/** Logits [seq, vocab] of one unpadded sequence. */
export async function referenceLogits(run: TrainingRun, ids: readonly number[]): Promise<Float32Array> {
  return run.logits({ batch: 1, seq: ids.length, input_ids: ids });
}

export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

/** log softmax(row)[id] in float64. */
export function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  return (row[id] as number) - max - Math.log(sum);
}

/** Greedy decoding the slow way: the whole sequence is recomputed for every new token. */
export async function naiveGreedy(run: TrainingRun, prompt: readonly number[], steps: number): Promise<{ tokens: number[]; logprobs: number[] }> {
  const ids = [...prompt];
  const tokens: number[] = [];
  const logprobs: number[] = [];
  const vocab = run.config.vocab_size;
  for (let k = 0; k < steps; k++) {
    const logits = await referenceLogits(run, ids);
    const last = logits.subarray((ids.length - 1) * vocab, ids.length * vocab);
    const next = argmax(last);
    tokens.push(next);
    logprobs.push(logSoftmaxAt(last, next));
    ids.push(next);
  }
  return { tokens, logprobs };
}
