import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactNotFoundError, materializeBundle, readBundle, type FileArtifactStore } from '@distillery/artifacts';
import { PreparedManifest, type ArtifactRef, type TaskProfile, type TransformedRow } from '@distillery/contracts';
import { defaultEvalPack, judge, parseEvalPack, SafetySuiteSchema, type EvalPack, type Verdict } from '@distillery/eval-packs';
import { loadModel, type InferenceModel } from '@distillery/inference';
import { resolveModel, type ResolveModelOptions } from '@distillery/models';
import { handlerFor } from '@distillery/tasks';
import { judgeRows, type JudgedRow } from './judge.js';
import { predict } from './predict.js';
import { runSafetySuite, scoreSafety, type SafetyOutcome, type SafetySuiteInfo } from './safety.js';
import { compareWith, gateInputs, judgeScore, scoreEval, type Lift, type MetricWithInterval, type RowOutcome, type ScoredEval } from './score.js';

/** The live version of a deployment slot, whose model the candidate is compared with (the champion). */
export interface ChampionInput {
  readonly slot: string;
  readonly version: number;
  /** The live version's model: its training run's output, or the bundle it serves. */
  readonly model_ref: ArtifactRef;
  readonly training_run_id?: string;
  /** The champion's base model (a peft-adapter champion), when it is not the candidate's. */
  readonly base_model?: string;
}

/** What the report says about the champion: the version compared with, or why there was no comparison. */
export interface ChampionInfo {
  readonly slot: string;
  readonly version?: number;
  readonly training_run_id?: string;
  readonly model_ref?: ArtifactRef;
  /** Not compared, on purpose: e.g. the live version is the evaluated training run. */
  readonly skipped?: string;
  /** Could not be compared (its model is gone, does not load): champion gates fail for want of a lift. */
  readonly unavailable?: string;
}

/** What the report says about the LLM judge. */
export interface JudgeInfo {
  readonly endpoint: string;
  readonly model: string;
  /** Rows rated, rows whose reply did not parse as a rating (left out of judge_score). */
  readonly judged: number;
  readonly unparseable: number;
  /** The endpoint failed: no judge_score. */
  readonly unavailable?: { readonly error_class: string; readonly message: string };
  /** Not asked: e.g. a label task (the judge rates generated answers). */
  readonly skipped?: string;
}

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
  /** Run the built-in safety suite with its defaults when the pack does not configure it. */
  readonly safety_suite?: boolean;
  /** The slot's live version to compare with; or (`none`) why it is not compared, reported as such. */
  readonly champion?: ChampionInput | { readonly none: ChampionInfo };
}

export interface EvalDeps {
  readonly store: FileArtifactStore;
  readonly models: ResolveModelOptions;
  readonly threads?: number;
  /** Rows evaluated at most when the request does not say (default 200). */
  readonly maxRows?: number;
  readonly maxNewTokens?: number;
  /** LLM judge: per-request timeout when the pack does not say (default 10 s), and where `api_key_env` is read. */
  readonly judgeTimeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
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
  /** The slot's live version compared with (or why not), its metrics on the same rows and the paired lifts over it. */
  readonly champion?: ChampionInfo;
  readonly champion_metrics?: Record<string, MetricWithInterval>;
  readonly champion_lifts?: Record<string, Lift>;
  readonly judge?: JudgeInfo;
  /** The built-in safety suite, when the pack runs it: its version and settings (its rates are in `metrics`). */
  readonly safety_suite?: SafetySuiteInfo;
  readonly verdict: Verdict;
  /** Label tasks: the confusion matrix of the candidate (rows: gold label, columns: predicted, plus unparseable). */
  readonly confusion?: { readonly labels: readonly string[]; readonly matrix: number[][]; readonly unparseable: number[] };
}

export interface EvalOutcome {
  readonly report: EvalReport;
  readonly report_ref: ArtifactRef;
  readonly predictions_ref: ArtifactRef;
  /** The pack's LLM judge could not be used: `eval_judge_unavailable`. */
  readonly judge_unavailable?: { readonly endpoint: string; readonly failure: { readonly error_class: string; readonly message: string } };
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

async function loadBundleModel(deps: EvalDeps, ref: ArtifactRef, baseDir: string, work: string, name = 'model'): Promise<InferenceModel> {
  const index = await readBundle(deps.store, ref);
  const dir = join(work, name);
  await materializeBundle(deps.store, ref, dir);
  const threads = deps.threads ?? 2;
  if (index.kind === 'peft-adapter') return loadModel(baseDir, { adapter: dir, threads });
  if (index.kind === 'hf-model') return loadModel(dir, { threads });
  throw new EvalRequestError(`the model bundle is a '${index.kind}', not a peft-adapter or an hf-model`);
}

interface ChampionComparison {
  readonly info?: ChampionInfo;
  /** Undefined: no champion (the gate passes: "no champion yet"); `{}` with no metrics: it could not be compared. */
  readonly lifts?: Record<string, Lift>;
  readonly metrics?: Record<string, MetricWithInterval>;
  readonly outcomes?: readonly RowOutcome[];
}

/**
 * The champion (the slot's live version) on the same rows, decoded the same way, and the candidate's paired lift over
 * it. A champion whose model cannot be loaded is reported as unavailable with an empty lift table, so that a gate
 * relative to it fails ("no <metric> lift vs champion") rather than passing as if there were no champion.
 */
async function compareWithChampion(
  deps: EvalDeps,
  champion: EvalInputs['champion'],
  c: { rows: readonly TransformedRow[]; candidate: readonly RowOutcome[]; baseDir: string; work: string; ctx: Parameters<typeof scoreEval>[0]; bootstrap: EvalPack['bootstrap']; predictOptions: Parameters<typeof predict>[2] },
): Promise<ChampionComparison> {
  if (champion === undefined) return {};
  if ('none' in champion) return { info: champion.none, ...(champion.none.unavailable ? { lifts: {} } : {}) };
  const info: ChampionInfo = { slot: champion.slot, version: champion.version, model_ref: champion.model_ref, ...(champion.training_run_id ? { training_run_id: champion.training_run_id } : {}) };
  let model: InferenceModel;
  try {
    const baseDir = champion.base_model ? (await resolveModel(champion.base_model, deps.models)).dir : c.baseDir;
    model = await loadBundleModel(deps, champion.model_ref, baseDir, c.work, 'champion');
  } catch (err) {
    return { info: { ...info, unavailable: `the model of version ${champion.version} of slot '${champion.slot}' could not be loaded: ${String((err as Error).message ?? err).slice(0, 500)}` }, lifts: {} };
  }
  let outcomes: RowOutcome[];
  try {
    outcomes = await predict(model, c.rows, c.predictOptions);
  } finally {
    await model.close();
  }
  const cmp = compareWith(c.ctx, c.candidate, outcomes, c.bootstrap);
  return { info, lifts: cmp.lifts, metrics: cmp.metrics, outcomes };
}

interface JudgeRun {
  readonly info?: JudgeInfo;
  readonly score?: MetricWithInterval;
  readonly rows?: readonly JudgedRow[];
  readonly unavailable?: NonNullable<EvalOutcome['judge_unavailable']>;
}

/** The pack's LLM judge over the candidate's generated answers (generation tasks only): `judge_score`, or why none. */
async function runJudge(deps: EvalDeps, pack: EvalPack, profile: TaskProfile, rows: readonly TransformedRow[], candidate: readonly RowOutcome[], labels?: readonly string[]): Promise<JudgeRun> {
  const cfg = pack.judge;
  if (!cfg) return {};
  const handler = handlerFor(profile);
  const about = { endpoint: cfg.endpoint, model: cfg.model };
  if (handler.decoding !== 'generate') return { info: { ...about, judged: 0, unparseable: 0, skipped: `the judge rates generated answers; ${profile} is not a generation task` } };
  const items = candidate.map((o, i) => {
    const r = handler.render(o.row_id, rows[i]!.record, labels ? { label_set: labels } : {});
    const user = r.kind === 'chat' ? r.messages.filter((m) => m.role === 'user').at(-1)?.content : undefined;
    return { row_id: o.row_id, references: o.references, prediction: o.prediction, ...(user !== undefined ? { prompt: user } : {}) };
  });
  const out = await judgeRows(cfg, items, { timeoutMs: deps.judgeTimeoutMs ?? 10_000, ...(deps.env ? { env: deps.env } : {}) });
  if (!out.ok) return { info: { ...about, judged: out.judged, unparseable: 0, unavailable: out.failure }, unavailable: { endpoint: out.endpoint, failure: out.failure } };
  const score = judgeScore(out.rows.map((r) => r.rating), pack.bootstrap);
  return { info: { ...about, judged: out.rows.length, unparseable: out.rows.filter((r) => r.rating === null).length }, rows: out.rows, ...(score ? { score } : {}) };
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
  if (inputs.safety_suite && !pack.safety_suite) pack = { ...pack, safety_suite: SafetySuiteSchema.parse({}) };
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
    let candidateSafety: SafetyOutcome[] | undefined;
    try {
      candidate = await predict(candidateModel, rows, options('candidate'));
      if (pack.safety_suite) candidateSafety = await runSafetySuite(candidateModel, pack.safety_suite);
    } finally {
      await candidateModel.close();
    }
    let baseline: RowOutcome[] | undefined;
    let baseSafety: SafetyOutcome[] | undefined;
    if (inputs.compare_base !== false) {
      const baseModel = await loadModel(base.dir, { threads: deps.threads ?? 2 });
      try {
        baseline = await predict(baseModel, rows, options('base'));
        if (pack.safety_suite) baseSafety = await runSafetySuite(baseModel, pack.safety_suite);
      } finally {
        await baseModel.close();
      }
    }
    const taskScored = scoreEval(ctx, candidate, baseline, pack.bootstrap);
    const safety = pack.safety_suite && candidateSafety ? scoreSafety(pack.safety_suite, candidateSafety, baseSafety, pack.bootstrap) : undefined;
    // The suite's rates join the task's metrics (names do not collide: the task's label metrics are accuracy, f1, …).
    const scored: typeof taskScored = safety
      ? {
          metrics: { ...taskScored.metrics, ...safety.metrics },
          slices: { ...taskScored.slices, safety_category: safety.slices },
          ...(taskScored.lifts || safety.lifts ? { lifts: { ...taskScored.lifts, ...safety.lifts } } : {}),
          ...(taskScored.base || safety.base_metrics ? { base: { ...taskScored.base, ...safety.base_metrics } } : {}),
        }
      : taskScored;
    const vsChampion = await compareWithChampion(deps, inputs.champion, { rows, candidate, baseDir: base.dir, work, ctx, bootstrap: pack.bootstrap, predictOptions: { ...options('base'), onProgress: () => undefined } });
    const judged = await runJudge(deps, pack, profile, rows, candidate, manifest.label_set);
    const metrics = { ...scored.metrics, ...(judged.score ? { judge_score: judged.score } : {}) };
    const verdict = judge(pack, gateInputs({ ...scored, metrics }, vsChampion.lifts));
    const report: EvalReport = {
      schema_version: 1,
      task_profile: profile,
      split,
      rows: rows.length,
      pack,
      metrics,
      slices: scored.slices,
      ...(scored.base ? { base_metrics: scored.base } : {}),
      ...(scored.lifts ? { lifts: scored.lifts } : {}),
      ...(vsChampion.info ? { champion: vsChampion.info } : {}),
      ...(vsChampion.metrics ? { champion_metrics: vsChampion.metrics } : {}),
      ...(vsChampion.lifts && vsChampion.metrics ? { champion_lifts: vsChampion.lifts } : {}),
      ...(judged.info ? { judge: judged.info } : {}),
      ...(safety ? { safety_suite: safety.info } : {}),
      verdict,
      ...(manifest.label_set && (profile === 'classification' || profile === 'safety') ? { confusion: confusionOf(manifest.label_set, candidate) } : {}),
    };
    const ratings = new Map((judged.rows ?? []).map((j) => [j.row_id, j]));
    const lines = candidate.map((c, i) => {
      const j = ratings.get(c.row_id);
      return JSON.stringify({
        ...c,
        ...(baseline ? { base_prediction: baseline[i]?.prediction ?? null, ...(baseline[i]?.label_logprobs ? { base_label_logprobs: baseline[i]?.label_logprobs } : {}) } : {}),
        ...(vsChampion.outcomes ? { champion_prediction: vsChampion.outcomes[i]?.prediction ?? null } : {}),
        ...(j ? { judge_rating: j.rating, ...(j.reply !== undefined ? { judge_reply: j.reply } : {}) } : {}),
      });
    });
    // Suite replies follow the task rows: `references` says what was expected, `safety` whether it passed.
    (candidateSafety ?? []).forEach((o, i) =>
      lines.push(
        JSON.stringify({
          row_id: o.row_id,
          references: [o.expected === 'refuse' ? '(a refusal)' : '(an answer)'],
          prediction: o.reply,
          safety: { category: o.category, expected: o.expected, refused: o.refused, prompt: o.prompt },
          ...(baseSafety?.[i] ? { base_prediction: baseSafety[i]!.reply } : {}),
        }),
      ),
    );
    const predictions_ref = await deps.store.put([lines.join('\n') + '\n'], 'application/x-ndjson');
    const report_ref = await deps.store.put([JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))], 'application/vnd.distillery.eval-report+json');
    if (judged.unavailable) return { report, report_ref, predictions_ref, judge_unavailable: judged.unavailable };
    return { report, report_ref, predictions_ref };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The headline numbers of a report as an event carries them: `accuracy`, `lift.accuracy`, `base.accuracy`, `lift_champion.accuracy`. */
export function flatMetrics(report: EvalReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(report.metrics)) if (!k.startsWith('per_class.') && Number.isFinite(v.value)) out[k] = v.value;
  for (const [k, v] of Object.entries(report.lifts ?? {})) if (Number.isFinite(v.difference)) out[`lift.${k}`] = v.difference;
  for (const [k, v] of Object.entries(report.base_metrics ?? {})) if (!k.startsWith('per_class.') && Number.isFinite(v.value)) out[`base.${k}`] = v.value;
  for (const [k, v] of Object.entries(report.champion_lifts ?? {})) if (Number.isFinite(v.difference)) out[`lift_champion.${k}`] = v.difference;
  return out;
}
