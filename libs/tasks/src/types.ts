import type { TaskProfile } from '@distillery/contracts';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/**
 * What a task handler needs of a tokenizer: plain encoding (no special tokens added), decoding, and the model's chat
 * template. libs/models implements it over tokenizer.json + tokenizer_config.json.
 */
export interface ChatTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** Renders messages through the model's chat template (tokenizer_config.json `chat_template`). */
  renderChat(messages: readonly ChatMessage[], options: { readonly addGenerationPrompt: boolean }): string;
  /** The token that ends a sequence (language modeling) — end-of-turn tokens come from the chat template itself. */
  readonly eosTokenId: number;
  readonly eosToken: string;
}

/** One training example as tokens: labels are -100 where the loss is masked (prompt tokens). */
export interface TokenizedExample {
  readonly row_id: string;
  readonly input_ids: readonly number[];
  readonly labels: readonly number[];
  /** Tokens before truncation; truncated = original_length > input_ids.length. */
  readonly original_length: number;
  readonly truncated: boolean;
}

/** A preference pair (Alignment): the same prompt with the chosen and the rejected completion. */
export interface TokenizedPair {
  readonly row_id: string;
  readonly chosen: TokenizedExample;
  readonly rejected: TokenizedExample;
}

export const IGNORE_INDEX = -100;

export class UnsupportedTaskError extends Error {
  readonly code = 'TASKS.UNSUPPORTED';
  constructor(
    readonly profile: TaskProfile,
    readonly engine: string,
  ) {
    super(`task profile '${profile}' is not supported by the ${engine} engine (text-only decoder models): it needs an engine with ${profile === 'vision_language' ? 'an image encoder' : 'an audio encoder'}`);
    this.name = 'UnsupportedTaskError';
  }
}

export class RowShapeError extends Error {
  readonly code = 'TASKS.ROW_SHAPE';
  constructor(
    readonly row_id: string,
    readonly profile: TaskProfile,
    detail: string,
  ) {
    super(`row ${row_id} (${profile}): ${detail}`);
    this.name = 'RowShapeError';
  }
}
