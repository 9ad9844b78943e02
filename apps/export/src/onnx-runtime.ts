import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ONNX_MODEL_FILE, ONNX_SUBDIR } from '@distillery/inference';
import { CONFIG_FILE, eosTokenIds, GENERATION_CONFIG_FILE, ModelTokenizer, parseDecoderConfig, type DecoderConfig } from '@distillery/models';
import * as ort from 'onnxruntime-node';
import type { CheckRuntime, Decoded } from './runtime.js';
import { idsOf } from './stop-tokens.js';

const i64 = (xs: readonly number[], dims: readonly number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), [...dims]);

/** Greedy choice as libs/inference makes it: argmax, the lowest id on ties; and log-softmax of the chosen one (float64). */
export function greedyChoice(logits: Float32Array): { id: number; logprob: number } {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  const max = logits[best] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return { id: best, logprob: -Math.log(sum) };
}

/**
 * An ONNX export run the way transformers.js runs it: onnxruntime-node on `onnx/model.onnx`, the first call with empty
 * past_key_values, then one token per call with the presents fed back; greedy, one prompt at a time. Stop ids come
 * from the bundle's config.json, generation_config.json and tokenizer (what transformers.js reads), the prompt from
 * the bundle's tokenizer and chat template.
 */
export class OnnxRuntime implements CheckRuntime {
  readonly name = `onnxruntime-node (${ONNX_SUBDIR}/${ONNX_MODEL_FILE})`;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: DecoderConfig,
    readonly tokenizer: ModelTokenizer,
    readonly stopIds: readonly number[],
  ) {}

  static async open(dir: string, threads = 2): Promise<OnnxRuntime> {
    const config = parseDecoderConfig(JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8')), join(dir, CONFIG_FILE));
    let generation: Record<string, unknown> = {};
    try {
      generation = JSON.parse(await readFile(join(dir, GENERATION_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const tokenizer = await ModelTokenizer.load(dir);
    const stopIds = [...new Set([...eosTokenIds(config), ...idsOf(generation['eos_token_id']), ...(tokenizer.eos ? [tokenizer.eos.id] : [])])].sort((a, b) => a - b);
    const session = await ort.InferenceSession.create(join(dir, ONNX_SUBDIR, ONNX_MODEL_FILE), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 4,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    const layers = Array.from({ length: config.num_hidden_layers }, (_, l) => l);
    const inputs = ['input_ids', 'attention_mask', 'position_ids', ...layers.flatMap((l) => [`past_key_values.${l}.key`, `past_key_values.${l}.value`])];
    if (inputs.some((n) => !session.inputNames.includes(n)) || !session.outputNames.includes('logits')) {
      await session.release();
      throw new Error(`${ONNX_SUBDIR}/${ONNX_MODEL_FILE} does not have the decoder-with-past inputs (${inputs.join(', ')}) and a logits output`);
    }
    return new OnnxRuntime(session, config, tokenizer, stopIds);
  }

  async greedy(prompts: readonly (readonly number[])[], maxNewTokens: number): Promise<Decoded[]> {
    const out: Decoded[] = [];
    for (const p of prompts) out.push(await this.decodeOne(p, maxNewTokens));
    return out;
  }

  private async decodeOne(prompt: readonly number[], maxNewTokens: number): Promise<Decoded> {
    const { num_hidden_layers: layers, num_key_value_heads: kv, head_dim: hd, vocab_size: v, max_position_embeddings: ctx } = this.config;
    const limit = Math.max(0, Math.min(maxNewTokens, ctx - prompt.length));
    const stops = new Set(this.stopIds);
    const tokenIds: number[] = [];
    const logprobs: number[] = [];
    let past: Record<string, ort.Tensor> = {};
    const empty = new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, hd]);
    for (let l = 0; l < layers; l++) {
      past[`past_key_values.${l}.key`] = empty;
      past[`past_key_values.${l}.value`] = empty;
    }
    let input = [...prompt];
    let finishReason: Decoded['finishReason'] = 'length';
    while (tokenIds.length < limit) {
      const total = prompt.length + tokenIds.length;
      const start = total - input.length;
      const out = await this.session.run({
        ...past,
        input_ids: i64(input, [1, input.length]),
        attention_mask: i64(new Array<number>(total).fill(1), [1, total]),
        position_ids: i64(Array.from({ length: input.length }, (_, i) => start + i), [1, input.length]),
      });
      const logits = out['logits']?.data as Float32Array;
      const choice = greedyChoice(logits.subarray((input.length - 1) * v, input.length * v));
      tokenIds.push(choice.id);
      logprobs.push(choice.logprob);
      past = {};
      for (let l = 0; l < layers; l++) {
        past[`past_key_values.${l}.key`] = out[`present.${l}.key`] as ort.Tensor;
        past[`past_key_values.${l}.value`] = out[`present.${l}.value`] as ort.Tensor;
      }
      if (stops.has(choice.id)) {
        finishReason = 'stop';
        break;
      }
      input = [choice.id];
    }
    const textIds = finishReason === 'stop' ? tokenIds.slice(0, -1) : tokenIds;
    return { tokenIds, logprobs, text: this.tokenizer.decode(textIds.filter((id) => id < this.tokenizer.vocabSize), { skipSpecialTokens: true }), finishReason };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}
