import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { TokenizerError } from './errors.js';
import { readJsonIfExists } from './fs-util.js';

/**
 * A model's tokenizer: tokenizer.json through @huggingface/tokenizers (the implementation transformers.js uses),
 * special tokens from tokenizer_config.json (then special_tokens_map.json), and the chat template
 * (tokenizer_config.json `chat_template`, else chat_template.jinja) rendered with @huggingface/jinja.
 */

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

/** The JSON files of a tokenizer, as found in a model folder. */
export interface TokenizerFiles {
  /** tokenizer.json */
  readonly tokenizerJson: Readonly<Record<string, unknown>>;
  /** tokenizer_config.json */
  readonly tokenizerConfig?: Readonly<Record<string, unknown>>;
  /** special_tokens_map.json */
  readonly specialTokensMap?: Readonly<Record<string, unknown>>;
  /** chat_template.jinja (transformers ≥ 4.47 saves the template there instead of in tokenizer_config.json). */
  readonly chatTemplateJinja?: string;
}

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
  readonly [key: string]: unknown;
}

export interface SpecialToken {
  readonly content: string;
  readonly id: number;
}

export interface AddedTokenInfo extends SpecialToken {
  readonly special: boolean;
}

export interface RenderChatOptions {
  /** Append the prompt that opens the assistant's turn (default false). */
  readonly addGenerationPrompt?: boolean;
  /** Further template variables (`tools`, `documents`, custom kwargs). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

export interface RoundTripReport {
  /** decoded === rendered and every special token in the text was encoded as its own id. */
  readonly ok: boolean;
  readonly rendered: string;
  readonly ids: readonly number[];
  readonly decoded: string;
  /** The first difference between rendered and decoded. */
  readonly mismatch?: { readonly index: number; readonly expected: string; readonly actual: string };
  /**
   * Special tokens (see `specialTokenContents`) that occur in the rendered text more often than their id occurs in
   * the encoding: the tokenizer split them into pieces (e.g. a template marker missing from `added_tokens`).
   */
  readonly splitSpecialTokens: readonly string[];
  /** A one-paragraph explanation when not ok. */
  readonly problem?: string;
}

/** The narrow part of @huggingface/tokenizers' `Tokenizer` used here (its published types do not resolve under NodeNext). */
interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
  tokenize(text: string, options?: { add_special_tokens?: boolean }): string[];
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}

type SpecialKey = 'bos_token' | 'eos_token' | 'pad_token' | 'unk_token';

/** A special token entry: a string, an AddedToken object `{content, …}`, or null. */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

const snippet = (s: string, at: number): string => JSON.stringify(s.slice(Math.max(0, at - 20), at + 20));

export class ModelTokenizer {
  private readonly hf: HfTokenizer;
  private template: Template | undefined;
  readonly bos: SpecialToken | null;
  readonly eos: SpecialToken | null;
  readonly pad: SpecialToken | null;
  readonly unk: SpecialToken | null;
  readonly addedTokens: readonly AddedTokenInfo[];
  /** Largest id + 1 (the embedding rows a model needs at least). */
  readonly vocabSize: number;
  readonly chatTemplate: string | undefined;

  constructor(
    readonly files: TokenizerFiles,
    /** Names the files in messages (a folder, or `<memory>`). */
    readonly source = '<memory>',
  ) {
    const config = files.tokenizerConfig ?? {};
    try {
      // transformers ≥ 4.45 no longer cleans up spaces unless asked; @huggingface/tokenizers still defaults to true.
      this.hf = new Tokenizer(files.tokenizerJson, { ...config, clean_up_tokenization_spaces: config['clean_up_tokenization_spaces'] ?? false }) as HfTokenizer;
    } catch (err) {
      throw new TokenizerError(`${source}: ${TOKENIZER_FILE} cannot be loaded (${(err as Error).message})`, { cause: err });
    }
    const added = (files.tokenizerJson['added_tokens'] ?? []) as { id: number; content: string; special?: boolean }[];
    this.addedTokens = added.map((t) => ({ id: t.id, content: t.content, special: t.special === true }));
    let max = -1;
    for (const id of this.hf.get_vocab(true).values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    const special = (key: SpecialKey): SpecialToken | null => {
      const fromConfig = key in config ? tokenContent(config[key]) : undefined;
      const content = key in config ? fromConfig : tokenContent(files.specialTokensMap?.[key]);
      if (content === undefined) return null;
      const id = this.hf.token_to_id(content);
      if (id === undefined) throw new TokenizerError(`${source}: ${key} ${JSON.stringify(content)} is not in the vocabulary of ${TOKENIZER_FILE}`);
      return { content, id };
    };
    this.bos = special('bos_token');
    this.eos = special('eos_token');
    this.pad = special('pad_token');
    this.unk = special('unk_token');
    this.chatTemplate = pickTemplate(config['chat_template'], files.chatTemplateJinja, source);
  }

  /** Loads tokenizer.json (required), tokenizer_config.json, special_tokens_map.json and chat_template.jinja from a folder. */
  static async load(dir: string): Promise<ModelTokenizer> {
    return new ModelTokenizer(await readTokenizerFiles(dir), dir);
  }

  /** Token ids; `addSpecialTokens` (default true, as in transformers) applies the post-processor (e.g. a BOS). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Token strings (no post-processor). */
  tokenize(text: string): string[] {
    return this.hf.tokenize(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new TokenizerError(`${this.source}: token id ${id} is outside the vocabulary (0…${this.vocabSize - 1})`);
    }
    return this.hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** Renders messages with the chat template (variables: messages, add_generation_prompt, bos/eos/pad/unk_token). */
  renderChat(messages: readonly ChatMessage[], options: RenderChatOptions = {}): string {
    if (this.chatTemplate === undefined) throw new TokenizerError(`${this.source}: the tokenizer has no chat template (${TOKENIZER_CONFIG_FILE} chat_template or ${CHAT_TEMPLATE_FILE})`);
    if (!this.template) {
      try {
        this.template = new Template(this.chatTemplate);
      } catch (err) {
        throw new TokenizerError(`${this.source}: the chat template does not parse (${(err as Error).message})`, { cause: err });
      }
    }
    const tokens: Record<string, string> = {};
    for (const [key, t] of [
      ['bos_token', this.bos],
      ['eos_token', this.eos],
      ['pad_token', this.pad],
      ['unk_token', this.unk],
    ] as const) {
      if (t) tokens[key] = t.content;
    }
    try {
      return this.template.render({ ...options.variables, ...tokens, messages, add_generation_prompt: options.addGenerationPrompt ?? false });
    } catch (err) {
      throw new TokenizerError(`${this.source}: rendering the chat template failed (${(err as Error).message})`, { cause: err });
    }
  }

  /**
   * Contents of every special token: added tokens marked special, bos/eos/pad/unk and `additional_special_tokens`
   * of tokenizer_config.json. Each should encode as one id wherever it occurs.
   */
  specialTokenContents(): string[] {
    const out = new Set(this.addedTokens.filter((t) => t.special).map((t) => t.content));
    for (const t of [this.bos, this.eos, this.pad, this.unk]) if (t) out.add(t.content);
    const extra = this.files.tokenizerConfig?.['additional_special_tokens'];
    if (Array.isArray(extra)) for (const e of extra) if (tokenContent(e) !== undefined) out.add(tokenContent(e) as string);
    return [...out];
  }

  /**
   * render → encode (no added special tokens: the template places them) → decode, and compares. A mismatch names
   * the first differing position with the text around it on both sides.
   */
  roundTrip(messages: readonly ChatMessage[], options: RenderChatOptions = {}): RoundTripReport {
    const rendered = this.renderChat(messages, options);
    const ids = this.encode(rendered, { addSpecialTokens: false });
    const text = ids.length > 0 ? this.hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : '';
    let mismatch: RoundTripReport['mismatch'];
    if (text !== rendered) {
      let i = 0;
      while (i < rendered.length && i < text.length && rendered[i] === text[i]) i++;
      mismatch = { index: i, expected: rendered.slice(Math.max(0, i - 20), i + 20), actual: text.slice(Math.max(0, i - 20), i + 20) };
    }
    const splitSpecialTokens = this.specialTokenContents().filter((content) => {
      const id = this.hf.token_to_id(content);
      return countOccurrences(rendered, content) > (id === undefined ? 0 : ids.filter((x) => x === id).length);
    });
    const problems: string[] = [];
    if (mismatch) problems.push(`decode(encode(rendered)) differs from the rendered text at index ${mismatch.index}: expected ${snippet(rendered, mismatch.index)}, got ${snippet(text, mismatch.index)}`);
    if (splitSpecialTokens.length > 0) problems.push(`special tokens not encoded as their own id: ${splitSpecialTokens.join(', ')}`);
    return {
      ok: problems.length === 0,
      rendered,
      ids,
      decoded: text,
      ...(mismatch ? { mismatch } : {}),
      splitSpecialTokens,
      ...(problems.length > 0 ? { problem: `${this.source}: ${problems.join('; ')}` } : {}),
    };
  }
}

function countOccurrences(haystack: string, needle: string): number {
  if (needle === '') return 0;
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** `chat_template` is a string, or a list of `{name, template}` (the `default` one is used). */
function pickTemplate(value: unknown, jinja: string | undefined, source: string): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as { name?: unknown; template?: unknown }[];
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    if (typeof chosen?.template !== 'string') throw new TokenizerError(`${source}: ${TOKENIZER_CONFIG_FILE} chat_template is a list without a usable template`);
    return chosen.template;
  }
  if (value !== undefined && value !== null) throw new TokenizerError(`${source}: ${TOKENIZER_CONFIG_FILE} chat_template must be a string (got ${typeof value})`);
  return jinja;
}

export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const json = async (name: string, required: boolean): Promise<Record<string, unknown> | undefined> => {
    let value: unknown;
    try {
      value = await readJsonIfExists(join(dir, name));
    } catch (err) {
      throw new TokenizerError(`${join(dir, name)} cannot be read (${(err as Error).message})`, { cause: err });
    }
    if (value === undefined) {
      if (required) throw new TokenizerError(`${dir} has no ${name}`);
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenizerError(`${join(dir, name)} is not a JSON object`);
    return value as Record<string, unknown>;
  };
  const tokenizerJson = (await json(TOKENIZER_FILE, true)) as Record<string, unknown>;
  const tokenizerConfig = await json(TOKENIZER_CONFIG_FILE, false);
  const specialTokensMap = await json(SPECIAL_TOKENS_MAP_FILE, false);
  const chatTemplateJinja = await readFile(join(dir, CHAT_TEMPLATE_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new TokenizerError(`${join(dir, CHAT_TEMPLATE_FILE)} cannot be read (${err.code ?? err.message})`, { cause: err });
  });
  return {
    tokenizerJson,
    ...(tokenizerConfig ? { tokenizerConfig } : {}),
    ...(specialTokensMap ? { specialTokensMap } : {}),
    ...(chatTemplateJinja !== undefined ? { chatTemplateJinja } : {}),
  };
}
