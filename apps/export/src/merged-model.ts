import { mergeLora, readAdapter } from '@distillery/inference';
import { expectedTensorShapes, readModelFolder, writeModelFolder, type DecoderConfig, type ModelFolder, type ModelTokenizer, type Tensor, type TokenizerFiles } from '@distillery/models';
import { ExportRequestError } from './errors.js';
import { exportGenerationConfig, stopTokenIds } from './stop-tokens.js';

/** The trained model as a bundle holds it. */
export type ModelKind = 'peft-adapter' | 'hf-model';

export interface MergedModel {
  readonly dir: string;
  readonly config: DecoderConfig;
  readonly tokenizer: ModelTokenizer;
  readonly tokenizerFiles: TokenizerFiles;
  readonly generationConfig: Record<string, unknown>;
  /** Every id that ends a generation (see stopTokenIds). */
  readonly stopIds: readonly number[];
  readonly files: readonly string[];
}

async function readWeights(folder: ModelFolder): Promise<Map<string, Tensor>> {
  const weights = new Map<string, Tensor>();
  for (const name of expectedTensorShapes(folder.config).keys()) weights.set(name, await folder.checkpoint.readTensor(name));
  return weights;
}

/**
 * Tokenizer files with the chat template in tokenizer_config.json (where transformers < 4.43, llama.cpp's converter
 * and transformers.js look for it) even when the source keeps it only in chat_template.jinja.
 */
function withTemplateInConfig(files: TokenizerFiles, tokenizer: ModelTokenizer): TokenizerFiles {
  const config = files.tokenizerConfig ?? {};
  if (tokenizer.chatTemplate === undefined || typeof config['chat_template'] === 'string' || Array.isArray(config['chat_template'])) return files;
  return { ...files, tokenizerConfig: { ...config, chat_template: tokenizer.chatTemplate } };
}

/**
 * Writes the trained model as a full HF model folder at `dir`: a LoRA adapter merged into its base model's weights
 * (libs/inference mergeLora: W + scale·B·A in float64, rounded once), or a full fine-tune's weights as they are; the
 * tokenizer with the chat template; generation_config.json whose `eos_token_id` lists every stop id (config and
 * tokenizer eos, the template's end-of-turn token). Every other format is made from this folder.
 */
export async function writeMergedModel(dir: string, model: { readonly kind: ModelKind; readonly dir: string }, baseDir: string): Promise<MergedModel> {
  const folder = await readModelFolder(model.kind === 'peft-adapter' ? baseDir : model.dir);
  let weights: Map<string, Tensor>;
  try {
    weights = await readWeights(folder);
  } finally {
    await folder.close();
  }
  if (model.kind === 'peft-adapter') weights = mergeLora(folder.config, weights, await readAdapter(model.dir, folder.config));
  else if (model.kind !== 'hf-model') throw new ExportRequestError(`cannot export a '${String(model.kind)}' bundle: expected a peft-adapter or an hf-model`);
  const stopIds = stopTokenIds(folder.config, folder.tokenizer, folder.generationConfig);
  const generationConfig = exportGenerationConfig(folder.config, folder.generationConfig, stopIds);
  const tokenizerFiles = withTemplateInConfig(folder.tokenizerFiles, folder.tokenizer);
  const written = await writeModelFolder(dir, { config: folder.config, tensors: weights, tokenizer: tokenizerFiles, generationConfig });
  return { dir, config: folder.config, tokenizer: folder.tokenizer, tokenizerFiles, generationConfig, stopIds, files: written.files };
}
