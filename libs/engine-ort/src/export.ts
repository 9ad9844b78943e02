import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeModelFolder, writeSafetensors } from '@distillery/models';
import type { ExportedModel, ExportOptions } from './engine.js';
import { EngineConfigError } from './errors.js';
import { adapterConfig } from './lora.js';
import type { OrtTrainingRun } from './run.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
export const MERGED_SUBDIR = 'merged';

/**
 * Writes what a run produced. Full (and full-DPO) runs: an HF model folder at `dir`. LoRA runs: the PEFT adapter
 * folder at `dir` (adapter_config.json + adapter_model.safetensors, loadable by `PeftModel.from_pretrained`), and with
 * `merged` also the merged model as an HF folder in `dir/merged`.
 */
export async function exportRun(run: OrtTrainingRun, dir: string, options: ExportOptions): Promise<ExportedModel> {
  const lora = run.plan.lora;
  const needsModel = lora === undefined || options.merged === true;
  if (needsModel && options.tokenizer === undefined) {
    throw new EngineConfigError('exporting a model folder (HF layout) needs the tokenizer files (options.tokenizer)', 'tokenizer');
  }
  const files: string[] = [];
  let modelDir: string | undefined;
  let adapterDir: string | undefined;
  if (lora !== undefined) {
    adapterDir = dir;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, ADAPTER_CONFIG_FILE), `${JSON.stringify(adapterConfig(lora.config, options.baseModel ?? ''), null, 2)}\n`);
    await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), run.trainedTensors(), { metadata: { format: 'pt' } });
    files.push(ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE);
  }
  if (needsModel && options.tokenizer !== undefined) {
    modelDir = lora === undefined ? dir : join(dir, MERGED_SUBDIR);
    const written = await writeModelFolder(modelDir, { config: run.config, tensors: run.mergedWeights(), tokenizer: options.tokenizer });
    files.push(...written.files.map((f) => (lora === undefined ? f : `${MERGED_SUBDIR}/${f}`)));
  }
  return { ...(modelDir === undefined ? {} : { modelDir }), ...(adapterDir === undefined ? {} : { adapterDir }), files };
}
