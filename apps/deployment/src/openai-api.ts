import { z } from 'zod';

/**
 * The OpenAI-compatible request surface of the built-in runner: Zod schemas of `/v1/completions` and
 * `/v1/chat/completions` bodies and their validation into what the runner executes, with OpenAI-style errors.
 *
 * Supported: model, prompt / messages, max_tokens (chat also max_completion_tokens), temperature (0–2, default 1 as
 * OpenAI), top_p, seed, stop (a string or up to 4), n (1 only), stream, stream_options.include_usage, user.
 * Fields OpenAI defines that the runner cannot honour are refused (400 naming the field) when set to anything but
 * their neutral value: n > 1, best_of > 1, echo, suffix, logprobs / top_logprobs, presence / frequency penalties,
 * logit_bias, tools, a response_format other than text. Unknown extra fields are ignored, as vLLM does, so clients
 * that send vendor extensions keep working.
 */

/** The body of every error answer: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

/** An error answered as OpenAI does: HTTP status, a message, its type, the request field at fault and a code. */
export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: 'invalid_request_error' | 'server_error' | 'service_unavailable_error',
    readonly param: string | null = null,
    readonly errorCode: string | null = null,
  ) {
    super(message);
    this.name = 'OpenAiError';
  }

  get body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.errorCode } };
  }
}

export const badRequest = (param: string | null, message: string, code: string | null = 'invalid_value'): OpenAiError => new OpenAiError(400, message, 'invalid_request_error', param, code);

const nullish = <T extends z.ZodType>(t: T) => t.nullable().optional();

const Stop = nullish(z.union([z.string(), z.array(z.string()).max(4)], { error: 'must be a string or a list of at most 4 stop sequences' }));

const common = {
  model: z.string({ error: 'required: the model to use (GET /v1/models lists them)' }).min(1, 'must not be empty'),
  max_tokens: nullish(z.number().int().positive()),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().gt(0).max(1)),
  seed: nullish(z.number().int()),
  stop: Stop,
  n: nullish(z.number().int().positive()),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.object({ include_usage: nullish(z.boolean()) })),
  user: nullish(z.string()),
  presence_penalty: nullish(z.number().min(-2).max(2)),
  frequency_penalty: nullish(z.number().min(-2).max(2)),
  logit_bias: nullish(z.record(z.string(), z.number())),
};

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const ChatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(TextPart).min(1)], { error: 'must be a string or a list of text parts' }),
  name: nullish(z.string()),
});

export const ChatCompletionBody = z.object({
  ...common,
  messages: z.array(ChatMessage, { error: 'required: a list of messages' }).min(1, 'must hold at least one message'),
  max_completion_tokens: nullish(z.number().int().positive()),
  logprobs: nullish(z.boolean()),
  top_logprobs: nullish(z.number().int().nonnegative()),
  tools: nullish(z.array(z.unknown())),
  response_format: nullish(z.object({ type: z.string() })),
});

const TokenIds = z.array(z.number().int().nonnegative()).min(1);
export const CompletionBody = z.object({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()), TokenIds, z.array(TokenIds)], { error: 'required: a string (or a list holding one string, or token ids)' }),
  logprobs: nullish(z.number().int().nonnegative()),
  echo: nullish(z.boolean()),
  suffix: nullish(z.string()),
  best_of: nullish(z.number().int().positive()),
});

export interface SamplingParams {
  /** Undefined: the runner's default. */
  readonly maxTokens?: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed?: number;
  readonly stop: readonly string[];
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: ReadonlyArray<{ readonly role: 'system' | 'user' | 'assistant'; readonly content: string }>;
  readonly params: SamplingParams;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

export interface CompletionRequest {
  readonly model: string;
  readonly prompt: string | readonly number[];
  readonly params: SamplingParams;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

const paramOf = (path: readonly PropertyKey[]): string => path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(null, 'the request body must be a JSON object', 'invalid_body');
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issues = r.error.issues;
  const first = paramOf(issues[0]?.path ?? []);
  throw badRequest(first || null, issues.map((i) => `${paramOf(i.path) || 'body'}: ${i.message}`).join('; '));
}

type Common = z.output<z.ZodObject<typeof common>>;

/** Refuses what the runner cannot honour, naming the field; returns the sampling parameters. */
function sampling(b: Common, maxTokens: number | null | undefined): SamplingParams {
  if ((b.n ?? 1) !== 1) throw badRequest('n', `n=${b.n} is not supported: the runner returns one choice per request (n=1)`, 'unsupported_value');
  for (const k of ['presence_penalty', 'frequency_penalty'] as const) if ((b[k] ?? 0) !== 0) throw badRequest(k, `${k} is not supported (only 0)`, 'unsupported_value');
  if (b.logit_bias && Object.keys(b.logit_bias).length > 0) throw badRequest('logit_bias', 'logit_bias is not supported', 'unsupported_value');
  const stop = b.stop === null || b.stop === undefined ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop;
  if (stop.some((s) => s === '')) throw badRequest('stop', 'stop sequences must not be empty');
  return {
    ...(maxTokens ? { maxTokens } : {}),
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    ...(b.seed !== null && b.seed !== undefined ? { seed: b.seed } : {}),
    stop,
  };
}

const textOf = (content: string | ReadonlyArray<{ text: string }>): string => (typeof content === 'string' ? content : content.map((p) => p.text).join(''));

export function parseChatRequest(body: unknown): ChatRequest {
  const b = parse(ChatCompletionBody, body);
  if (b.logprobs === true || (b.top_logprobs ?? 0) > 0) throw badRequest(b.logprobs === true ? 'logprobs' : 'top_logprobs', 'logprobs are not supported', 'unsupported_value');
  if (b.tools && b.tools.length > 0) throw badRequest('tools', 'tool calls are not supported', 'unsupported_value');
  if (b.response_format && b.response_format.type !== 'text') throw badRequest('response_format', `response_format '${b.response_format.type}' is not supported (only text)`, 'unsupported_value');
  if (b.max_tokens && b.max_completion_tokens && b.max_tokens !== b.max_completion_tokens) throw badRequest('max_completion_tokens', 'give max_tokens or max_completion_tokens, not two different values');
  return {
    model: b.model,
    messages: b.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: textOf(m.content) })),
    params: sampling(b, b.max_completion_tokens ?? b.max_tokens),
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
  };
}

export function parseCompletionRequest(body: unknown): CompletionRequest {
  const b = parse(CompletionBody, body);
  if ((b.best_of ?? 1) !== 1) throw badRequest('best_of', `best_of=${b.best_of} is not supported (only 1)`, 'unsupported_value');
  if (b.echo === true) throw badRequest('echo', 'echo is not supported', 'unsupported_value');
  if (b.suffix) throw badRequest('suffix', 'suffix (insertion) is not supported', 'unsupported_value');
  if (b.logprobs !== null && b.logprobs !== undefined) throw badRequest('logprobs', 'logprobs are not supported', 'unsupported_value');
  let prompt: string | readonly number[];
  const p = b.prompt;
  if (typeof p === 'string') prompt = p;
  else if (p.length === 0) throw badRequest('prompt', 'prompt must not be an empty list');
  else if (typeof p[0] === 'number') prompt = p as number[];
  else if (p.length > 1) throw badRequest('prompt', `${p.length} prompts in one request are not supported: send one prompt per request`, 'unsupported_value');
  else prompt = p[0] as string | number[];
  if (prompt.length === 0) throw badRequest('prompt', 'prompt must not be empty');
  return { model: b.model, prompt, params: sampling(b, b.max_tokens), stream: b.stream === true, includeUsage: b.stream_options?.include_usage === true };
}
