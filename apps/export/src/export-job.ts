import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactNotFoundError, materializeBundle, putDirectory, readBundle, type FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef } from '@distillery/contracts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '@distillery/engine-ort';
import { convertModelFolder, GGML_TYPES, GgufUnsupportedError, llamaTensorPlan, type GgmlTypeName } from '@distillery/gguf';
import { loadModel } from '@distillery/inference';
import { GENERATION_CONFIG_FILE, ModelIoError, ModelLocatorError, ModelTokenizer, resolveModel, type ResolvedModel, type ResolveModelOptions } from '@distillery/models';
import { exactParity, smokeCheck, teacherForcedParity, type ParityOutcome } from './checks.js';
import { ExportArtifactMissingError, ExportParityError, ExportQuantizationError, ExportRequestError, ExportSmokeError, type ParityResult, type SmokeResult } from './errors.js';
import { ggufFileType, isQuantized, type ExportFormat, type ExportTarget } from './formats.js';
import { openGgufRuntime } from './gguf-runtime.js';
import { EXPORT_MANIFEST_FILE, verifyAgainstManifest, writeExportManifest, type ExportManifest } from './manifest.js';
import { writeMergedModel, type MergedModel, type ModelKind } from './merged-model.js';
import { OnnxRuntime } from './onnx-runtime.js';
import { goldPrompts, promptIds, type CheckPrompt } from './prompts.js';
import { exportReadme } from './readme.js';
import { InferenceRuntime, type CheckRuntime } from './runtime.js';
import { idsOf } from './stop-tokens.js';

/**
 * Test-only fault injection. `perturbExport` runs on the written export folder before its manifest is made and it is
 * stored, so the bundle is internally consistent and only the checks can tell it is wrong. start.ts never sets it;
 * it exists so that a test can prove that the parity check fails a bad export.
 */
export interface ExportFaults {
  readonly perturbExport?: (run: { readonly format: ExportFormat; readonly export_run_id: string }, dir: string) => Promise<void>;
}

export interface ExportDeps {
  readonly store: FileArtifactStore;
  readonly models: ResolveModelOptions;
  readonly threads?: number;
  /** Gold prompts checked when the request does not say (default 8). */
  readonly checkRows?: number;
  /** Token limit per prompt in the checks (default 48). */
  readonly maxNewTokens?: number;
  readonly faults?: ExportFaults;
}

export interface ExportInputs {
  readonly export_run_id: string;
  /** The request's time: the manifest's `created_at` (a redelivered request writes the same bundle). */
  readonly created_at: string;
  readonly target: ExportTarget;
  readonly model_ref: ArtifactRef;
  readonly base_model: string;
  readonly manifest_ref?: ArtifactRef;
  readonly training_run_id?: string;
  readonly check_rows?: number;
}

export interface ExportOutcome {
  readonly target: ExportTarget;
  readonly bundle_ref: ArtifactRef;
  readonly manifest: ExportManifest;
  /** Every file of the bundle, its manifest included. */
  readonly size_bytes: number;
  readonly smoke: SmokeResult;
  readonly parity: ParityResult;
}

const GGUF_NAME = (q: string): string => `model-${q.toUpperCase()}.gguf`;
/** Files of the merged folder a peft bundle carries besides the adapter: tokenizer, chat template, stop tokens. */
const PEFT_EXTRAS = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', GENERATION_CONFIG_FILE];

async function copyIfPresent(from: string, to: string): Promise<void> {
  try {
    await copyFile(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The trained model's bundle, materialized: which kind it is and where. */
async function materializeModel(store: FileArtifactStore, ref: ArtifactRef, dir: string): Promise<{ kind: ModelKind; dir: string }> {
  if (!(await store.has(ref))) throw new ExportArtifactMissingError(`the model bundle ${ref.uri} is not in the artifact store`);
  let kind: string;
  try {
    kind = (await materializeBundle(store, ref, dir)).kind;
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ExportArtifactMissingError(`a file of the model bundle ${ref.uri} is not in the artifact store (${err.message})`, { cause: err });
    throw err;
  }
  if (kind !== 'peft-adapter' && kind !== 'hf-model') throw new ExportRequestError(`the model bundle ${ref.uri} is a '${kind}', not a peft-adapter or an hf-model`);
  return { kind, dir };
}

async function resolveBase(locator: string, options: ResolveModelOptions): Promise<ResolvedModel> {
  try {
    return await resolveModel(locator, options);
  } catch (err) {
    if (err instanceof ModelIoError || err instanceof ModelLocatorError) throw new ExportArtifactMissingError(`the base model ${locator} is not available: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Writes the format's files into `out` (hf: the merged folder is written there directly). */
async function writeFormat(target: ExportTarget, merged: MergedModel, model: { kind: ModelKind; dir: string }, out: string, o: { threads: number; name: string }): Promise<void> {
  switch (target.format) {
    case 'hf':
      return;
    case 'peft':
      await mkdir(out, { recursive: true });
      await copyFile(join(model.dir, ADAPTER_CONFIG_FILE), join(out, ADAPTER_CONFIG_FILE));
      await copyFile(join(model.dir, ADAPTER_WEIGHTS_FILE), join(out, ADAPTER_WEIGHTS_FILE));
      for (const f of PEFT_EXTRAS) await copyIfPresent(join(merged.dir, f), join(out, f));
      return;
    case 'onnx': {
      const m = await loadModel(merged.dir, { threads: o.threads });
      try {
        await m.exportOnnx(out);
      } finally {
        await m.close();
      }
      return;
    }
    case 'gguf': {
      const fileType = ggufFileType(target.quantization);
      // A quantized type applies to 2-D tensors whose rows are a multiple of 32 (others fall back to F16, as
      // llama.cpp's converter does). A model where no tensor can take it would be an F16 file under a Q name.
      // K-quants need rows that are a multiple of 256: a Q4_K_M file of a model with no such row would be Q8_0 inside.
      const main: GgmlTypeName = fileType === 'Q4_K_M' ? 'Q4_K' : fileType;
      if (GGML_TYPES[main].quantized && !llamaTensorPlan(merged.config, fileType).some((p) => p.type === main)) {
        throw new ExportQuantizationError(target.quantization, `no tensor of this model can be stored as ${main}: its row lengths (hidden ${merged.config.hidden_size}, intermediate ${merged.config.intermediate_size}) are not multiples of ${GGML_TYPES[main].blockSize}`);
      }
      await mkdir(out, { recursive: true });
      try {
        await convertModelFolder(merged.dir, join(out, GGUF_NAME(target.quantization)), { fileType, name: o.name });
      } catch (err) {
        if (err instanceof GgufUnsupportedError && err.field === 'file_type') throw new ExportQuantizationError(target.quantization, err.message, { cause: err });
        throw err;
      }
      return;
    }
  }
}

/** Opens a materialized bundle in the runtime its format is for. */
async function openRuntime(target: ExportTarget, dir: string, work: string, merged: MergedModel, base: ResolvedModel | undefined, threads: number): Promise<CheckRuntime> {
  switch (target.format) {
    case 'hf':
      return InferenceRuntime.load("libs/inference on the bundle's merged weights", dir, { threads });
    case 'peft': {
      if (!base) throw new Error('a peft bundle needs its base model');
      const generation = JSON.parse(await readFile(join(dir, GENERATION_CONFIG_FILE), 'utf8').catch(() => '{}')) as Record<string, unknown>;
      return InferenceRuntime.load("libs/inference on the base model with the bundle's adapter", base.dir, {
        adapter: dir,
        threads,
        stopIds: idsOf(generation['eos_token_id']),
        tokenizer: await ModelTokenizer.load(dir),
      });
    }
    case 'onnx':
      return OnnxRuntime.open(dir, threads);
    case 'gguf': {
      const fileType = ggufFileType(target.quantization);
      return openGgufRuntime(join(dir, GGUF_NAME(target.quantization)), join(work, 'gguf-read-back'), { config: merged.config, tokenizer: merged.tokenizer, tokenizerFiles: merged.tokenizerFiles, fileType }, threads);
    }
  }
}

const message = (err: unknown): string => String((err as Error)?.message ?? err).replace(/\s+/g, ' ').slice(0, 400);

/**
 * The checks of a stored bundle: materialized from the store (files verified against the manifest), loaded in its
 * runtime and run greedily on the gold prompts (smoke), then compared with the trained model on the same prompts
 * (parity: identical greedy outputs, or teacher-forced agreement for quantized GGUF files).
 */
async function checkBundle(
  deps: ExportDeps,
  ctx: { target: ExportTarget; bundle_ref: ArtifactRef; manifest: ExportManifest; merged: MergedModel; model: { kind: ModelKind; dir: string }; base: ResolvedModel | undefined; prompts: readonly CheckPrompt[]; work: string },
): Promise<{ smoke: SmokeResult; parity: ParityOutcome }> {
  const threads = deps.threads ?? 2;
  const maxNew = deps.maxNewTokens ?? 48;
  const dir = join(ctx.work, 'check');
  const fail = (detail: string): never => {
    throw new ExportSmokeError({ passed: false, detail, rows: ctx.prompts.length, stopped: 0, empty: 0 }, ctx.bundle_ref);
  };
  await materializeBundle(deps.store, ctx.bundle_ref, dir);
  const problems = await verifyAgainstManifest(dir, ctx.manifest);
  if (problems.length > 0) fail(`the stored bundle does not match its ${EXPORT_MANIFEST_FILE}: ${problems.join('; ')}`);

  const reference = await InferenceRuntime.load('the trained model (libs/inference)', ctx.model.kind === 'peft-adapter' ? (ctx.base as ResolvedModel).dir : ctx.model.dir, {
    ...(ctx.model.kind === 'peft-adapter' ? { adapter: ctx.model.dir } : {}),
    threads,
    stopIds: ctx.merged.stopIds,
  });
  let runtime: CheckRuntime | undefined;
  try {
    const referenceIds = ctx.prompts.map((p) => promptIds(reference.tokenizer, p));
    const expected = await reference.greedy(referenceIds, maxNew);
    try {
      runtime = await openRuntime(ctx.target, dir, ctx.work, ctx.merged, ctx.base, threads);
    } catch (err) {
      fail(`the ${ctx.target.format} bundle does not load: ${message(err)}`);
    }
    const rt = runtime as CheckRuntime;
    let exportIds: number[][] = [];
    try {
      exportIds = ctx.prompts.map((p) => promptIds(rt.tokenizer, p));
    } catch (err) {
      fail(`the bundle's tokenizer cannot render the gold prompts: ${message(err)}`);
    }
    const outputs = await rt.greedy(exportIds, maxNew);
    const smoke = smokeCheck(outputs, maxNew, rt.name);
    if (!smoke.passed) throw new ExportSmokeError(smoke, ctx.bundle_ref);
    const inputs = { prompts: ctx.prompts, referenceIds, exportIds, reference: expected, exported: outputs };
    const parity = isQuantized(ctx.target.quantization) ? await teacherForcedParity(inputs, reference, rt, ctx.target.quantization) : exactParity(inputs);
    return { smoke, parity };
  } finally {
    await runtime?.close();
    await reference.close();
  }
}

/**
 * One export: the trained model (a LoRA adapter on its base model, or a full fine-tune) merged into an HF folder, the
 * requested format written from it with a README and a `distillery-export.json` manifest (sha256 and size of every
 * file), stored as an `export-<format>` bundle, then smoke- and parity-checked from the store. Throws the typed
 * errors of errors.ts; a parity or smoke failure carries the stored bundle's ref.
 */
export async function runExport(deps: ExportDeps, inputs: ExportInputs): Promise<ExportOutcome> {
  const { target } = inputs;
  const work = await mkdtemp(join(tmpdir(), 'distillery-export-'));
  try {
    const model = await materializeModel(deps.store, inputs.model_ref, join(work, 'model'));
    if (target.format === 'peft' && model.kind !== 'peft-adapter') throw new ExportRequestError(`a peft export needs a LoRA adapter, but the model bundle is a full model (${model.kind}): export hf instead`);
    // A full fine-tune holds all its weights: its base model is provenance only, not needed to export it.
    const base = model.kind === 'peft-adapter' ? await resolveBase(inputs.base_model, deps.models) : undefined;
    const { prompts } = await goldPrompts(deps.store, inputs.manifest_ref, inputs.check_rows ?? deps.checkRows ?? 8);

    const out = join(work, 'out');
    const merged = await writeMergedModel(target.format === 'hf' ? out : join(work, 'merged'), model, base?.dir ?? '');
    await writeFormat(target, merged, model, out, { threads: deps.threads ?? 2, name: inputs.training_run_id ?? 'distillery-export' });
    await deps.faults?.perturbExport?.({ format: target.format, export_run_id: inputs.export_run_id }, out);

    const stopTokens = merged.stopIds.map((id) => ({ id, text: merged.tokenizer.idToToken(id) ?? `#${id}` }));
    await writeFile(
      join(out, 'README.md'),
      exportReadme({ format: target.format, quantization: target.quantization, baseModel: inputs.base_model, ...(inputs.training_run_id ? { trainingRunId: inputs.training_run_id } : {}), stopTokens, ...(target.format === 'gguf' ? { ggufFile: GGUF_NAME(target.quantization) } : {}) }),
    );
    const manifest = await writeExportManifest(out, {
      format: target.format,
      quantization: target.quantization,
      source: {
        ...(inputs.training_run_id ? { training_run_id: inputs.training_run_id } : {}),
        export_run_id: inputs.export_run_id,
        model_ref: inputs.model_ref,
        model_kind: model.kind,
        base_model: { locator: inputs.base_model, resolved: base?.resolved ?? 'not needed: the model bundle holds all the weights' },
      },
      created_at: inputs.created_at,
      stop_token_ids: [...merged.stopIds],
      chat_template: merged.tokenizer.chatTemplate !== undefined,
    });
    const bundle_ref = await putDirectory(deps.store, out, `export-${target.format}`, manifest);
    const size_bytes = Object.values((await readBundle(deps.store, bundle_ref)).files).reduce((n, f) => n + f.bytes, 0);

    const { smoke, parity } = await checkBundle(deps, { target, bundle_ref, manifest, merged, model, base, prompts, work });
    if (!parity.result.passed) throw new ExportParityError(parity.result, parity.mismatch, bundle_ref);
    return { target, bundle_ref, manifest, size_bytes, smoke, parity: parity.result };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
