import { ModelTokenizer, type TokenizerFiles } from '@distillery/models';
import { GgufUnsupportedError } from './errors.js';
import { gguf, type GgufValue } from './gguf-values.js';

/**
 * The `tokenizer.*` metadata of a GGUF file for a byte-level BPE tokenizer (tokenizer.json with `model.type: BPE`),
 * which llama.cpp runs as `tokenizer.ggml.model = "gpt2"`: the vocabulary by id, token types, merges, the
 * pre-tokenizer it must re-implement (`tokenizer.ggml.pre`), special token ids, BOS/EOS insertion flags and the chat
 * template. What llama.cpp needs to tokenize exactly like the HF tokenizer, and to stop generating.
 */

/** `tokenizer.ggml.token_type` values (llama.cpp's `LLAMA_TOKEN_TYPE_*`, the spec's list). */
export const GGUF_TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/**
 * HF pre-tokenizers recognised here, by the `tokenizer.ggml.pre` name under which llama.cpp implements the same split.
 * llama.cpp does not read a regex from the file: each name selects code compiled into it. The HF converter picks the
 * name by hashing the tokenization of a fixed text with known tokenizers; a tokenizer we trained ourselves hashes to
 * nothing known, so here the choice is made from what the tokenizer.json pre-tokenizer *is*:
 * - `gpt-2`: ByteLevel with `use_regex` and no prefix space (GPT-2's own pattern; Distillery's trainBpe writes this).
 * - `smollm`: Digits (individual) then that same ByteLevel (SmolLM/SmolLM2: every digit on its own).
 * - `qwen2` / `llama-bpe`: a Split on Qwen2's / Llama 3's regex, then ByteLevel without regex.
 * Anything else is refused rather than written with a guessed name: a wrong pre-tokenizer still loads and then
 * tokenizes differently from the HF tokenizer, which is worse than an error.
 */
export const PRE_TOKENIZER_REGEX = {
  'qwen2': "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  'llama-bpe': "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
} as const;
export type GgufPreTokenizer = 'gpt-2' | 'smollm' | keyof typeof PRE_TOKENIZER_REGEX;

type Json = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const isByteLevel = (p: unknown, useRegex: boolean): boolean =>
  isObject(p) && p['type'] === 'ByteLevel' && (p['use_regex'] ?? true) === useRegex && (p['add_prefix_space'] ?? false) === false;

/** The llama.cpp pre-tokenizer name for a tokenizer.json `pre_tokenizer`, or a GgufUnsupportedError saying why not. */
export function ggufPreTokenizer(preTokenizer: unknown): GgufPreTokenizer {
  if (isByteLevel(preTokenizer, true)) return 'gpt-2';
  if (isObject(preTokenizer) && preTokenizer['type'] === 'Sequence' && Array.isArray(preTokenizer['pretokenizers'])) {
    const [first, second, ...rest] = preTokenizer['pretokenizers'] as unknown[];
    if (rest.length === 0 && isObject(first) && first['type'] === 'Digits' && first['individual_digits'] === true && isByteLevel(second, true)) return 'smollm';
    if (rest.length === 0 && isObject(first) && first['type'] === 'Split' && isByteLevel(second, false)) {
      const pattern = isObject(first['pattern']) ? first['pattern']['Regex'] : undefined;
      const behaviour = first['behavior'];
      for (const [name, regex] of Object.entries(PRE_TOKENIZER_REGEX)) {
        if (pattern === regex && behaviour === 'Isolated' && first['invert'] !== true) return name as GgufPreTokenizer;
      }
    }
  }
  throw new GgufUnsupportedError(
    `the tokenizer's pre_tokenizer ${JSON.stringify(preTokenizer)?.slice(0, 300)} is not one llama.cpp is known to re-implement here (GPT-2 ByteLevel, SmolLM digits + ByteLevel, Qwen2 or Llama 3 regex + ByteLevel)`,
    'tokenizer.pre_tokenizer',
    preTokenizer,
  );
}

/** BOS/EOS insertion from tokenizer_config.json, else from a TemplateProcessing post-processor (what HF applies). */
function addSpecialFlags(files: TokenizerFiles, bos: string | undefined, eos: string | undefined): { addBos: boolean; addEos: boolean } {
  const config = files.tokenizerConfig ?? {};
  const post = files.tokenizerJson['post_processor'];
  let fromTemplate: { addBos: boolean; addEos: boolean } = { addBos: false, addEos: false };
  if (isObject(post) && post['type'] === 'TemplateProcessing' && Array.isArray(post['single'])) {
    const single = post['single'] as unknown[];
    const special = (item: unknown): string | undefined => (isObject(item) && isObject(item['SpecialToken']) ? (item['SpecialToken']['id'] as string) : undefined);
    fromTemplate = { addBos: bos !== undefined && special(single[0]) === bos, addEos: eos !== undefined && special(single[single.length - 1]) === eos };
  }
  return {
    addBos: typeof config['add_bos_token'] === 'boolean' ? config['add_bos_token'] : fromTemplate.addBos,
    addEos: typeof config['add_eos_token'] === 'boolean' ? config['add_eos_token'] : fromTemplate.addEos,
  };
}

export interface TokenizerMetadataOptions {
  /** Rows of the embedding (config.json `vocab_size`): the token list is padded to it (llama.cpp requires equal counts). */
  readonly vocabSize: number;
  /** config.json's ids, used when the tokenizer files name no such token. */
  readonly bosTokenId?: number | null;
  readonly eosTokenIds?: readonly number[];
  readonly padTokenId?: number | null;
}

/**
 * `tokenizer.*` metadata for a byte-level BPE tokenizer. Token types follow the HF converter: added tokens marked
 * `special` are CONTROL (llama.cpp never prints them and matches them in text only when asked to parse specials),
 * other added tokens USER_DEFINED, everything else NORMAL, and ids with no token (holes, or embedding rows past the
 * tokenizer) become `[PAD<id>]` UNUSED entries so that the list has exactly `vocabSize` entries.
 */
export function tokenizerMetadata(files: TokenizerFiles, options: TokenizerMetadataOptions): Map<string, GgufValue> {
  const model = files.tokenizerJson['model'];
  if (!isObject(model) || model['type'] !== 'BPE') {
    throw new GgufUnsupportedError(`tokenizer.json model type ${JSON.stringify(isObject(model) ? model['type'] : model)} is not BPE: only byte-level BPE tokenizers are written (tokenizer.ggml.model gpt2)`, 'tokenizer.model.type', isObject(model) ? model['type'] : model);
  }
  if (model['byte_fallback'] === true) {
    // SentencePiece-style BPE (Llama 2, TinyLlama, Mistral v0.x): llama.cpp runs those as tokenizer.ggml.model "llama",
    // with scores, which this writer does not produce.
    throw new GgufUnsupportedError('tokenizer.json is a SentencePiece-style BPE (byte_fallback): llama.cpp reads it as tokenizer.ggml.model "llama", which this writer does not produce', 'tokenizer.model.byte_fallback', true);
  }
  const pre = ggufPreTokenizer(files.tokenizerJson['pre_tokenizer']);
  const tokenizer = new ModelTokenizer(files);

  const tokens: (string | undefined)[] = new Array(options.vocabSize);
  const types: number[] = new Array(options.vocabSize).fill(GGUF_TOKEN_TYPE.unused);
  const place = (content: string, id: number, type: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= options.vocabSize) {
      throw new GgufUnsupportedError(`token ${JSON.stringify(content)} has id ${id}, outside the model's vocab_size ${options.vocabSize}`, 'tokenizer.vocab', id);
    }
    tokens[id] = content;
    types[id] = type;
  };
  for (const [content, id] of Object.entries(model['vocab'] as Readonly<Record<string, number>>)) place(content, id, GGUF_TOKEN_TYPE.normal);
  for (const t of tokenizer.addedTokens) place(t.content, t.id, t.special ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.userDefined);
  const list = Array.from({ length: options.vocabSize }, (_, id) => tokens[id] ?? `[PAD${id}]`);
  if (new Set(list).size !== list.length) throw new GgufUnsupportedError('the vocabulary has a token text under two ids', 'tokenizer.vocab', null);

  // Merges are "left right" strings in GGUF. tokenizers ≥ 0.20 may store [left, right] pairs: those must be joined,
  // an array of arrays is rejected by ggml's reader ("has invalid GGUF type 9") and the whole file fails to load.
  const merges = ((model['merges'] ?? []) as readonly (string | readonly string[])[]).map((m) => (typeof m === 'string' ? m : m.join(' ')));

  const id = (content: string | undefined): number | undefined => (content === undefined ? undefined : tokenizer.tokenToId(content));
  const bos = tokenizer.bos?.id ?? options.bosTokenId ?? undefined;
  const eos = tokenizer.eos?.id ?? options.eosTokenIds?.[0];
  const pad = tokenizer.pad?.id ?? options.padTokenId ?? undefined;
  const unk = tokenizer.unk?.id ?? id(model['unk_token'] as string | undefined);
  const flags = addSpecialFlags(files, tokenizer.bos?.content, tokenizer.eos?.content);

  const out = new Map<string, GgufValue>();
  out.set('tokenizer.ggml.model', gguf.string('gpt2'));
  out.set('tokenizer.ggml.pre', gguf.string(pre));
  out.set('tokenizer.ggml.tokens', gguf.strings(list));
  out.set('tokenizer.ggml.token_type', gguf.int32s(types));
  out.set('tokenizer.ggml.merges', gguf.strings(merges));
  if (bos !== undefined && bos !== null) out.set('tokenizer.ggml.bos_token_id', gguf.uint32(bos));
  if (eos !== undefined) out.set('tokenizer.ggml.eos_token_id', gguf.uint32(eos));
  // A second end-of-generation id of config.json (e.g. eos [<|im_end|>, <|endoftext|>]) goes in as end-of-turn, so
  // llama.cpp stops on it as well (it stops on eos, eot, eom, and on a few token texts it recognises).
  const eot = (options.eosTokenIds ?? []).find((e) => e !== eos);
  if (eot !== undefined) out.set('tokenizer.ggml.eot_token_id', gguf.uint32(eot));
  if (unk !== undefined) out.set('tokenizer.ggml.unknown_token_id', gguf.uint32(unk));
  if (pad !== undefined && pad !== null) out.set('tokenizer.ggml.padding_token_id', gguf.uint32(pad));
  // Always written: without the key llama.cpp falls back to a per-pre-tokenizer default (true for llama-bpe), which
  // can differ from what the HF tokenizer does.
  out.set('tokenizer.ggml.add_bos_token', gguf.bool(flags.addBos));
  out.set('tokenizer.ggml.add_eos_token', gguf.bool(flags.addEos));
  if (tokenizer.chatTemplate !== undefined) out.set('tokenizer.chat_template', gguf.string(tokenizer.chatTemplate));
  return out;
}
