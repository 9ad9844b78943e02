import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, ENGINE_LORA_TARGETS, loraModules, mergeAdapter, type EngineLoraTarget } from '@distillery/engine-ort';
import { SafetensorsFile, type DecoderConfig, type Tensor } from '@distillery/models';
import { AdapterError } from './errors.js';

/**
 * A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, as libs/engine-ort exports it and
 * `PeftModel.save_pretrained` writes it) merged into the base weights at load: W' = W + scale · B·A, accumulated in
 * float64 (engine-ort's `mergeAdapter`, the same merge as its `merged` export). scale = lora_alpha / r, or
 * lora_alpha / √r with use_rslora. Anything that changes the maths and is not modelled is refused, never ignored.
 */

export interface LoraAdapter {
  readonly dir: string;
  readonly r: number;
  readonly alpha: number;
  readonly scale: number;
  readonly targets: readonly EngineLoraTarget[];
  /** PEFT names → tensors (lora_A [r, in], lora_B [out, r]). */
  readonly tensors: ReadonlyMap<string, Tensor>;
}

type Json = Readonly<Record<string, unknown>>;

const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

function checkConfig(json: Json, file: string): { r: number; alpha: number; scale: number; targets: EngineLoraTarget[] } {
  const refuse = (field: string, why: string): never => {
    throw new AdapterError(`${file}: ${field} ${JSON.stringify(json[field])} is not supported: ${why}`, file, field);
  };
  if (json['peft_type'] !== 'LORA') refuse('peft_type', 'only LORA adapters are merged');
  if (json['task_type'] !== undefined && json['task_type'] !== 'CAUSAL_LM') refuse('task_type', 'only CAUSAL_LM adapters apply to a decoder');
  const r = json['r'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) refuse('r', 'r must be a positive integer');
  const alpha = json['lora_alpha'];
  if (typeof alpha !== 'number' || !(alpha > 0)) refuse('lora_alpha', 'lora_alpha must be positive');
  const raw = json['target_modules'];
  if (!Array.isArray(raw) || raw.length === 0) refuse('target_modules', `a list of linear layers (${ENGINE_LORA_TARGETS.join(', ')}) is expected`);
  for (const t of raw as unknown[]) if (!ENGINE_LORA_TARGETS.includes(t as EngineLoraTarget)) refuse('target_modules', `'${String(t)}' is not a linear layer of the decoder`);
  if (json['bias'] !== undefined && json['bias'] !== 'none') refuse('bias', 'adapters that train biases are not modelled');
  for (const field of ['use_dora', 'fan_in_fan_out', 'modules_to_save', 'layers_to_transform', 'rank_pattern', 'alpha_pattern']) {
    if (!isEmpty(json[field])) refuse(field, 'this variant changes the merge and is not modelled');
  }
  const rank = r as number;
  const a = alpha as number;
  return { r: rank, alpha: a, scale: json['use_rslora'] === true ? a / Math.sqrt(rank) : a / rank, targets: [...new Set(raw as EngineLoraTarget[])] };
}

/** Reads and validates an adapter folder against the base model's config (every expected tensor, nothing else). */
export async function readAdapter(dir: string, config: DecoderConfig): Promise<LoraAdapter> {
  const configFile = join(dir, ADAPTER_CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configFile, 'utf8'));
  } catch (err) {
    throw new AdapterError(`${configFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, configFile);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new AdapterError(`${configFile} is not a JSON object`, configFile);
  const cfg = checkConfig(json as Json, configFile);

  const weightsFile = join(dir, ADAPTER_WEIGHTS_FILE);
  let file: SafetensorsFile;
  try {
    file = await SafetensorsFile.open(weightsFile);
  } catch (err) {
    throw new AdapterError(`${weightsFile} cannot be read (${(err as Error).message})`, weightsFile);
  }
  try {
    const tensors = new Map<string, Tensor>();
    const modules = loraModules(config, { r: cfg.r, alpha: cfg.alpha, dropout: 0, target_modules: cfg.targets });
    const problems: string[] = [];
    for (const m of modules) {
      for (const [name, shape] of [
        [m.aName, [cfg.r, m.in]],
        [m.bName, [m.out, cfg.r]],
      ] as const) {
        if (!file.names.includes(name)) {
          problems.push(`missing ${name}`);
          continue;
        }
        const t = await file.readTensor(name);
        if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) problems.push(`${name} is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
        else tensors.set(name, t);
      }
    }
    const unexpected = file.names.filter((n) => !tensors.has(n) && !problems.some((p) => p.includes(n)));
    if (unexpected.length > 0) problems.push(`unexpected ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''}`);
    if (problems.length > 0) throw new AdapterError(`${weightsFile} does not fit the base model: ${problems.slice(0, 8).join('; ')}`, weightsFile);
    return { dir, r: cfg.r, alpha: cfg.alpha, scale: cfg.scale, targets: cfg.targets, tensors };
  } finally {
    await file.close();
  }
}

/** The base weights with every adapted linear weight replaced by W + scale · B·A (the base map is not changed). */
export function mergeLora(config: DecoderConfig, weights: ReadonlyMap<string, Tensor>, adapter: LoraAdapter): Map<string, Tensor> {
  const out = new Map(weights);
  for (const m of loraModules(config, { r: adapter.r, alpha: adapter.alpha, dropout: 0, target_modules: adapter.targets })) {
    const name = `${m.module}.weight`;
    const w = weights.get(name) as Tensor;
    const a = (adapter.tensors.get(m.aName) as Tensor).data;
    const b = (adapter.tensors.get(m.bName) as Tensor).data;
    out.set(name, { shape: w.shape, data: mergeAdapter(w.data, a, b, m.out, m.in, adapter.r, adapter.scale) });
  }
  return out;
}
