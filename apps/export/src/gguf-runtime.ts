import { GGUF_FILE_TYPE, GgufFile, readLlamaWeights, type GgufFileType } from '@distillery/gguf';
import { writeModelFolder, type DecoderConfig, type ModelTokenizer, type TokenizerFiles } from '@distillery/models';
import { InferenceRuntime } from './runtime.js';

/** What the GGUF must say about the model it holds: the merged model's config, tokenizer and stop ids. */
export interface GgufExpectations {
  readonly config: DecoderConfig;
  readonly tokenizer: ModelTokenizer;
  readonly tokenizerFiles: TokenizerFiles;
  readonly fileType: GgufFileType;
}

/**
 * Differences between a GGUF file's metadata and the model it should hold: hyperparameters, file type, the
 * vocabulary (every tokenizer id's token text), the chat template, and an eos id. Empty when it matches.
 */
export function ggufMetadataProblems(file: GgufFile, e: GgufExpectations): string[] {
  const c = e.config;
  const problems: string[] = [];
  const num = (key: string): number | undefined => {
    const v = file.value(key);
    return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
  };
  const expected: ReadonlyArray<readonly [string, number]> = [
    ['general.file_type', GGUF_FILE_TYPE[e.fileType]],
    ['llama.vocab_size', c.vocab_size],
    ['llama.context_length', c.max_position_embeddings],
    ['llama.embedding_length', c.hidden_size],
    ['llama.block_count', c.num_hidden_layers],
    ['llama.feed_forward_length', c.intermediate_size],
    ['llama.attention.head_count', c.num_attention_heads],
    ['llama.attention.head_count_kv', c.num_key_value_heads],
    ['llama.rope.dimension_count', c.head_dim],
    ['llama.rope.freq_base', Math.fround(c.rope_theta)],
    ['llama.attention.layer_norm_rms_epsilon', Math.fround(c.rms_norm_eps)],
  ];
  if (file.value('general.architecture') !== 'llama') problems.push(`general.architecture is ${JSON.stringify(file.value('general.architecture'))}, not llama`);
  for (const [key, want] of expected) if (num(key) !== want) problems.push(`${key} is ${String(num(key))}, expected ${want}`);
  const tokens = file.value('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || tokens.length !== c.vocab_size) problems.push(`tokenizer.ggml.tokens has ${Array.isArray(tokens) ? tokens.length : 'no'} entries, expected ${c.vocab_size}`);
  else {
    const wrong = Array.from({ length: e.tokenizer.vocabSize }, (_, id) => id).find((id) => e.tokenizer.idToToken(id) !== undefined && tokens[id] !== e.tokenizer.idToToken(id));
    if (wrong !== undefined) problems.push(`tokenizer.ggml.tokens[${wrong}] is ${JSON.stringify(tokens[wrong])}, the tokenizer's is ${JSON.stringify(e.tokenizer.idToToken(wrong))}`);
  }
  if (e.tokenizer.chatTemplate !== undefined && file.value('tokenizer.chat_template') !== e.tokenizer.chatTemplate) problems.push('tokenizer.chat_template is missing or not the tokenizer’s chat template');
  if (num('tokenizer.ggml.eos_token_id') === undefined) problems.push('tokenizer.ggml.eos_token_id is missing: llama.cpp would never stop');
  return problems;
}

/** The ids llama.cpp ends a generation on, from the file: eos, end-of-turn and end-of-message. */
export function ggufStopIds(file: GgufFile): number[] {
  const ids = ['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id', 'tokenizer.ggml.eom_token_id'].map((k) => file.value(k)).filter((v): v is number | bigint => typeof v === 'number' || typeof v === 'bigint');
  return [...new Set(ids.map(Number))].sort((a, b) => a - b);
}

/**
 * A GGUF export read back with libs/gguf (dequantized weights, q/k rows un-permuted) and run on libs/inference: the
 * file's hyperparameters, vocabulary and chat template are checked against the model first, and generation stops on
 * the file's own eos / end-of-turn ids, so a file that would not stop in llama.cpp does not stop here either.
 * `dir` receives the HF folder the weights are run from.
 */
export async function openGgufRuntime(path: string, dir: string, e: GgufExpectations, threads = 2): Promise<InferenceRuntime> {
  const file = await GgufFile.open(path);
  let stops: number[];
  let template: string | undefined;
  let tokens: readonly string[];
  try {
    const problems = ggufMetadataProblems(file, e);
    if (problems.length > 0) throw new Error(`the GGUF metadata does not describe the model: ${problems.join('; ')}`);
    stops = ggufStopIds(file);
    template = file.value('tokenizer.chat_template') as string | undefined;
    tokens = file.value('tokenizer.ggml.tokens') as readonly string[];
    const weights = await readLlamaWeights(file);
    const eos = stops.includes(Number(file.value('tokenizer.ggml.eos_token_id'))) ? Number(file.value('tokenizer.ggml.eos_token_id')) : (stops[0] as number);
    const tokenizerConfig = { ...(e.tokenizerFiles.tokenizerConfig ?? {}), eos_token: tokens[eos], ...(template !== undefined ? { chat_template: template } : {}) };
    const { chatTemplateJinja: _jinja, ...files } = e.tokenizerFiles;
    await writeModelFolder(dir, { config: { ...e.config, eos_token_id: eos }, tensors: weights, tokenizer: { ...files, tokenizerConfig }, generationConfig: { eos_token_id: stops } });
  } finally {
    await file.close();
  }
  return InferenceRuntime.load(`libs/inference on the GGUF's dequantized weights`, dir, { threads });
}
