import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactNotFoundError, materializeBundle, readBundle, type FileArtifactStore } from '@distillery/artifacts';
import { PreparedManifest, type ArtifactRef, type TaskProfile, type TransformedRow } from '@distillery/contracts';
import { defaultEvalPack, judge, parseEvalPack, type EvalPack, type Verdict } from '@distillery/eval-packs';
import { loadModel, type InferenceModel } from '@distillery/inference';
import { resolveModel, type ResolveModelOptions } from '@distillery/models';
import { predict } from './predict.js';
import { gateInputs, scoreEval, type Lift, type MetricWithInterval, type RowOutcome, type ScoredEval } from './score.js';

/** What is evaluated: a trained model (bundle) on a prepared dataset, against its base model. */
export interface EvalInputs {
  /** The training output: a `peft-adapter` bundle (applied to the base model) or an `hf-model` bundle. */
  readonly model_ref: ArtifactRef;
  readonly base_model: string;
  readonly manifest_ref: ArtifactRef;
  /** `gold` (default; falls back to `eval` when the gold split is empty) or `eval`. */
  readonly split?: 'gold' | 'eval';
  /** An eval pack as YAML / JSON text; default: the task profile's default pack. */
  readonly pack?: string;
  readonly max_rows?: number;
  /** Also evaluate the base model on the same rows: "did fine-tuning help?" (default true). */
  readonly compare_base?: boolean;
}

export interface EvalDeps {
  readonly store: FileArtifactStore;
  readonly models: ResolveModelOptions;
  readonly threads?: number;
  /** Rows evaluated at most when the request does not say (default 200). */
  readonly maxRows?: number;
  readonly maxNewTokens?: number;
  readonly onProgress?: (p: { phase: 'candidate' | 'base'; done: number; total: number }) => void;
}

/** The eval or gold split named by the manifest is not there (or empty): `eval_dataset_missing`. */
export class EvalDatasetMissingError extends Error {
  readonly code = 'EVAL.DATASET_MISSING';
  constructor(readonly missing: readonly string[]) {
    super(`no rows to evaluate: ${missing.join('; ')}`);
    this.name = 'EvalDatasetMissingError';
  }
}

/** A request that cannot be evaluated as given (bad pack, wrong bundle kind): `eval_runtime_error` naming it. */
export class EvalRequestError extends Error {
  readonly code = 'EVAL.REQUEST_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'EvalRequestError';
  }
}

export interface EvalReport {
  readonly schema_version: 1;
  readonly task_profile: TaskProfile;
  readonly split: 'gold' | 'eval';
  readonly rows: number;
  readonly pack: EvalPack;
  readonly metrics: Record<string, MetricWithInterval>;
  readonly slices: ScoredEval['slices'];
  readonly base_metrics?: Record<string, MetricWithInterval>;
  readonly lifts?: Record<string, Lift>;
  readonly verdict: Verdict;
  /** Label tasks: the confusion matrix of the candidate (rows: gold label, columns: predicted, plus unparseable). */
  readonly confusion?: { readonly labels: readonly string[]; readonly matrix: number[][]; readonly unparseable: number[] };
}

export interface EvalOutcome {
  readonly report: EvalReport;
  readonly report_ref: ArtifactRef;
  readonly predictions_ref: ArtifactRef;
}

async function readRows(store: FileArtifactStore, manifest: PreparedManifest, wanted: 'gold' | 'eval', limit: number): Promise<{ split: 'gold' | 'eval'; rows: TransformedRow[] }> {
  const missing: string[] = [];
  for (const split of wanted === 'gold' ? (['gold', 'eval'] as const) : (['eval'] as const)) {
    const ref = manifest.artifacts[split];
    if (!(await store.has(ref))) {
      missing.push(`the ${split} split (${ref.uri}) is not in the artifact store`);
      continue;
    }
    const rows: TransformedRow[] = [];
    for await (const r of store.readJsonl<TransformedRow>(ref)) {
      rows.push(r);
      if (rows.length >= limit) break;
    }
    if (rows.length > 0) return { split, rows };
    missing.push(`the ${split} split is empty`);
  }
  throw new EvalDatasetMissingError(missing);
}

function confusionOf(labels: readonly string[], rows: readonly RowOutcome[]): EvalReport['confusion'] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  const unparseable = labels.map(() => 0);
  for (const r of rows) {
    const g = index.get(r.references[0] ?? '');
    if (g === undefined) continue;
    const p = r.prediction === null ? undefined : index.get(r.prediction);
    if (p === undefined) unparseable[g]!++;
    else matrix[g]![p]!++;
  }
  return { labels, matrix, unparseable };
}

async function loadBundleModel(deps: EvalDeps, ref: ArtifactRef, baseDir: string, work: string): Promise<InferenceModel> {
  const index = await readBundle(deps.store, ref);
  const dir = join(work, 'model');
  await materializeBundle(deps.store, ref, dir);
  const threads = deps.threads ?? 2;
  if (index.kind === 'peft-adapter') return loadModel(baseDir, { adapter: dir, threads });
  if (index.kind === 'hf-model') return loadModel(dir, { threads });
  throw new EvalRequestError(`the model bundle is a '${index.kind}', not a peft-adapter or an hf-model`);
}

/**
 * Evaluates a trained model: the task's decoding on the gold (or eval) rows, every metric with a bootstrap interval,
 * the same rows through the base model and the paired lift, the eval pack's gates and the promotability verdict; the
 * report and the per-row predictions are stored as artifacts.
 */
export async function evaluate(deps: EvalDeps, inputs: EvalInputs): Promise<EvalOutcome> {
  let manifest: PreparedManifest;
  try {
    manifest = PreparedManifest.parse(JSON.parse((await deps.store.readBytes(inputs.manifest_ref)).toString('utf8')));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new EvalDatasetMissingError([`the prepared manifest ${inputs.manifest_ref.uri} is not in the artifact store`]);
    throw err;
  }
  const profile = manifest.task_profile;
  let pack: EvalPack;
  try {
    pack = inputs.pack ? parseEvalPack(inputs.pack, { taskProfile: profile }) : defaultEvalPack(profile);
  } catch (err) {
    throw new EvalRequestError(String((err as Error).message));
  }
  const { split, rows } = await readRows(deps.store, manifest, inputs.split ?? 'gold', inputs.max_rows ?? deps.maxRows ?? 200);
  const base = await resolveModel(inputs.base_model, deps.models);
  const work = await mkdtemp(join(tmpdir(), 'distillery-eval-'));
  const ctx = { profile, ...(manifest.label_set ? { labels: manifest.label_set } : {}) };
  const options = (phase: 'candidate' | 'base') => ({
    profile,
    context: manifest.label_set ? { label_set: manifest.label_set } : {},
    maxNewTokens: deps.maxNewTokens ?? 96,
    onProgress: (done: number, total: number) => deps.onProgress?.({ phase, done, total }),
  });
  try {
    const candidateModel = await loadBundleModel(deps, inputs.model_ref, base.dir, work);
    let candidate: RowOutcome[];
    try {
      candidate = await predict(candidateModel, rows, options('candidate'));
    } finally {
      await candidateModel.close();
    }
    let baseline: RowOutcome[] | undefined;
    if (inputs.compare_base !== false) {
      const baseModel = await loadModel(base.dir, { threads: deps.threads ?? 2 });
      try {
        baseline = await predict(baseModel, rows, options('base'));
      } finally {
        await baseModel.close();
      }
    }
    const scored = scoreEval(ctx, candidate, baseline, pack.bootstrap);
    const verdict = judge(pack, gateInputs(scored));
    const report: EvalReport = {
      schema_version: 1,
      task_profile: profile,
      split,
      rows: rows.length,
      pack,
      metrics: scored.metrics,
      slices: scored.slices,
      ...(scored.base ? { base_metrics: scored.base } : {}),
      ...(scored.lifts ? { lifts: scored.lifts } : {}),
      verdict,
      ...(manifest.label_set && (profile === 'classification' || profile === 'safety') ? { confusion: confusionOf(manifest.label_set, candidate) } : {}),
    };
    const lines = candidate.map((c, i) => JSON.stringify({ ...c, ...(baseline ? { base_prediction: baseline[i]?.prediction ?? null, ...(baseline[i]?.label_logprobs ? { base_label_logprobs: baseline[i]?.label_logprobs } : {}) } : {}) }));
    const predictions_ref = await deps.store.put([lines.join('\n') + '\n'], 'application/x-ndjson');
    const report_ref = await deps.store.put([JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))], 'application/vnd.distillery.eval-report+json');
    return { report, report_ref, predictions_ref };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The headline numbers of a report as an event carries them: `accuracy`, `lift.accuracy`, `base.accuracy`. */
export function flatMetrics(report: EvalReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(report.metrics)) if (!k.startsWith('per_class.') && Number.isFinite(v.value)) out[k] = v.value;
  for (const [k, v] of Object.entries(report.lifts ?? {})) if (Number.isFinite(v.difference)) out[`lift.${k}`] = v.difference;
  for (const [k, v] of Object.entries(report.base_metrics ?? {})) if (!k.startsWith('per_class.') && Number.isFinite(v.value)) out[`base.${k}`] = v.value;
  return out;
}
