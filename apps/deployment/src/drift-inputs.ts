import type { FileArtifactStore } from '@distillery/artifacts';
import { inputProfile, type DeploymentVersion, type InputProfile } from '@distillery/deployments';
import type { EventLog } from '@distillery/eventlog';
import { EvalReportMetrics, liveMetricOf, type Baseline } from './drift-check.js';
import { goldPrompts, readManifest, splitPrompts, userText, type DatasetPrompts } from './gold.js';
import { lastOf, trainingFacts } from './lookups.js';
import type { ModelLoader } from './model-loader.js';
import { OpenAiClient } from './openai-client.js';
import { PROBE_HEADER } from './runner.js';

export interface DriftSettings {
  /** Gold rows re-run per check. */
  readonly maxRows: number;
  readonly maxTokens: number;
  readonly minRequests: number;
}

/** Training rows read for the input profile (and eval rows for its unseen-word reference). */
const PROFILE_TRAIN_ROWS = 5_000;
const PROFILE_EVAL_ROWS = 1_000;

/**
 * What a drift check of a live version compares against, from the log and the artifact store: the training run's
 * gold prompts, the promoted version's evaluation baseline (value and confidence interval from its eval report) and
 * the input profile of the training rows (computed once per training run).
 */
export class DriftInputsSource {
  private readonly profiles = new Map<string, InputProfile>();

  constructor(
    private readonly log: EventLog,
    private readonly store: FileArtifactStore,
    private readonly loader: ModelLoader,
    private readonly settings: DriftSettings,
  ) {}

  async inputs(projectId: string, v: DeploymentVersion, endpoint: string | undefined): Promise<{ client: OpenAiClient; gold?: DatasetPrompts; baseline?: Baseline; profile?: InputProfile }> {
    if (!endpoint) throw new Error(`version ${v.version} has no endpoint to check`);
    const client = new OpenAiClient(endpoint, { headers: { [PROBE_HEADER]: 'drift' } });
    const training = v.training_run_id ? await trainingFacts(this.log, projectId, v.training_run_id) : undefined;
    const plan = training?.plan_ref ? await this.loader.plan(training.plan_ref) : undefined;
    if (!plan || !training) return { client };
    const manifest = await readManifest(this.store, plan.manifest);
    const gold = await goldPrompts(this.store, manifest, this.settings.maxRows);
    const baseline = await this.baseline(projectId, v, liveMetricOf(manifest.task_profile));
    let profile = this.profiles.get(training.run_id);
    if (!profile) {
      const train = await splitPrompts(this.store, manifest, 'train', PROFILE_TRAIN_ROWS);
      const evalRows = await splitPrompts(this.store, manifest, 'eval', PROFILE_EVAL_ROWS);
      const labels = liveMetricOf(manifest.task_profile) === 'accuracy' ? train.rows.map((r) => r.answer.trim()) : undefined;
      profile = inputProfile(
        train.rows.map((r) => userText(r.messages)),
        evalRows.rows.map((r) => userText(r.messages)),
        labels,
      );
      this.profiles.set(training.run_id, profile);
    }
    return { client, gold, ...(baseline ? { baseline } : {}), profile };
  }

  /** The version's evaluation of the metric: value and interval from the eval report (the event's value without one). */
  private async baseline(projectId: string, v: DeploymentVersion, metric: string | undefined): Promise<Baseline | undefined> {
    if (!metric || !v.eval) return undefined;
    const e = await lastOf(this.log, projectId, v.eval.run_id, 'eval', 'eval_completed');
    if (!e) return undefined;
    const ref = e.payload.report_ref;
    if (ref && (await this.store.has(ref))) {
      const report = EvalReportMetrics.safeParse(JSON.parse((await this.store.readBytes(ref)).toString('utf8')));
      const m = report.success ? report.data.metrics[metric] : undefined;
      if (m && m.value !== null) return { value: m.value, ci: m.ci ?? null, source: `evaluation ${e.run_id}` };
    }
    const value = e.payload.metrics[metric];
    return value === undefined ? undefined : { value, ci: null, source: `evaluation ${e.run_id} (no report)` };
  }
}
