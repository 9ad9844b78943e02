import { BYTE_TO_UNICODE, preTokenize, toByteLevel } from './byte-level.js';

/**
 * A byte-level BPE trainer (GPT-2 scheme) that writes a Hugging Face `tokenizer.json`.
 *
 * 1. The corpus is split on the special tokens (they are never learned from), pre-tokenized with the GPT-2 pattern,
 *    and each piece becomes a byte-level word; identical words are counted once with their frequency.
 * 2. Starting from the 256 byte symbols, the most frequent adjacent pair is merged, again and again, until the
 *    vocabulary holds `vocabSize` tokens (specials + 256 bytes + merged tokens) or no pair occurs `minFrequency`
 *    times. Pair counts are kept incrementally (only the words containing the merged pair are revisited) and the
 *    best pair comes from a heap, so a few hundred KB train in well under a second.
 * 3. Ties are broken by the pair's strings (left, then right, in code-unit order), never by insertion order, so the
 *    result depends only on the corpus and the settings.
 *
 * Vocabulary layout: the special tokens first (ids 0…k−1, in the order given), then the 256 byte symbols in byte
 * order, then merged tokens in merge order. Merges are written in the order learned, which is the rank order BPE
 * encoders apply them in.
 */

export const DEFAULT_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<pad>'] as const;

/** ChatML: `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n` for a generation prompt. */
export const CHATML_TEMPLATE =
  "{%- for message in messages -%}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}{%- endfor -%}" +
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

export interface BpeTrainingOptions {
  /** Total vocabulary: special tokens + 256 bytes + merged tokens. */
  readonly vocabSize: number;
  /** Default `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`, `<pad>`. */
  readonly specialTokens?: readonly string[];
  /** A pair seen fewer times is never merged (default 2). */
  readonly minFrequency?: number;
  /** tokenizer_config.json tokens; each must be one of the special tokens. Defaults: `<|endoftext|>`, `<|im_end|>`, `<pad>`, none. */
  readonly bosToken?: string | null;
  readonly eosToken?: string | null;
  readonly padToken?: string | null;
  readonly unkToken?: string | null;
  /** Default ChatML (`CHATML_TEMPLATE`), whose markers must then be special tokens. */
  readonly chatTemplate?: string | null;
  /** tokenizer_config.json `model_max_length` (default 2048). */
  readonly modelMaxLength?: number;
}

export interface TrainedBpe {
  /** tokenizer.json */
  readonly tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json */
  readonly tokenizerConfig: Record<string, unknown>;
  /** token → id, ids 0…vocabSize−1. */
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: readonly (readonly [string, string])[];
  readonly vocabSize: number;
  readonly stats: {
    readonly bytes: number;
    readonly words: number;
    readonly uniqueWords: number;
    /** Bytes per token on the training corpus after the last merge. */
    readonly bytesPerToken: number;
  };
  /** E.g. the corpus ran out of pairs before vocabSize was reached. */
  readonly warnings: readonly string[];
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Symbol ids stay below 2^21, so a pair packs into one safe integer. */
const PAIR_BASE = 2 ** 21;

export class BpeTrainingError extends Error {
  readonly code = 'MODELS.BPE_TRAINING_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'BpeTrainingError';
  }
}

/** A max-heap of pairs by (count desc, left string asc, right string asc); stale entries are skipped on pop. */
class PairHeap {
  private readonly keys: number[] = [];
  private readonly counts: number[] = [];
  constructor(private readonly tokens: string[]) {}

  get size(): number {
    return this.keys.length;
  }

  /** true when entry i should come out before entry j. */
  private before(i: number, j: number): boolean {
    const ci = this.counts[i] as number;
    const cj = this.counts[j] as number;
    if (ci !== cj) return ci > cj;
    const ki = this.keys[i] as number;
    const kj = this.keys[j] as number;
    const li = this.tokens[Math.floor(ki / PAIR_BASE)] as string;
    const lj = this.tokens[Math.floor(kj / PAIR_BASE)] as string;
    if (li !== lj) return li < lj;
    return (this.tokens[ki % PAIR_BASE] as string) < (this.tokens[kj % PAIR_BASE] as string);
  }

  private swap(i: number, j: number): void {
    [this.keys[i], this.keys[j]] = [this.keys[j] as number, this.keys[i] as number];
    [this.counts[i], this.counts[j]] = [this.counts[j] as number, this.counts[i] as number];
  }

  push(key: number, count: number): void {
    this.keys.push(key);
    this.counts.push(count);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { key: number; count: number } | undefined {
    if (this.keys.length === 0) return undefined;
    const top = { key: this.keys[0] as number, count: this.counts[0] as number };
    const lastKey = this.keys.pop() as number;
    const lastCount = this.counts.pop() as number;
    if (this.keys.length > 0) {
      this.keys[0] = lastKey;
      this.counts[0] = lastCount;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.before(l, best)) best = l;
        if (r < this.keys.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

function checkOptions(options: BpeTrainingOptions, specials: readonly string[]): void {
  const min = specials.length + 256;
  if (!Number.isSafeInteger(options.vocabSize) || options.vocabSize < min || options.vocabSize >= PAIR_BASE) {
    throw new BpeTrainingError(`vocabSize must be an integer from ${min} (${specials.length} special tokens + 256 bytes) to ${PAIR_BASE - 1} (got ${options.vocabSize})`);
  }
  if (new Set(specials).size !== specials.length || specials.some((s) => s === '')) throw new BpeTrainingError('special tokens must be distinct and non-empty');
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isSafeInteger(minFrequency) || minFrequency < 1) throw new BpeTrainingError(`minFrequency must be a positive integer (got ${minFrequency})`);
}

/** Counts the byte-level words of the corpus (special tokens cut out). */
function countWords(texts: Iterable<string>, specials: readonly string[]): { counts: Map<string, number>; bytes: number; words: number } {
  const splitter = specials.length > 0 ? new RegExp([...specials].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g') : undefined;
  const counts = new Map<string, number>();
  let bytes = 0;
  let words = 0;
  for (const text of texts) {
    for (const section of splitter ? text.split(splitter) : [text]) {
      for (const piece of preTokenize(section)) {
        const word = toByteLevel(piece);
        bytes += word.length;
        words++;
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
  }
  return { counts, bytes, words };
}

export function trainBpe(corpus: string | Iterable<string>, options: BpeTrainingOptions): TrainedBpe {
  const specials = [...(options.specialTokens ?? DEFAULT_SPECIAL_TOKENS)];
  checkOptions(options, specials);
  const minFrequency = options.minFrequency ?? 2;
  const { counts: wordCounts, bytes, words: wordTotal } = countWords(typeof corpus === 'string' ? [corpus] : corpus, specials);

  // Symbols: specials, then the 256 bytes.
  const tokens: string[] = [...specials];
  const idOf = new Map<string, number>(specials.map((s, i) => [s, i]));
  for (const ch of BYTE_TO_UNICODE) {
    if (idOf.has(ch)) throw new BpeTrainingError(`special token ${JSON.stringify(ch)} collides with a byte symbol`);
    idOf.set(ch, tokens.length);
    tokens.push(ch);
  }

  // Words in a deterministic order (sorted), as arrays of symbol ids.
  const uniqueWords = [...wordCounts.keys()].sort();
  const words: number[][] = uniqueWords.map((w) => Array.from(w, (ch) => idOf.get(ch) as number));
  const freqs: number[] = uniqueWords.map((w) => wordCounts.get(w) as number);

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, changed: Set<number>) => {
    const word = words[w] as number[];
    const f = (freqs[w] as number) * sign;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = (word[i] as number) * PAIR_BASE + (word[i + 1] as number);
      const c = (pairCounts.get(key) ?? 0) + f;
      if (c === 0) pairCounts.delete(key);
      else pairCounts.set(key, c);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
      changed.add(key);
    }
  };
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  const heap = new PairHeap(tokens);
  for (const key of initial) heap.push(key, pairCounts.get(key) as number);

  const merges: [string, string][] = [];
  const warnings: string[] = [];
  while (tokens.length < options.vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const current = pairCounts.get(top.key) ?? 0;
    if (current !== top.count) continue; // stale entry; the current count has its own entry
    if (current < minFrequency) break;
    const a = Math.floor(top.key / PAIR_BASE);
    const b = top.key % PAIR_BASE;
    const left = tokens[a] as string;
    const right = tokens[b] as string;
    const merged = left + right;
    let id = idOf.get(merged);
    if (id === undefined) {
      id = tokens.length;
      idOf.set(merged, id);
      tokens.push(merged);
    }
    merges.push([left, right]);
    const changed = new Set<number>();
    for (const w of pairWords.get(top.key) ?? []) {
      const word = words[w] as number[];
      let has = false;
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] === a && word[i + 1] === b) {
          has = true;
          break;
        }
      }
      if (!has) continue;
      addPairs(w, -1, changed);
      const next: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          next.push(id);
          i++;
        } else {
          next.push(word[i] as number);
        }
      }
      words[w] = next;
      addPairs(w, 1, changed);
    }
    pairWords.delete(top.key);
    for (const key of changed) {
      const c = pairCounts.get(key);
      if (c !== undefined && c > 0) heap.push(key, c);
    }
  }
  if (tokens.length < options.vocabSize) {
    warnings.push(`the corpus supports only ${tokens.length} tokens at minFrequency ${minFrequency} (asked for ${options.vocabSize}); the vocabulary is smaller`);
  }
  let finalTokens = 0;
  for (let w = 0; w < words.length; w++) finalTokens += (words[w] as number[]).length * (freqs[w] as number);

  const vocab = new Map(tokens.map((t, i) => [t, i]));
  const { tokenizerJson, tokenizerConfig } = tokenizerDocuments(tokens, merges, specials, options);
  return {
    tokenizerJson,
    tokenizerConfig,
    vocab,
    merges,
    vocabSize: tokens.length,
    stats: { bytes, words: wordTotal, uniqueWords: uniqueWords.length, bytesPerToken: finalTokens === 0 ? 0 : bytes / finalTokens },
    warnings,
  };
}

function tokenizerDocuments(
  tokens: readonly string[],
  merges: readonly (readonly [string, string])[],
  specials: readonly string[],
  options: BpeTrainingOptions,
): { tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> } {
  const pick = (value: string | null | undefined, fallback: string | null, key: string): string | null => {
    const v = value === undefined ? (fallback !== null && specials.includes(fallback) ? fallback : null) : value;
    if (v !== null && !specials.includes(v)) throw new BpeTrainingError(`${key} ${JSON.stringify(v)} is not one of the special tokens (${specials.join(', ')})`);
    return v;
  };
  const bos = pick(options.bosToken, '<|endoftext|>', 'bosToken');
  const eos = pick(options.eosToken, '<|im_end|>', 'eosToken');
  const pad = pick(options.padToken, '<pad>', 'padToken');
  const unk = pick(options.unkToken, null, 'unkToken');
  const chatTemplate = options.chatTemplate === undefined ? CHATML_TEMPLATE : options.chatTemplate;
  if (chatTemplate === CHATML_TEMPLATE) {
    for (const marker of ['<|im_start|>', '<|im_end|>']) {
      if (!specials.includes(marker)) throw new BpeTrainingError(`the ChatML template needs ${marker} among the special tokens`);
    }
  }
  const added = specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: { type: 'ByteLevel', ...byteLevel, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
      // "left right": byte-level tokens never contain a space (it is Ġ), so the classic format is unambiguous and
      // every tokenizers version reads it.
      merges: merges.map(([l, r]) => `${l} ${r}`),
    },
  };
  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...rest }) => [String(id), rest])),
    additional_special_tokens: specials.filter((s) => s !== bos && s !== eos && s !== pad && s !== unk),
    bos_token: bos,
    eos_token: eos,
    pad_token: pad,
    unk_token: unk,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 2048,
    tokenizer_class: 'PreTrainedTokenizerFast',
    ...(chatTemplate !== null ? { chat_template: chatTemplate } : {}),
  };
  return { tokenizerJson, tokenizerConfig };
}
