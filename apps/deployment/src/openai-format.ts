/**
 * OpenAI response and stream-chunk shapes, and the server-sent-events framing of a stream: one `data: <json>` event
 * per chunk, a blank line after each, and `data: [DONE]` at the end. A chat stream opens with a chunk whose delta
 * carries the assistant role, sends each piece of text as `delta.content`, and closes with an empty delta carrying
 * the finish reason; with `stream_options.include_usage` a last chunk has no choices and the usage.
 */

export type FinishReason = 'stop' | 'length';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export const usage = (promptTokens: number, completionTokens: number): Usage => ({ prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });

/** What every response and chunk of one request shares. */
export interface ResponseMeta {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  /** The model that answered: the version's id (`<project>/<slot>@v<n>`), whatever alias was asked for. */
  readonly model: string;
}

export function chatCompletion(meta: ResponseMeta, content: string, finish: FinishReason, u: Usage) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: 'assistant' as const, content }, logprobs: null, finish_reason: finish }],
    usage: u,
  };
}

export function textCompletion(meta: ResponseMeta, text: string, finish: FinishReason, u: Usage) {
  return {
    id: meta.id,
    object: 'text_completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    usage: u,
  };
}

export const chatChunk = (meta: ResponseMeta, delta: { role?: 'assistant'; content?: string }, finish: FinishReason | null) => ({
  id: meta.id,
  object: 'chat.completion.chunk' as const,
  created: meta.created,
  model: meta.model,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});

export const textChunk = (meta: ResponseMeta, text: string, finish: FinishReason | null) => ({
  id: meta.id,
  object: 'text_completion' as const,
  created: meta.created,
  model: meta.model,
  choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
});

export const usageChunk = (meta: ResponseMeta, kind: 'chat' | 'text', u: Usage) => ({
  id: meta.id,
  object: kind === 'chat' ? ('chat.completion.chunk' as const) : ('text_completion' as const),
  created: meta.created,
  model: meta.model,
  choices: [],
  usage: u,
});

export const sseData = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

/** One generated token as the model streams it (libs/inference's GenerationChunk, structurally). */
export interface TokenChunk {
  readonly text: string;
  readonly finishReason: FinishReason | null;
}

export interface StreamOptions {
  readonly kind: 'chat' | 'text';
  readonly promptTokens: number;
  readonly includeUsage: boolean;
  /** Called with the full text and the finish reason once the generation ended (the runner records it). */
  readonly onDone?: (text: string, finish: FinishReason, completionTokens: number) => void;
}

/**
 * The SSE frames of one streamed generation, in order, `[DONE]` included. Tokens whose text is not final yet (held
 * back while it may begin a stop sequence) send nothing; the finish reason travels on its own last chunk.
 */
export async function* sseFrames(meta: ResponseMeta, tokens: AsyncIterable<TokenChunk>, o: StreamOptions): AsyncGenerator<string> {
  if (o.kind === 'chat') yield sseData(chatChunk(meta, { role: 'assistant', content: '' }, null));
  let text = '';
  let count = 0;
  let finish: FinishReason = 'length';
  for await (const t of tokens) {
    count++;
    if (t.text !== '') {
      text += t.text;
      yield sseData(o.kind === 'chat' ? chatChunk(meta, { content: t.text }, null) : textChunk(meta, t.text, null));
    }
    if (t.finishReason !== null) {
      finish = t.finishReason;
      break;
    }
  }
  yield sseData(o.kind === 'chat' ? chatChunk(meta, {}, finish) : textChunk(meta, '', finish));
  if (o.includeUsage) yield sseData(usageChunk(meta, o.kind, usage(o.promptTokens, count)));
  o.onDone?.(text, finish, count);
  yield SSE_DONE;
}

/** An error after the stream started (headers are sent): one `data: {error}` event, then `[DONE]`. */
export const sseError = (body: unknown): string => `${sseData(body)}${SSE_DONE}`;
