import { eosTokenIds, expectedTensorShapes, readModelFolder, type ChatMessage, type DecoderConfig, type ModelTokenizer, type Tensor } from '@distillery/models';
import { mergeLora, readAdapter, type LoraAdapter } from './adapter.js';
import { InferenceRequestError, ModelClosedError } from './errors.js';
import { writeOnnxFolder } from './export-onnx.js';
import { IO, type WeightsAs } from './graphs.js';
import { bucket, KvBatch, seqBucket } from './kv-batch.js';
import { RowText, type Generation, type GenerationChunk } from './row.js';
import { chooseToken, logProbOf, rowRandom, type SamplingOptions } from './sampling.js';
import { bool, GraphSessions, i64 } from './sessions.js';

export interface LoadModelOptions {
  /** A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors), merged into the weights at load. */
  readonly adapter?: string;
  /** onnxruntime intra-op threads (default 2). */
  readonly threads?: number;
  /** Most rows run together in one graph (default 8); longer request lists run in chunks. */
  readonly maxBatch?: number;
  /** See `WeightsAs` (default 'inputs'). */
  readonly weightsAs?: WeightsAs;
}

/** A prompt as text (tokenized with the model's tokenizer) or as token ids. */
export type Prompt = string | readonly number[];

export interface GenerateOptions {
  /** Default 64. Also capped by the model's context (max_position_embeddings − prompt tokens). */
  readonly maxNewTokens?: number;
  /** 0 (default): greedy decoding. */
  readonly temperature?: number;
  /** Nucleus sampling (default 1: off). A tiny topP keeps only the most likely token: greedy. */
  readonly topP?: number;
  /** Default 0: off. */
  readonly topK?: number;
  /** Seeds the sampling PRNG (default 0); row i of a batch draws from (seed, i). */
  readonly seed?: number;
  /** Text that ends generation; it is not part of the returned text. */
  readonly stop?: readonly string[];
  /** Token ids that end generation, besides the model's EOS / end-of-turn ids. */
  readonly stopTokenIds?: readonly number[];
  /** Keep generating through EOS / end-of-turn tokens (default false). */
  readonly ignoreEos?: boolean;
  /** Leave special tokens out of the text (default true). */
  readonly skipSpecialTokens?: boolean;
  /** Text prompts: let the tokenizer add its special tokens, e.g. a BOS (default true; chat prompts never do). */
  readonly addSpecialTokens?: boolean;
}

export interface ChatOptions extends GenerateOptions {
  /** Extra chat-template variables (`tools`, custom kwargs). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

export interface ScoreRequest {
  readonly prompt: Prompt;
  /** Scored given the prompt; text is tokenized on its own (no special tokens) and appended to the prompt's ids. */
  readonly continuation: Prompt;
}

export interface ScoreResult {
  /** Σ log p of the continuation's tokens. */
  readonly logprob: number;
  readonly tokenLogprobs: number[];
  readonly tokenIds: number[];
  readonly promptTokens: number;
}

const DEFAULTS = { maxNewTokens: 64, temperature: 0, topP: 1, topK: 0, seed: 0 } as const;

/**
 * A model loaded for inference on onnxruntime-node: KV-cache generation (greedy or sampled, batched, streamed),
 * chat through the model's template, and continuation scoring. Safe for concurrent calls (each call has its own
 * cache; the sessions are shared).
 */
export class InferenceModel {
  /** Ids that end a generation: config.json and generation_config.json eos_token_id, and the tokenizer's eos. */
  readonly eosTokenIds: readonly number[];
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly config: DecoderConfig,
    readonly tokenizer: ModelTokenizer,
    readonly adapter: Omit<LoraAdapter, 'tensors'> | undefined,
    private readonly weights: ReadonlyMap<string, Tensor>,
    private readonly sessions: GraphSessions,
    private readonly maxBatch: number,
    generationConfig: Readonly<Record<string, unknown>> | undefined,
  ) {
    const fromGeneration = generationConfig?.['eos_token_id'];
    const extra = typeof fromGeneration === 'number' ? [fromGeneration] : Array.isArray(fromGeneration) ? fromGeneration.filter((x): x is number => typeof x === 'number') : [];
    this.eosTokenIds = [...new Set([...eosTokenIds(config), ...extra, ...(tokenizer.eos ? [tokenizer.eos.id] : [])])].sort((a, b) => a - b);
  }

  /** Reads an HF model folder (base model or trained checkpoint), merges the adapter if given. */
  static async load(dir: string, options: LoadModelOptions = {}): Promise<InferenceModel> {
    const threads = options.threads ?? 2;
    const maxBatch = options.maxBatch ?? 8;
    if (!(Number.isInteger(threads) && threads > 0)) throw new InferenceRequestError(`threads must be a positive integer, got ${threads}`, 'threads');
    if (!(Number.isInteger(maxBatch) && maxBatch > 0)) throw new InferenceRequestError(`maxBatch must be a positive integer, got ${maxBatch}`, 'maxBatch');
    const folder = await readModelFolder(dir);
    let weights = new Map<string, Tensor>();
    try {
      for (const name of expectedTensorShapes(folder.config).keys()) weights.set(name, await folder.checkpoint.readTensor(name));
    } finally {
      await folder.close();
    }
    let adapter: LoraAdapter | undefined;
    if (options.adapter !== undefined) {
      adapter = await readAdapter(options.adapter, folder.config);
      weights = mergeLora(folder.config, weights, adapter);
    }
    const info = adapter === undefined ? undefined : { dir: adapter.dir, r: adapter.r, alpha: adapter.alpha, scale: adapter.scale, targets: adapter.targets };
    return new InferenceModel(dir, folder.config, folder.tokenizer, info, weights, new GraphSessions(folder.config, weights, threads, options.weightsAs), maxBatch, folder.generationConfig);
  }

  /** Labels of the graphs built so far (one per shape bucket; decoding never builds one per token). */
  get graphs(): readonly string[] {
    return this.sessions.built;
  }

  /** Token ids of a prompt (validated against the vocabulary). */
  promptIds(prompt: Prompt, addSpecialTokens = true): number[] {
    const ids = typeof prompt === 'string' ? this.tokenizer.encode(prompt, { addSpecialTokens }) : [...prompt];
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocab_size) throw new InferenceRequestError(`token id ${id} is outside the vocabulary (vocab_size ${this.config.vocab_size})`, 'prompt');
    }
    return ids;
  }

  /** The prompt of a chat: the messages rendered by the chat template with the assistant's turn opened. */
  chatPromptIds(messages: readonly ChatMessage[], variables?: Readonly<Record<string, unknown>>): number[] {
    const text = this.tokenizer.renderChat(messages, { addGenerationPrompt: true, ...(variables === undefined ? {} : { variables }) });
    return this.promptIds(text, false);
  }

  async generate(prompt: Prompt, options: GenerateOptions = {}): Promise<Generation> {
    return (await this.generateBatch([prompt], options))[0] as Generation;
  }

  /** Generates for every prompt; rows run together (up to maxBatch per graph) and finish independently. */
  async generateBatch(prompts: readonly Prompt[], options: GenerateOptions = {}): Promise<Generation[]> {
    const ids = prompts.map((p) => this.promptIds(p, options.addSpecialTokens ?? true));
    const out: Generation[] = [];
    for (let start = 0; start < ids.length; start += this.maxBatch) {
      const rows = this.rows(ids.slice(start, start + this.maxBatch), options);
      for await (const _ of this.decode(ids.slice(start, start + this.maxBatch), rows, options, start));
      out.push(...rows.map((r) => r.result()));
    }
    return out;
  }

  /** Streams one generation token by token; the last chunk carries the finish reason. */
  async *stream(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<GenerationChunk> {
    const ids = [this.promptIds(prompt, options.addSpecialTokens ?? true)];
    const rows = this.rows(ids, options);
    for await (const chunks of this.decode(ids, rows, options, 0)) {
      const c = chunks[0];
      if (c !== undefined) yield c;
    }
  }

  chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<Generation> {
    return this.generate(this.chatPromptIds(messages, options.variables), options);
  }

  chatStream(messages: readonly ChatMessage[], options: ChatOptions = {}): AsyncGenerator<GenerationChunk> {
    return this.stream(this.chatPromptIds(messages, options.variables), options);
  }

  /** log p(continuation | prompt) per request, batched (rows of similar length together). */
  async score(requests: readonly ScoreRequest[]): Promise<ScoreResult[]> {
    this.assertOpen();
    const items = requests.map((req, i) => {
      const prompt = this.promptIds(req.prompt);
      const continuation = typeof req.continuation === 'string' ? this.promptIds(req.continuation, false) : this.promptIds(req.continuation);
      if (prompt.length === 0) throw new InferenceRequestError(`request ${i}: the prompt has no tokens (the first continuation token needs a context)`, 'prompt');
      if (continuation.length === 0) throw new InferenceRequestError(`request ${i}: the continuation has no tokens`, 'continuation');
      const total = prompt.length + continuation.length;
      if (total > this.config.max_position_embeddings) {
        throw new InferenceRequestError(`request ${i}: ${total} tokens exceed the model's context (${this.config.max_position_embeddings})`, 'continuation');
      }
      return { index: i, prompt, continuation, ids: [...prompt, ...continuation] };
    });
    const order = [...items].sort((a, b) => a.ids.length - b.ids.length);
    const results: ScoreResult[] = new Array<ScoreResult>(items.length);
    for (let start = 0; start < order.length; start += this.maxBatch) {
      const group = order.slice(start, start + this.maxBatch);
      const b = Math.min(bucket(group.length), this.maxBatch);
      const s = seqBucket(Math.max(...group.map((g) => g.ids.length)));
      const ids = new BigInt64Array(b * s);
      const positions = new BigInt64Array(b * s);
      const attention = new Uint8Array(b * s);
      const targets = new BigInt64Array(b * s);
      group.forEach((g, r) => {
        const pad = s - g.ids.length;
        g.ids.forEach((id, i) => {
          ids[r * s + pad + i] = BigInt(id);
          positions[r * s + pad + i] = BigInt(i);
          attention[r * s + pad + i] = 1;
          if (i > 0) targets[r * s + pad + i - 1] = BigInt(id);
        });
      });
      const shape = [b, s];
      const out = await this.sessions.run(
        { kind: 'score', batch: b, chunk: s, past: 0 },
        { [IO.ids]: i64(shape, ids), [IO.positions]: i64(shape, positions), [IO.attention]: bool(shape, attention), [IO.targets]: i64(shape, targets) },
      );
      const lp = out[IO.tokenLogprobs]?.data as Float32Array;
      group.forEach((g, r) => {
        const first = r * s + s - g.ids.length + g.prompt.length - 1;
        const tokenLogprobs = g.continuation.map((_, k) => lp[first + k] as number);
        results[g.index] = { logprob: tokenLogprobs.reduce((a, x) => a + x, 0), tokenLogprobs, tokenIds: g.continuation, promptTokens: g.prompt.length };
      });
    }
    return results;
  }

  /**
   * Writes the model (adapter merged) as a decoder-with-past ONNX model with dynamic axes, in transformers.js' layout:
   * `<dir>/onnx/model.onnx` plus config.json, generation_config.json and the tokenizer files of the source folder.
   */
  exportOnnx(dir: string): Promise<{ dir: string; files: string[] }> {
    this.assertOpen();
    return writeOnnxFolder(dir, this.dir, this.config, this.weights);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sessions.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ModelClosedError();
  }

  private rows(prompts: readonly (readonly number[])[], options: GenerateOptions): RowText[] {
    const maxNew = options.maxNewTokens ?? DEFAULTS.maxNewTokens;
    if (!(Number.isInteger(maxNew) && maxNew > 0)) throw new InferenceRequestError(`maxNewTokens must be a positive integer, got ${maxNew}`, 'maxNewTokens');
    const stopIds = new Set([...(options.ignoreEos === true ? [] : this.eosTokenIds), ...(options.stopTokenIds ?? [])]);
    return prompts.map((p, i) => {
      if (p.length === 0) throw new InferenceRequestError(`prompt ${i} has no tokens`, 'prompt');
      const room = this.config.max_position_embeddings - p.length;
      if (room <= 0) throw new InferenceRequestError(`prompt ${i} has ${p.length} tokens: the model's context is ${this.config.max_position_embeddings}`, 'prompt');
      return new RowText(this.tokenizer, { maxNewTokens: Math.min(maxNew, room), stopIds, stop: options.stop ?? [], skipSpecialTokens: options.skipSpecialTokens ?? true }, p.length);
    });
  }

  private sampling(options: GenerateOptions): SamplingOptions {
    const o = { temperature: options.temperature ?? DEFAULTS.temperature, topP: options.topP ?? DEFAULTS.topP, topK: options.topK ?? DEFAULTS.topK };
    if (!(o.temperature >= 0 && Number.isFinite(o.temperature))) throw new InferenceRequestError(`temperature must be ≥ 0, got ${o.temperature}`, 'temperature');
    if (!(o.topP > 0 && o.topP <= 1)) throw new InferenceRequestError(`topP must be in (0, 1], got ${o.topP}`, 'topP');
    if (!(Number.isInteger(o.topK) && o.topK >= 0)) throw new InferenceRequestError(`topK must be a non-negative integer, got ${o.topK}`, 'topK');
    return o;
  }

  /** Prefill, then one decode step per token until every row is done; yields each step's chunk per row. */
  private async *decode(prompts: readonly (readonly number[])[], rows: readonly RowText[], options: GenerateOptions, firstRow: number): AsyncGenerator<(GenerationChunk | undefined)[]> {
    this.assertOpen();
    const sampling = this.sampling(options);
    const seed = options.seed ?? DEFAULTS.seed;
    const random = rows.map((_, r) => rowRandom(seed, firstRow + r));
    const batch = Math.min(bucket(prompts.length), this.maxBatch);
    // Room for the tokens to feed back (all but the last), up to the prompt bucket; the cache doubles beyond that.
    const feedBack = (options.maxNewTokens ?? DEFAULTS.maxNewTokens) - 1;
    const kv = await KvBatch.prefill(this.sessions, this.config, prompts, batch, Math.min(feedBack, seqBucket(Math.max(...prompts.map((p) => p.length)))));
    const next = new Array<number>(batch).fill(0);
    for (;;) {
      const chunks = rows.map((row, r) => {
        if (row.done) return undefined;
        const logits = kv.logits(r);
        const token = chooseToken(logits, sampling, random[r] as () => number);
        next[r] = token;
        return row.push(token, logProbOf(logits, token));
      });
      yield chunks;
      if (rows.every((r) => r.done)) return;
      this.assertOpen();
      await kv.step(next);
    }
  }
}

/** InferenceModel.load. */
export const loadModel = (dir: string, options?: LoadModelOptions): Promise<InferenceModel> => InferenceModel.load(dir, options);
