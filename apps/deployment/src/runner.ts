import { randomInt, randomUUID } from 'node:crypto';
import { InferenceRequestError, ModelClosedError, type GenerateOptions, type InferenceModel } from '@distillery/inference';
import { badRequest, OpenAiError, type ChatRequest, type CompletionRequest, type SamplingParams } from './openai-api.js';
import { chatCompletion, sseFrames, textCompletion, usage, type ResponseMeta } from './openai-format.js';

/**
 * The built-in runner's model registry: the models it serves by id, the aliases (one per slot) that route to one of
 * them, and a ring buffer per alias of the prompts it answered (for input drift).
 *
 * Switching an alias never drops a request: the new model is loaded and registered first, the alias then points to
 * it in one synchronous step (a request resolves alias → model and takes a lease in one step too, so it gets the old
 * or the new model, never neither), and the old model leaves the registry but is closed only when the last request
 * holding a lease on it has finished.
 */

/** Requests with this header (the smoke and drift checks send it) are served but not recorded as live traffic. */
export const PROBE_HEADER = 'x-distillery-probe';

export interface RecentRequest {
  readonly prompt: string;
  readonly answer: string;
  readonly at: number;
}

/** A bounded ring buffer: the newest `capacity` entries, oldest first. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  toArray(): T[] {
    return this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }

  get size(): number {
    return this.items.length;
  }
}

interface Entry {
  readonly id: string;
  readonly model: InferenceModel;
  /** The slot alias this model serves (versions); none for candidates. */
  readonly alias: string | undefined;
  readonly created: number;
  inflight: number;
  retired?: () => void;
}

export interface Lease {
  readonly id: string;
  readonly alias: string | undefined;
  readonly model: InferenceModel;
  release(): void;
}

export interface RunnerOptions {
  readonly defaultMaxTokens: number;
  readonly maxTokensLimit: number;
  readonly recentCapacity: number;
}

/** How a request is handled beyond its body: probes (smoke and drift checks) are not recorded as traffic. */
export interface RequestContext {
  readonly probe: boolean;
}

export interface PreparedStream {
  readonly meta: ResponseMeta;
  readonly frames: AsyncGenerator<string>;
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

export class Runner {
  private readonly models = new Map<string, Entry>();
  private readonly aliases = new Map<string, string>();
  private readonly recent = new Map<string, Ring<RecentRequest>>();
  private readonly closing = new Set<Promise<void>>();

  constructor(readonly options: RunnerOptions) {}

  /** Registers a loaded model under its id (servable by that id; by an alias once routed). */
  add(id: string, model: InferenceModel, alias?: string): void {
    if (this.models.has(id)) throw new Error(`the runner already serves a model '${id}'`);
    this.models.set(id, { id, model, alias, created: unixNow(), inflight: 0 });
  }

  has(id: string): boolean {
    return this.models.has(id);
  }

  /** The id an alias routes to now. */
  routeOf(alias: string): string | undefined {
    return this.aliases.get(alias);
  }

  /**
   * Serves `model` as `id` behind `alias`: registers it, points the alias at it, and retires the model the alias
   * pointed to before (closed once its in-flight requests finished). Resolves when the old model is closed.
   */
  async swap(alias: string, id: string, model: InferenceModel): Promise<void> {
    this.add(id, model, alias);
    const previous = this.aliases.get(alias);
    this.aliases.set(alias, id);
    if (previous !== undefined && previous !== id) await this.retire(previous);
  }

  /** Takes a model out of service: no new request gets it; it is closed when the last lease on it is released. */
  async retire(id: string): Promise<void> {
    const e = this.models.get(id);
    if (!e) return;
    this.models.delete(id);
    for (const [alias, target] of this.aliases) if (target === id) this.aliases.delete(alias);
    const done = (e.inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (e.retired = resolve))).then(() => e.model.close());
    this.closing.add(done);
    try {
      await done;
    } finally {
      this.closing.delete(done);
    }
  }

  /** A lease on the model a request names (an alias or a model id); 404 when there is none. */
  acquire(name: string): Lease {
    const id = this.aliases.get(name) ?? name;
    const e = this.models.get(id);
    if (!e) {
      const known = [...this.aliases.keys(), ...this.models.keys()];
      throw new OpenAiError(404, `The model '${name}' does not exist (served: ${known.length > 0 ? known.join(', ') : 'none yet — promote a deployment first'})`, 'invalid_request_error', 'model', 'model_not_found');
    }
    e.inflight++;
    let released = false;
    return {
      id: e.id,
      alias: e.alias,
      model: e.model,
      release: () => {
        if (released) return;
        released = true;
        e.inflight--;
        if (e.inflight === 0) e.retired?.();
      },
    };
  }

  /** `/v1/models`: every alias (its `root` is the version it routes to) and every loaded model. */
  list() {
    const aliases = [...this.aliases].map(([alias, id]) => ({ id: alias, object: 'model' as const, created: this.models.get(id)?.created ?? unixNow(), owned_by: 'distillery', root: id, parent: null }));
    const models = [...this.models.values()].map((e) => ({ id: e.id, object: 'model' as const, created: e.created, owned_by: 'distillery', root: e.id, parent: e.alias ?? null }));
    return { object: 'list' as const, data: [...aliases, ...models] };
  }

  /** The prompts (and answers) recently served behind an alias, oldest first. */
  recentOf(alias: string): RecentRequest[] {
    return this.recent.get(alias)?.toArray() ?? [];
  }

  private record(alias: string | undefined, prompt: string | undefined, answer: string): void {
    if (alias === undefined || prompt === undefined) return;
    let ring = this.recent.get(alias);
    if (!ring) this.recent.set(alias, (ring = new Ring(this.options.recentCapacity)));
    ring.push({ prompt, answer, at: Date.now() });
  }

  private generateOptions(p: SamplingParams): GenerateOptions {
    if (p.maxTokens !== undefined && p.maxTokens > this.options.maxTokensLimit) throw badRequest('max_tokens', `max_tokens ${p.maxTokens} exceeds this runner's limit of ${this.options.maxTokensLimit}`);
    return { maxNewTokens: p.maxTokens ?? this.options.defaultMaxTokens, temperature: p.temperature, topP: p.topP, seed: p.seed ?? randomInt(2 ** 31), stop: p.stop };
  }

  /** The prompt's token ids, checked against the model's context (400 `context_length_exceeded`). */
  private promptIds(lease: Lease, kind: 'chat' | 'text', req: ChatRequest | CompletionRequest): number[] {
    const field = kind === 'chat' ? 'messages' : 'prompt';
    let ids: number[];
    try {
      ids = kind === 'chat' ? lease.model.chatPromptIds((req as ChatRequest).messages) : lease.model.promptIds((req as CompletionRequest).prompt);
    } catch (err) {
      if (err instanceof InferenceRequestError) throw badRequest(field, err.message);
      throw badRequest(field, `the chat template cannot render these messages: ${(err as Error).message}`);
    }
    if (ids.length === 0) throw badRequest(field, 'the prompt has no tokens');
    const context = lease.model.config.max_position_embeddings;
    if (ids.length >= context) throw badRequest(field, `the prompt has ${ids.length} tokens; the model's context is ${context} (room for at least 1 new token needed)`, 'context_length_exceeded');
    return ids;
  }

  private static promptText(kind: 'chat' | 'text', req: ChatRequest | CompletionRequest): string | undefined {
    if (kind === 'text') return typeof (req as CompletionRequest).prompt === 'string' ? ((req as CompletionRequest).prompt as string) : undefined;
    return [...(req as ChatRequest).messages].reverse().find((m) => m.role === 'user')?.content;
  }

  /** A non-streamed completion (chat or text) in OpenAI's response shape. */
  complete(kind: 'chat', req: ChatRequest, ctx: RequestContext): Promise<ReturnType<typeof chatCompletion>>;
  complete(kind: 'text', req: CompletionRequest, ctx: RequestContext): Promise<ReturnType<typeof textCompletion>>;
  complete(kind: 'chat' | 'text', req: ChatRequest | CompletionRequest, ctx: RequestContext): Promise<ReturnType<typeof chatCompletion> | ReturnType<typeof textCompletion>>;
  async complete(kind: 'chat' | 'text', req: ChatRequest | CompletionRequest, ctx: RequestContext) {
    const lease = this.acquire(req.model);
    try {
      const options = this.generateOptions(req.params);
      const ids = this.promptIds(lease, kind, req);
      const g = await mapErrors(() => lease.model.generate(ids, options));
      const meta = { id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`, created: unixNow(), model: lease.id };
      if (!ctx.probe) this.record(lease.alias, Runner.promptText(kind, req), g.text);
      const u = usage(ids.length, g.tokenIds.length);
      return kind === 'chat' ? chatCompletion(meta, g.text, g.finishReason, u) : textCompletion(meta, g.text, g.finishReason, u);
    } finally {
      lease.release();
    }
  }

  /**
   * A streamed completion: the lease is taken and the request checked before anything is sent (errors are plain
   * 4xx answers), then the frames hold the lease until the stream ends or the client goes away.
   */
  stream(kind: 'chat' | 'text', req: ChatRequest | CompletionRequest, ctx: RequestContext): PreparedStream {
    const lease = this.acquire(req.model);
    let ids: number[];
    let options: GenerateOptions;
    try {
      options = this.generateOptions(req.params);
      ids = this.promptIds(lease, kind, req);
    } catch (err) {
      lease.release();
      throw err;
    }
    const meta = { id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`, created: unixNow(), model: lease.id };
    const record = (text: string) => (ctx.probe ? undefined : this.record(lease.alias, Runner.promptText(kind, req), text));
    async function* frames(): AsyncGenerator<string> {
      try {
        yield* sseFrames(meta, lease.model.stream(ids, options), { kind, promptTokens: ids.length, includeUsage: req.includeUsage, onDone: record });
      } finally {
        lease.release();
      }
    }
    return { meta, frames: frames() };
  }

  /** Closes every model (waiting for in-flight requests). */
  async close(): Promise<void> {
    this.aliases.clear();
    await Promise.all([...this.models.keys()].map((id) => this.retire(id)));
    await Promise.all([...this.closing]);
  }
}

/** Inference errors as OpenAI errors: a request the model refuses is a 400 naming the field; a closed model a 503. */
async function mapErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InferenceRequestError) {
      const param = ({ prompt: 'prompt', temperature: 'temperature', topP: 'top_p', topK: 'top_k', maxNewTokens: 'max_tokens' } as Record<string, string>)[err.field] ?? err.field;
      throw badRequest(param, err.message);
    }
    if (err instanceof ModelClosedError) throw new OpenAiError(503, 'the model was unloaded while answering; retry', 'service_unavailable_error', null, 'model_unloaded');
    throw err;
  }
}
