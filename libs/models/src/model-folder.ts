import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Checkpoint, writeCheckpoint } from './checkpoint.js';
import { assertWeights, checkWeights, configToJson, type DecoderConfig, eosTokenIds, parseDecoderConfig, type WeightsReport } from './config.js';
import { ModelConfigError, ModelIoError } from './errors.js';
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from './fs-util.js';
import { resolveModel, type ResolvedModel, type ResolveModelOptions } from './locator.js';
import type { FloatDType, TensorMap, TensorToWrite } from './safetensors.js';
import {
  CHAT_TEMPLATE_FILE,
  ModelTokenizer,
  readTokenizerFiles,
  SPECIAL_TOKENS_MAP_FILE,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILE,
  type TokenizerFiles,
} from './tokenizer.js';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';

const TORCH_DTYPE: Readonly<Record<FloatDType, string>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

export interface ModelFolderContents {
  readonly config: DecoderConfig;
  readonly tensors: TensorMap<TensorToWrite>;
  readonly tokenizer: TokenizerFiles;
  /** Default: bos/eos/pad ids from the config. */
  readonly generationConfig?: Readonly<Record<string, unknown>>;
  /** dtype of the weights (default F32); tensors may name their own. */
  readonly dtype?: FloatDType;
  /** See `writeCheckpoint` (default 5 GiB). */
  readonly maxShardBytes?: number;
}

export interface WrittenModelFolder {
  readonly dir: string;
  /** Every file written, relative to dir. */
  readonly files: readonly string[];
}

/** The generation_config.json transformers derives from a model config. */
export function generationConfigFor(config: DecoderConfig): Record<string, unknown> {
  return {
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    ...(config.pad_token_id !== null ? { pad_token_id: config.pad_token_id } : {}),
  };
}

/**
 * Writes an HF-layout model folder: config.json, model.safetensors (or shards + index), tokenizer.json,
 * tokenizer_config.json (+ special_tokens_map.json / chat_template.jinja when given), generation_config.json.
 * The weights are checked against the config and the tokenizer against the vocabulary before anything is written.
 */
export async function writeModelFolder(dir: string, contents: ModelFolderContents): Promise<WrittenModelFolder> {
  const { config } = contents;
  const shapes = new Map(
    (contents.tensors instanceof Map ? [...(contents.tensors as ReadonlyMap<string, TensorToWrite>)] : Object.entries(contents.tensors)).map(([n, t]) => [n, t.shape] as const),
  );
  assertWeights(config, shapes, `the tensors for ${dir}`);
  const tokenizer = new ModelTokenizer(contents.tokenizer, dir);
  checkTokenizerFits(config, tokenizer, dir);

  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const json = async (name: string, value: unknown) => {
    await writeJsonAtomic(join(dir, name), value);
    files.push(name);
  };
  await json(CONFIG_FILE, configToJson(config, { torch_dtype: TORCH_DTYPE[contents.dtype ?? 'F32'] }));
  await json(GENERATION_CONFIG_FILE, contents.generationConfig ?? generationConfigFor(config));
  await json(TOKENIZER_FILE, contents.tokenizer.tokenizerJson);
  await json(TOKENIZER_CONFIG_FILE, contents.tokenizer.tokenizerConfig ?? {});
  if (contents.tokenizer.specialTokensMap) await json(SPECIAL_TOKENS_MAP_FILE, contents.tokenizer.specialTokensMap);
  if (contents.tokenizer.chatTemplateJinja !== undefined) {
    await writeFileAtomic(join(dir, CHAT_TEMPLATE_FILE), contents.tokenizer.chatTemplateJinja);
    files.push(CHAT_TEMPLATE_FILE);
  } else {
    await rm(join(dir, CHAT_TEMPLATE_FILE), { force: true });
  }
  const written = await writeCheckpoint(dir, contents.tensors, { dtype: contents.dtype, maxShardBytes: contents.maxShardBytes });
  files.push(...written.files, ...(written.files.length > 1 ? ['model.safetensors.index.json'] : []));
  return { dir, files };
}

/** Every token id must have an embedding row (the model's vocabulary may be larger, padded). */
function checkTokenizerFits(config: DecoderConfig, tokenizer: ModelTokenizer, where: string): void {
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new ModelConfigError(`${where}: the tokenizer has ${tokenizer.vocabSize} tokens but the config's vocab_size is ${config.vocab_size}`, 'vocab_size');
  }
}

export interface ModelFolder {
  readonly dir: string;
  readonly config: DecoderConfig;
  /** config.json as written (fields this lib does not model included). */
  readonly configJson: Readonly<Record<string, unknown>>;
  readonly generationConfig?: Readonly<Record<string, unknown>>;
  readonly checkpoint: Checkpoint;
  readonly weights: WeightsReport;
  readonly tokenizerFiles: TokenizerFiles;
  readonly tokenizer: ModelTokenizer;
  /** Non-fatal findings (e.g. the config's eos id is not the tokenizer's eos token). */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

export interface ReadModelFolderOptions {
  /** 'throw' (default): a weights mismatch is a WeightsMismatchError; 'report': it is in `weights`. */
  readonly weights?: 'throw' | 'report';
}

/** Reads an HF-layout folder: validates config.json, opens the weights (headers only) and loads the tokenizer. */
export async function readModelFolder(dir: string, options: ReadModelFolderOptions = {}): Promise<ModelFolder> {
  const configPath = join(dir, CONFIG_FILE);
  let configJson: unknown;
  try {
    configJson = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelIoError(`${dir} has no ${CONFIG_FILE}`, configPath, { cause: err });
    throw new ModelConfigError(`${configPath} cannot be read (${code ?? (err as Error).message})`);
  }
  const config = parseDecoderConfig(configJson, configPath);
  const generationConfig = (await readJsonIfExists(join(dir, GENERATION_CONFIG_FILE)).catch((err: Error) => {
    throw new ModelConfigError(`${join(dir, GENERATION_CONFIG_FILE)} cannot be read (${err.message})`);
  })) as Record<string, unknown> | undefined;
  const tokenizerFiles = await readTokenizerFiles(dir);
  const tokenizer = new ModelTokenizer(tokenizerFiles, dir);
  checkTokenizerFits(config, tokenizer, dir);
  const checkpoint = await Checkpoint.open(dir);
  let weights: WeightsReport;
  try {
    weights = options.weights === 'report' ? checkWeights(config, checkpoint.shapes()) : assertWeights(config, checkpoint.shapes(), `the weights in ${dir}`);
  } catch (err) {
    await checkpoint.close();
    throw err;
  }
  const warnings: string[] = [];
  if (tokenizer.eos && config.eos_token_id !== null && !eosTokenIds(config).includes(tokenizer.eos.id)) {
    warnings.push(`config.json eos_token_id ${JSON.stringify(config.eos_token_id)} does not include the tokenizer's eos_token ${tokenizer.eos.content} (id ${tokenizer.eos.id})`);
  }
  return {
    dir,
    config,
    configJson: configJson as Record<string, unknown>,
    ...(generationConfig ? { generationConfig } : {}),
    checkpoint,
    weights,
    tokenizerFiles,
    tokenizer,
    warnings,
    close: () => checkpoint.close(),
  };
}

/** resolveModel + readModelFolder. */
export async function openModel(locator: string, options: ResolveModelOptions & ReadModelFolderOptions = {}): Promise<ModelFolder & { readonly source: ResolvedModel }> {
  const source = await resolveModel(locator, options);
  return { ...(await readModelFolder(source.dir, options)), source };
}
