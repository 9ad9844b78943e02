import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { FailureInfo, RunEventOf } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { CleaningPolicyError, parseCleaningPolicy } from '@distillery/cleaning';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import type { MapperRegistry } from '@distillery/mappers';
import { SplitConfigError, type SplitRatios } from '@distillery/prepare';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { withStageSpan } from '@distillery/telemetry';
import { runCleanJob, type JobProgress } from './clean-job.js';
import { runPrepareJob } from './prepare-job.js';

export const PREPARATION_DEPS = Symbol.for('distillery.PreparationDeps');
export interface PreparationDeps {
  readonly store: FileArtifactStore;
  readonly mappers: MapperRegistry;
  /** The workspace data directory: prepared/manifest.json is also written under projects/<project>/. */
  readonly dataDir: string;
  /** Minimum time between two progress events of one job. */
  readonly progressEveryMs: number;
  /** The clock of created_at (tests pin it). */
  readonly now?: () => Date;
}

const failureOf = (err: unknown): FailureInfo => ({ error_class: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err) });

/**
 * Clean and prepare as background jobs: `cleaning_requested` → two passes over the imported rows → kept rows,
 * lineage and report artifacts → `cleaning_completed` (or `cleaning_pii_block`); `dataset_prep_requested` → split,
 * leakage check, train / eval / gold and prepared/manifest.json → `dataset_prepared` (or `dataset_leakage_detected`).
 * The job's run id is the task id the API and CLI poll; progress events are published at most every few seconds.
 */
@Injectable()
export class PreparationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(PREPARATION_DEPS) private readonly deps: PreparationDeps,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.host = this.log
      .consumerHost(this.publisher, this.logger)
      .register('preparation', 'cleaning_requested', (e, ctx) =>
        withStageSpan('clean', { 'distillery.run_id': e.run_id }, () => this.clean(e as RunEventOf<'cleaning_requested'>, ctx)),
      )
      .register('preparation', 'dataset_prep_requested', (e, ctx) =>
        withStageSpan('prepare', { 'distillery.run_id': e.run_id }, () => this.prepare(e as RunEventOf<'dataset_prep_requested'>, ctx)),
      );
    await this.host.start();
    this.logger.info('preparation consuming cleaning_requested, dataset_prep_requested');
  }

  /** Throttled progress publisher; events are deduplicated per job and step, so a redelivered job repeats none. */
  private progress(request: RunEventOf<'cleaning_requested' | 'dataset_prep_requested'>, ctx: HandlerContext, publish: (p: JobProgress, n: number) => Promise<unknown>) {
    let last = 0;
    let n = 0;
    return (p: JobProgress) => {
      if (Date.now() - last < this.deps.progressEveryMs) return;
      last = Date.now();
      n += 1;
      void publish(p, n).catch((err) => this.logger.warn('progress event not published', { run_id: request.run_id, err: String(err) }));
    };
  }

  async clean(request: RunEventOf<'cleaning_requested'>, ctx: HandlerContext): Promise<void> {
    const p = request.payload;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: request.parent_run_id } as const;
    try {
      const policy = parseCleaningPolicy(p.policy ?? {});
      const onProgress = this.progress(request, ctx, (pr, n) =>
        ctx.publish(
          { reason_code: 'cleaning_progress', ...base, summary: `${pr.phase}: ${pr.rows_done} of ${pr.rows_total} rows`, payload: { phase: pr.phase as 'profile' | 'clean', rows_done: pr.rows_done, rows_total: pr.rows_total } },
          { dedupKey: `progress-${n}` },
        ),
      );
      const r = await runCleanJob(this.deps.store, { task_profile: p.task_profile, inputs: p.inputs, policy, onProgress });
      const report = r.report;
      if (r.outcome.outlier_threshold_exceeded) {
        const o = r.outcome.outlier_threshold_exceeded;
        await ctx.publish({
          reason_code: 'cleaning_outlier_threshold_exceeded',
          ...base,
          severity: 'warning',
          summary: `${(o.share * 100).toFixed(1)}% of rows are outliers (policy allows ${(o.threshold * 100).toFixed(1)}%): ${describeCounts(report.outliers.counts)}`.slice(0, 500),
          payload: { ...o, counts: { ...report.outliers.counts } },
        });
      }
      if (r.outcome.pii_block) {
        const b = r.outcome.pii_block;
        await ctx.publish({
          reason_code: 'cleaning_pii_block',
          ...base,
          summary: `PII the policy blocks (${b.kinds.join(', ')}) found in ${b.rows_affected} rows: nothing written; redact, mask or remove it`.slice(0, 500),
          payload: { kinds: [...b.kinds], rows_affected: b.rows_affected, example_row_ids: [...r.blocked_row_ids], report_ref: r.report_ref, lineage_ref: r.lineage_ref },
        });
        return;
      }
      const removed = Object.entries(report.removed).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
      await ctx.publish({
        reason_code: 'cleaning_completed',
        ...base,
        severity: r.outcome.outlier_threshold_exceeded ? 'warning' : 'info',
        summary: `cleaned ${report.rows_in} rows: ${report.rows_out} kept, removed ${removed}; PII in ${report.pii.rows_with_pii} rows (${report.pii.policy.action})${r.repeated_row_ids ? `; ${r.repeated_row_ids} rows met twice across imports were read once` : ''}`.slice(0, 500),
        payload: {
          rows_in: report.rows_in,
          rows_out: report.rows_out,
          removed: { ...report.removed } as Record<string, number>,
          report_ref: r.report_ref,
          cleaned_ref: r.cleaned_ref!,
          lineage_ref: r.lineage_ref,
          dataset_id: p.dataset_id,
          task_profile: p.task_profile,
          inputs: p.inputs,
        },
      });
    } catch (err) {
      this.logger.warn('cleaning failed', { run_id: request.run_id, err: String(err) });
      await ctx.publish({ reason_code: 'cleaning_failed', ...base, summary: `cleaning failed: ${failureOf(err).message}`.slice(0, 500), payload: { failure: failureOf(err) } });
      if (!(err instanceof CleaningPolicyError)) this.logger.error('cleaning job error', { run_id: request.run_id, stack: (err as Error)?.stack });
    }
  }

  async prepare(request: RunEventOf<'dataset_prep_requested'>, ctx: HandlerContext): Promise<void> {
    const p = request.payload;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: request.parent_run_id } as const;
    try {
      const mapperIds = [...new Set(p.inputs.map((i) => i.mapper_id))];
      const mapper = this.deps.mappers.get(mapperIds[0] ?? '');
      if (!mapper) throw new Error(`no mapper '${mapperIds[0] ?? ''}' is registered here: the output schema of the dataset is unknown`);
      const onProgress = this.progress(request, ctx, (pr, n) =>
        ctx.publish(
          { reason_code: 'dataset_prep_progress', ...base, summary: `${pr.phase}: ${pr.rows_done} of ${pr.rows_total} rows`, payload: { phase: pr.phase as 'split' | 'leakage' | 'write', rows_done: pr.rows_done, rows_total: pr.rows_total } },
          { dedupKey: `progress-${n}` },
        ),
      );
      const r = await runPrepareJob(this.deps.store, {
        project_id: request.project_id,
        dataset_id: p.dataset_id,
        task_profile: p.task_profile,
        dataset_ref: p.dataset_ref,
        ...(p.cleaning_report_ref ? { cleaning_report_ref: p.cleaning_report_ref } : {}),
        rows_dropped: p.rows_dropped,
        inputs: p.inputs,
        output_schema: mapper.output_schema,
        strategy: p.split.strategy,
        ...(p.split.ratios ? { ratios: p.split.ratios as SplitRatios } : {}),
        ...(p.leakage?.max_share !== undefined ? { leakage_max_share: p.leakage.max_share } : {}),
        ...(p.leakage?.near_threshold !== undefined ? { near_threshold: p.leakage.near_threshold } : {}),
        created_at: (this.deps.now?.() ?? new Date(request.occurred_at)).toISOString(),
        onProgress,
      });
      const leak = r.leakage;
      if (leak.overlapping_rows > 0) {
        await ctx.publish({
          reason_code: 'dataset_leakage_detected',
          ...base,
          severity: r.ok ? 'warning' : 'error',
          summary: `${leak.overlapping_rows} held-out rows repeat a train row (${(leak.share * 100).toFixed(2)}%, allowed ${(leak.max_share * 100).toFixed(2)}%)${r.ok ? '' : ': prepare stopped'}; e.g. train ${leak.examples[0]?.train_row_id} ~ ${leak.examples[0]?.split} ${leak.examples[0]?.other_row_id}`.slice(0, 500),
          payload: { overlapping_rows: leak.overlapping_rows, between: [...leak.between], share: leak.share, max_share: leak.max_share, examples: leak.examples.map((e) => ({ ...e })) },
        });
      }
      if (!r.ok) return;
      const m = r.manifest;
      await this.writeManifestCopy(request.project_id, m);
      const labels = m.label_set ? `, ${m.label_set.length} labels` : '';
      await ctx.publish({
        reason_code: 'dataset_prepared',
        ...base,
        severity: r.warnings.length > 0 || leak.overlapping_rows > 0 ? 'warning' : 'info',
        summary: `prepared ${m.task_profile} dataset: ${m.counts.train} train, ${m.counts.eval} eval, ${m.counts.gold} gold (${m.split.strategy.kind}, seed ${m.split.strategy.seed})${labels}; ${m.counts.dropped} dropped before splitting`.slice(0, 500),
        payload: {
          manifest_ref: r.manifest_ref,
          counts: { ...m.counts },
          artifacts: m.artifacts,
          ...(m.label_set ? { label_set: [...m.label_set], label_counts: r.labels ? { ...r.labels.per_split } : {} } : {}),
          ...(r.warnings.length ? { warnings: r.warnings.map((w) => ({ code: w.code, detail: w.detail })) } : {}),
          leakage: { overlapping_rows: leak.overlapping_rows, share: leak.share },
        },
      });
    } catch (err) {
      this.logger.warn('prepare failed', { run_id: request.run_id, err: String(err) });
      await ctx.publish({ reason_code: 'dataset_prep_failed', ...base, summary: `prepare failed: ${failureOf(err).message}`.slice(0, 500), payload: { failure: failureOf(err) } });
      if (!(err instanceof SplitConfigError)) this.logger.error('prepare job error', { run_id: request.run_id, stack: (err as Error)?.stack });
    }
  }

  /** prepared/manifest.json under the project's directory: the file people open; the artifact stays the reference. */
  private async writeManifestCopy(projectId: string, manifest: unknown): Promise<void> {
    const dir = join(this.deps.dataDir, 'projects', projectId.replace(/[^A-Za-z0-9._-]/g, '_'), 'prepared');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}

function describeCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}
