import type { Rendered } from './handlers.js';
import { IGNORE_INDEX, RowShapeError, type ChatMessage, type ChatTokenizer, type TokenizedExample, type TokenizedPair } from './types.js';

export interface TokenizeOptions {
  /** Longest sequence kept (tokens). */
  readonly max_seq_len: number;
}

/** A piece of the rendered text, trained or not. */
export interface Segment {
  readonly text: string;
  readonly train: boolean;
}

/**
 * Splits a conversation's rendering into prompt and answer segments: for each assistant turn, the rendering of the
 * turns before it with the generation prompt is a prefix of the rendering that includes it; the difference is what the
 * model must learn to produce (the answer and the template's end-of-turn marker). Templates that do not render
 * stable prefixes are refused, naming the turn.
 */
export function chatSegments(row_id: string, messages: readonly ChatMessage[], tok: ChatTokenizer): Segment[] {
  const segments: Segment[] = [];
  let done = '';
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]!.role !== 'assistant') continue;
    const prompt = tok.renderChat(messages.slice(0, i), { addGenerationPrompt: true });
    const withAnswer = tok.renderChat(messages.slice(0, i + 1), { addGenerationPrompt: false });
    if (!prompt.startsWith(done) || !withAnswer.startsWith(prompt)) {
      throw new RowShapeError(row_id, 'chat_sft', `the chat template does not render turn ${i} as an extension of the turns before it; its loss mask cannot be built`);
    }
    if (prompt.length > done.length) segments.push({ text: prompt.slice(done.length), train: false });
    segments.push({ text: withAnswer.slice(prompt.length), train: true });
    done = withAnswer;
  }
  const full = tok.renderChat(messages, { addGenerationPrompt: false });
  if (!full.startsWith(done)) throw new RowShapeError(row_id, 'chat_sft', 'the chat template renders the whole conversation differently from its turns');
  if (full.length > done.length) segments.push({ text: full.slice(done.length), train: false });
  return segments;
}

/**
 * Tokens and labels of segments (each encoded on its own, so the loss mask falls exactly on segment boundaries).
 * Sequences longer than max_seq_len keep their end (the answer) and lose the start of the prompt; a sequence whose
 * trained tokens would all be cut is kept from the start instead, so it still trains on something.
 */
export function tokenizeSegments(row_id: string, segments: readonly Segment[], tok: ChatTokenizer, opts: TokenizeOptions, keep: 'end' | 'start' = 'end'): TokenizedExample {
  const ids: number[] = [];
  const labels: number[] = [];
  for (const s of segments) {
    const t = tok.encode(s.text);
    for (const id of t) {
      ids.push(id);
      labels.push(s.train ? id : IGNORE_INDEX);
    }
  }
  const n = ids.length;
  if (n <= opts.max_seq_len) return { row_id, input_ids: ids, labels, original_length: n, truncated: false };
  let from = keep === 'end' ? n - opts.max_seq_len : 0;
  if (keep === 'end' && labels.slice(from).every((l) => l === IGNORE_INDEX)) from = 0;
  return { row_id, input_ids: ids.slice(from, from + opts.max_seq_len), labels: labels.slice(from, from + opts.max_seq_len), original_length: n, truncated: true };
}

/** Tokenizes a rendered row: conversations and pairs through the chat template, raw text with an end-of-sequence token. */
export function tokenizeRendered(row_id: string, r: Rendered, tok: ChatTokenizer, opts: TokenizeOptions): TokenizedExample | TokenizedPair {
  if (r.kind === 'text') return tokenizeSegments(row_id, [{ text: r.text + tok.eosToken, train: true }], tok, opts, 'start');
  if (r.kind === 'chat') return tokenizeSegments(row_id, chatSegments(row_id, r.messages, tok), tok, opts);
  const chosen = tokenizeSegments(row_id, chatSegments(row_id, [...r.prompt, { role: 'assistant', content: r.chosen }], tok), tok, opts);
  const rejected = tokenizeSegments(row_id, chatSegments(row_id, [...r.prompt, { role: 'assistant', content: r.rejected }], tok), tok, opts);
  return { row_id, chosen, rejected };
}

/** Trained tokens of an example (labels not masked). */
export const trainedTokens = (e: TokenizedExample): number => e.labels.reduce((a, l) => a + (l === IGNORE_INDEX ? 0 : 1), 0);
