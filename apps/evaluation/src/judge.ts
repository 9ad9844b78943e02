import type { JudgeConfig } from '@distillery/eval-packs';

/**
 * The LLM judge of generation tasks: per row, a model behind an OpenAI-compatible endpoint rates the prediction
 * against the reference 0–10. A reply that is not a single rating is recorded as unparseable (null), never guessed;
 * an endpoint that cannot be reached, answers with an error or times out stops the judging: the evaluation goes on
 * without `judge_score` (the caller publishes `eval_judge_unavailable`).
 */

export interface JudgedRow {
  readonly row_id: string;
  /** 0–10, or null when the reply did not parse as one rating. */
  readonly rating: number | null;
  /** The judge's reply (cut to 200 characters), kept when it did not parse. */
  readonly reply?: string;
}

export type JudgeOutcome =
  | { readonly ok: true; readonly rows: readonly JudgedRow[] }
  | { readonly ok: false; readonly endpoint: string; readonly failure: { readonly error_class: string; readonly message: string }; readonly judged: number };

export interface JudgeRequestOptions {
  /** Per-request timeout (the pack's `timeout_s` wins). */
  readonly timeoutMs: number;
  /** Where `api_key_env` is looked up (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch;
}

export interface JudgeItem {
  readonly row_id: string;
  readonly prompt?: string;
  readonly references: readonly string[];
  readonly prediction: string | null;
}

const SYSTEM = [
  'You are a strict grader. You compare a model answer with the reference answer for the same input and rate the model answer from 0 to 10:',
  '10 = as correct and complete as the reference; 0 = wrong, empty or unrelated.',
  'Reply with ONE integer from 0 to 10 and nothing else: no words, no punctuation, no explanation.',
].join(' ');

/** The chat messages asking for one row's rating. */
export function judgeMessages(item: JudgeItem, criteria?: string): Array<{ role: 'system' | 'user'; content: string }> {
  const refs = item.references.length === 1 ? `Reference answer:\n${item.references[0]}` : `Reference answers (any is correct):\n${item.references.map((r) => `- ${r}`).join('\n')}`;
  return [
    { role: 'system', content: criteria ? `${SYSTEM}\nWhat makes an answer good: ${criteria}` : SYSTEM },
    { role: 'user', content: `${item.prompt ? `Input:\n${item.prompt}\n\n` : ''}${refs}\n\nModel answer:\n${item.prediction ?? ''}\n\nRating (one integer 0-10):` },
  ];
}

/**
 * A rating out of a judge's reply: a single integer 0–10, allowing the usual wrappers (`7`, `7.`, `**7**`, `"7"`,
 * `7/10`, `7 out of 10`, `Rating: 7`). Anything else — words around it, two numbers, a fraction, 11 — is null.
 */
export function parseRating(reply: string): number | null {
  const text = reply
    .trim()
    .replace(/^[*_`"']+|[*_`"']+$/g, '')
    .trim();
  const m = /^(?:(?:rating|score)\s*[:=]?\s*)?(\d{1,2})(?:\s*(?:\/|out of)\s*10)?\s*\.?$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return n >= 0 && n <= 10 ? n : null;
}

class JudgeHttpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JudgeHttpError';
  }
}

async function askOne(cfg: JudgeConfig, item: JudgeItem, o: JudgeRequestOptions): Promise<string> {
  const url = `${cfg.endpoint.replace(/\/+$/, '')}/v1/chat/completions`;
  const key = cfg.api_key_env ? (o.env ?? process.env)[cfg.api_key_env] : undefined;
  if (cfg.api_key_env && !key) throw new JudgeHttpError(`the environment variable ${cfg.api_key_env} (the judge's api_key_env) is not set`);
  const res = await (o.fetch ?? fetch)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model: cfg.model, messages: judgeMessages(item, cfg.criteria), temperature: 0, max_tokens: 8 }),
    signal: AbortSignal.timeout(cfg.timeout_s !== undefined ? cfg.timeout_s * 1_000 : o.timeoutMs),
  });
  const body = await res.text();
  if (!res.ok) throw new JudgeHttpError(`POST ${url} answered ${res.status}: ${body.slice(0, 300)}`);
  let content: unknown;
  try {
    content = (JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
  } catch {
    throw new JudgeHttpError(`POST ${url} answered with a body that is not JSON: ${body.slice(0, 300)}`);
  }
  if (typeof content !== 'string') throw new JudgeHttpError(`POST ${url} answered without choices[0].message.content`);
  return content;
}

/** Rates each row in order; stops at the first request that fails (unreachable, HTTP error, timeout, malformed body). */
export async function judgeRows(cfg: JudgeConfig, items: readonly JudgeItem[], o: JudgeRequestOptions): Promise<JudgeOutcome> {
  const rows: JudgedRow[] = [];
  for (const item of items.slice(0, cfg.max_rows ?? items.length)) {
    let reply: string;
    try {
      reply = await askOne(cfg, item, o);
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      const message = timedOut ? `no answer within the timeout (${cfg.timeout_s !== undefined ? cfg.timeout_s * 1_000 : o.timeoutMs} ms)` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      return { ok: false, endpoint: cfg.endpoint, failure: { error_class: timedOut ? 'JudgeTimeout' : e.name || 'Error', message: message.slice(0, 2_000) }, judged: rows.length };
    }
    const rating = parseRating(reply);
    rows.push({ row_id: item.row_id, rating, ...(rating === null ? { reply: reply.slice(0, 200) } : {}) });
  }
  return { ok: true, rows };
}
