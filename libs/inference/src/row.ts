import type { ModelTokenizer } from '@distillery/models';

export type FinishReason = 'stop' | 'length';

/** One generated token as the stream reports it. */
export interface GenerationChunk {
  /** Text that became final with this token ('' while it may still be part of a stop sequence or a split character). */
  readonly text: string;
  readonly tokenId: number;
  /** log p(token) under the model (temperature 1, before top-k / top-p). */
  readonly logprob: number;
  /** Set on the last chunk only. */
  readonly finishReason: FinishReason | null;
}

export interface Generation {
  /** The generated text, without the end-of-turn token and without the stop sequence (or anything after it). */
  readonly text: string;
  /** Every generated token, the end-of-turn token or the one that completed a stop sequence included. */
  readonly tokenIds: number[];
  /** log p of each generated token (same length as tokenIds). */
  readonly logprobs: number[];
  /** 'stop': an end-of-turn token or a stop sequence; 'length': maxNewTokens (or the model's context) was reached. */
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
}

export interface RowLimits {
  readonly maxNewTokens: number;
  /** Token ids that end the row (EOS / end-of-turn, plus the request's own). */
  readonly stopIds: ReadonlySet<number>;
  readonly stop: readonly string[];
  readonly skipSpecialTokens: boolean;
}

/**
 * The text side of one row: appends tokens, ends the row on a stop id, a stop sequence or the length limit, and
 * says which text became final. Text is held back while its end could still begin a stop sequence, or ends in an
 * incomplete UTF-8 character (U+FFFD from a token that splits a character), so the concatenated chunks are exactly
 * the final text.
 */
export class RowText {
  readonly tokenIds: number[] = [];
  readonly logprobs: number[] = [];
  finishReason: FinishReason | null = null;
  private textIds: number[] = [];
  private text = '';
  private emitted = 0;
  private readonly longestStop: number;

  constructor(
    private readonly tokenizer: ModelTokenizer,
    private readonly limits: RowLimits,
    readonly promptTokens: number,
  ) {
    this.longestStop = Math.max(0, ...limits.stop.map((s) => s.length));
  }

  get done(): boolean {
    return this.finishReason !== null;
  }

  /** Appends a token and returns the chunk to stream. */
  push(tokenId: number, logprob: number): GenerationChunk {
    this.tokenIds.push(tokenId);
    this.logprobs.push(logprob);
    if (this.limits.stopIds.has(tokenId)) {
      this.finishReason = 'stop';
    } else {
      const before = this.text.length;
      // Padded vocabularies (embedding rows beyond the tokenizer's ids) have no text.
      if (tokenId < this.tokenizer.vocabSize) this.textIds.push(tokenId);
      this.text = this.tokenizer.decode(this.textIds, { skipSpecialTokens: this.limits.skipSpecialTokens });
      const at = this.findStop(Math.max(0, Math.min(before, this.emitted) - this.longestStop));
      if (at >= 0) {
        this.text = this.text.slice(0, at);
        this.finishReason = 'stop';
      } else if (this.tokenIds.length >= this.limits.maxNewTokens) {
        this.finishReason = 'length';
      }
    }
    const end = this.done ? this.text.length : this.safeEnd();
    const delta = end > this.emitted ? this.text.slice(this.emitted, end) : '';
    this.emitted = Math.max(this.emitted, end);
    return { text: delta, tokenId, logprob, finishReason: this.finishReason };
  }

  result(): Generation {
    return { text: this.text, tokenIds: [...this.tokenIds], logprobs: [...this.logprobs], finishReason: this.finishReason ?? 'length', promptTokens: this.promptTokens };
  }

  private findStop(from: number): number {
    let first = -1;
    for (const s of this.limits.stop) {
      if (s === '') continue;
      const at = this.text.indexOf(s, from);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    return first;
  }

  /** Where the text that can no longer change ends. */
  private safeEnd(): number {
    let end = this.text.length;
    while (end > this.emitted && this.text.charCodeAt(end - 1) === 0xfffd) end--;
    let hold = 0;
    for (const s of this.limits.stop) {
      for (let k = Math.min(s.length - 1, end - this.emitted); k > hold; k--) {
        if (this.text.startsWith(s.slice(0, k), end - k)) {
          hold = k;
          break;
        }
      }
    }
    return end - hold;
  }
}
