import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { materializeBundle, readBundle, type BundleIndex, type FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef } from '@distillery/contracts';
import { loadModel, type InferenceModel } from '@distillery/inference';
import { resolveModel, type ResolveModelOptions } from '@distillery/models';
import { PlanFacts } from './lookups.js';

/** A bundle the built-in runner cannot serve (a GGUF or ONNX export, an unknown layout): the smoke check says why. */
export class NotServableError extends Error {
  readonly code = 'DEPLOYMENT.NOT_SERVABLE';
  constructor(message: string) {
    super(message);
    this.name = 'NotServableError';
  }
}

export interface ModelLoaderOptions {
  /** Where bundles are materialized, one folder per bundle digest (kept: a rollback reloads without copying). */
  readonly cacheDir: string;
  readonly models: ResolveModelOptions;
  readonly threads: number;
}

/** What to load: a bundle, and the base model of an adapter when the bundle does not name one. */
export interface ModelSource {
  readonly bundle_ref: ArtifactRef;
  readonly base_model?: string;
}

const ADAPTER_CONFIG = 'adapter_config.json';
const MODEL_CONFIG = 'config.json';
const READY = '.materialized';

/**
 * Turns a deployment's bundle into a loaded model, as the evaluation service loads a training output: a PEFT adapter
 * bundle (`peft-adapter`, or an export's peft bundle) is merged into its base model at load, an HF model folder
 * (`hf-model`, `export-hf`) is loaded as is. The base model of an adapter is the bundle's `metadata.base_model` (the
 * trainer writes it), else the training plan's, else adapter_config.json's `base_model_name_or_path`.
 */
export class ModelLoader {
  private readonly plans = new Map<string, PlanFacts>();

  constructor(
    private readonly store: FileArtifactStore,
    private readonly options: ModelLoaderOptions,
  ) {}

  /** A train plan's facts (cached by digest). */
  async plan(ref: ArtifactRef): Promise<PlanFacts> {
    let p = this.plans.get(ref.sha256);
    if (!p) this.plans.set(ref.sha256, (p = PlanFacts.parse(JSON.parse((await this.store.readBytes(ref)).toString('utf8')))));
    return p;
  }

  /** The bundle's files in the cache (materialized once per digest; a half-written folder is never used). */
  async materialize(ref: ArtifactRef): Promise<{ dir: string; index: BundleIndex }> {
    const dir = join(this.options.cacheDir, ref.sha256);
    if (existsSync(join(dir, READY))) return { dir, index: await readBundle(this.store, ref) };
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true });
    try {
      const index = await materializeBundle(this.store, ref, tmp);
      await writeFile(join(tmp, READY), '');
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      return { dir, index };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async load(source: ModelSource): Promise<InferenceModel> {
    const { dir, index } = await this.materialize(source.bundle_ref);
    const root = await servableRoot(dir, index);
    if (existsSync(join(root, ADAPTER_CONFIG))) {
      const adapterConfig = JSON.parse(await readFile(join(root, ADAPTER_CONFIG), 'utf8')) as { base_model_name_or_path?: string };
      const locator = (typeof index.metadata?.['base_model'] === 'string' ? (index.metadata['base_model'] as string) : undefined) ?? source.base_model ?? (adapterConfig.base_model_name_or_path || undefined);
      if (!locator) throw new NotServableError(`the adapter bundle ${source.bundle_ref.uri} names no base model (bundle metadata, training plan or adapter_config.json)`);
      const base = await resolveModel(locator, this.options.models);
      return loadModel(base.dir, { adapter: root, threads: this.options.threads });
    }
    return loadModel(root, { threads: this.options.threads });
  }
}

/** The folder of a bundle that holds the model (or adapter): the bundle root, or its one sub-folder that does. */
async function servableRoot(dir: string, index: BundleIndex): Promise<string> {
  const isModel = (d: string) => existsSync(join(d, ADAPTER_CONFIG)) || existsSync(join(d, MODEL_CONFIG));
  if (isModel(dir)) return dir;
  const subs = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && isModel(join(dir, e.name)));
  if (subs.length === 1) return join(dir, subs[0]!.name);
  const files = Object.keys(index.files);
  const hint = files.some((f) => f.endsWith('.gguf')) ? ': a GGUF bundle is served by llama.cpp or Ollama (targets llama-cpp / ollama)' : files.some((f) => f.endsWith('.onnx')) ? ': an ONNX bundle is served by onnxruntime / transformers.js, not by this runner' : '';
  throw new NotServableError(`the '${index.kind}' bundle holds neither a model folder (config.json) nor a PEFT adapter (adapter_config.json)${hint} (files: ${files.slice(0, 8).join(', ')}${files.length > 8 ? ', …' : ''})`);
}
