/**
 * A small client of the OpenAI-compatible HTTP API, on fetch: what the smoke and drift checks use, so they work the
 * same against the built-in runner, vLLM (`http://host:8000/v1`), a llama.cpp server (`http://host:8080/v1`) or
 * Ollama (`http://host:11434/v1`). The base URL may be given with or without its `/v1`.
 */
import { context, propagation } from '@opentelemetry/api';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface SamplingFields {
  readonly max_tokens?: number;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly seed?: number;
  readonly stop?: string | readonly string[];
}

export interface ChatCompletionResponse {
  readonly id: string;
  readonly object: 'chat.completion';
  readonly model: string;
  readonly choices: ReadonlyArray<{ readonly index: number; readonly message: { readonly role: string; readonly content: string | null }; readonly finish_reason: string | null }>;
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number; readonly total_tokens: number };
}

export interface TextCompletionResponse {
  readonly id: string;
  readonly object: 'text_completion';
  readonly model: string;
  readonly choices: ReadonlyArray<{ readonly index: number; readonly text: string; readonly finish_reason: string | null }>;
  readonly usage?: ChatCompletionResponse['usage'];
}

export interface ChatCompletionChunk {
  readonly id: string;
  readonly object: 'chat.completion.chunk';
  readonly model: string;
  readonly choices: ReadonlyArray<{ readonly index: number; readonly delta: { readonly role?: string; readonly content?: string }; readonly finish_reason: string | null }>;
  readonly usage?: ChatCompletionResponse['usage'];
}

/** A non-2xx answer: its status and the OpenAI error body (or the raw text). */
export class OpenAiClientError extends Error {
  readonly code = 'DEPLOYMENT.ENDPOINT_ERROR';
  constructor(
    readonly status: number,
    readonly body: unknown,
    url: string,
  ) {
    const message = (body as { error?: { message?: string } })?.error?.message ?? (typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body));
    super(`${url} answered ${status}: ${message}`);
    this.name = 'OpenAiClientError';
  }
}

export interface OpenAiClientOptions {
  readonly apiKey?: string;
  /** Extra headers on every request (the checks mark themselves as probes). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per request (default 120 s). */
  readonly timeoutMs?: number;
}

/** `http://h:1/v1`, `http://h:1/v1/`, `http://h:1` → `http://h:1/v1`. */
export const apiBase = (baseUrl: string): string => {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
};

/**
 * The events of a server-sent-events body: each event's `data:` lines joined; comments and other fields skipped.
 * Works on any split of the byte stream into chunks.
 */
export async function* sseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  const flush = function* (final: boolean): Generator<string> {
    for (;;) {
      const m = /\r?\n\r?\n/.exec(buffer);
      if (!m) break;
      const block = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
      if (data.length > 0) yield data.join('\n');
    }
    if (final && buffer.trim() !== '') {
      const data = buffer.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
      buffer = '';
      if (data.length > 0) yield data.join('\n');
    }
  };
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* flush(false);
  }
  buffer += decoder.decode();
  yield* flush(true);
}

export class OpenAiClient {
  readonly base: string;

  constructor(
    baseUrl: string,
    private readonly options: OpenAiClientOptions = {},
  ) {
    this.base = apiBase(baseUrl);
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}), ...this.options.headers };
    // fetch is not instrumented: carry the active trace (a deploy or drift check's stage span) by hand
    propagation.inject(context.active(), headers);
    return headers;
  }

  private async request(path: string, init: { method: 'GET' | 'POST'; body?: unknown }): Promise<Response> {
    const url = `${this.base}${path}`;
    const res = await fetch(url, {
      method: init.method,
      headers: this.headers(),
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
    });
    if (!res.ok) {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      throw new OpenAiClientError(res.status, body, url);
    }
    return res;
  }

  async models(): Promise<{ data: ReadonlyArray<{ id: string; root?: string }> }> {
    return (await this.request('/models', { method: 'GET' })).json() as Promise<{ data: Array<{ id: string; root?: string }> }>;
  }

  async chat(model: string, messages: readonly ChatMessage[], sampling: SamplingFields = {}): Promise<ChatCompletionResponse> {
    return (await this.request('/chat/completions', { method: 'POST', body: { model, messages, ...sampling } })).json() as Promise<ChatCompletionResponse>;
  }

  async completion(model: string, prompt: string, sampling: SamplingFields = {}): Promise<TextCompletionResponse> {
    return (await this.request('/completions', { method: 'POST', body: { model, prompt, ...sampling } })).json() as Promise<TextCompletionResponse>;
  }

  /** A streamed chat completion: its chunks, until `[DONE]`; an error event in the stream throws. */
  async *chatStream(model: string, messages: readonly ChatMessage[], sampling: SamplingFields & { include_usage?: boolean } = {}): AsyncGenerator<ChatCompletionChunk> {
    const { include_usage, ...rest } = sampling;
    const res = await this.request('/chat/completions', { method: 'POST', body: { model, messages, ...rest, stream: true, ...(include_usage ? { stream_options: { include_usage: true } } : {}) } });
    if (!res.body) throw new Error(`${this.base}/chat/completions answered without a body`);
    for await (const data of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data) as ChatCompletionChunk & { error?: unknown };
      if (chunk.error) throw new OpenAiClientError(200, chunk, `${this.base}/chat/completions (stream)`);
      yield chunk;
    }
  }
}
