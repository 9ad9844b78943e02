import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { FailureInfo, ReasonCode, RunEventOf } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import type { DatabaseHandle } from '@distillery/db';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import { commitImport, TaskProfileMismatchError, type ImporterDeps } from '@distillery/importer';
import { DATABASE, EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { withStageSpan } from '@distillery/telemetry';
import { DatasetStore } from './dataset-store.js';

export const MAPPING_DEPS = Symbol.for('distillery.MappingDeps');
export interface MappingDeps extends ImporterDeps {
  readonly store: FileArtifactStore;
  /** Minimum time between two `dataset_import_progress` events of one import. */
  readonly progressEveryMs: number;
}

type FailureCode = Extract<ReasonCode, 'dataset_import_failed' | 'ingest_unsupported_format' | 'ingest_io_error' | 'ingest_source_unreachable' | 'ingest_validation_failed' | 'extension_load_failed' | 'extension_contract_invalid'>;

/** Maps an error to the most specific failure code: sources' errors carry theirs; a bad mapping is a validation failure. */
export function failureCodeOf(err: unknown): FailureCode {
  const code = (err as { reasonCode?: unknown }).reasonCode;
  if (typeof code === 'string' && ['ingest_unsupported_format', 'ingest_io_error', 'ingest_source_unreachable', 'extension_load_failed', 'extension_contract_invalid'].includes(code)) {
    return code as FailureCode;
  }
  const name = (err as Error)?.name;
  if (name === 'LocatorError' || name === 'MappingChoiceError' || name === 'TaskProfileMismatchError') return 'ingest_validation_failed';
  return 'dataset_import_failed';
}

export const savedMappingId = (projectId: string, name: string): string =>
  `map-${createHash('sha256').update(`${projectId}\u0000${name}`).digest('hex').slice(0, 12)}`;

/**
 * Commits imports: `dataset_import_requested` → stream the source through the mapper into artifacts, append rows
 * new to the project's dataset → `dataset_import_run` (+ `mapping_saved`). Failures become their own events and the
 * run's row claims are released, so nothing half-written remains.
 */
@Injectable()
export class MappingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;
  private datasets?: DatasetStore;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DATABASE) private readonly db: DatabaseHandle,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(MAPPING_DEPS) private readonly deps: MappingDeps,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.datasets = await DatasetStore.open(this.db.db, this.db.schema);
    this.host = this.log
      .consumerHost(this.publisher, this.logger)
      .register('mapping', 'dataset_import_requested', (event, ctx) =>
        withStageSpan('import', { 'distillery.run_id': event.run_id }, () => this.import(event as RunEventOf<'dataset_import_requested'>, ctx)),
      );
    await this.host.start();
    this.logger.info('mapping consuming dataset_import_requested');
  }

  async import(request: RunEventOf<'dataset_import_requested'>, ctx: HandlerContext): Promise<void> {
    const p = request.payload;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: request.parent_run_id } as const;
    const datasets = this.datasets!;
    let lastProgress = 0;
    let progressN = 0;
    try {
      const project = await datasets.project(request.project_id);
      if (project && project.task_profile !== p.task_profile) {
        throw new TaskProfileMismatchError(request.project_id, project.task_profile, p.task_profile, p.mapper_id);
      }
      const outcome = await withStageSpan('map', { 'distillery.mapper_id': p.mapper_id }, () => commitImport(
        { ...this.deps, index: datasets },
        {
          locator: p.locator,
          mapper_id: p.mapper_id,
          field_map: p.field_map,
          drop_reasons: p.drop_reasons,
          limit: p.limit,
          project_id: request.project_id,
          import_run_id: request.run_id,
          onProgress: (pr) => {
            if (Date.now() - lastProgress < this.deps.progressEveryMs) return;
            lastProgress = Date.now();
            progressN += 1;
            void ctx
              .publish(
                { reason_code: 'dataset_import_progress', ...base, summary: `read ${pr.rows} rows of ${p.locator}`, payload: { rows_read: pr.rows, bytes_read: pr.bytesRead, bytes_total: pr.bytesTotal } },
                { dedupKey: `progress-${progressN}` },
              )
              .catch((err) => this.logger.warn('progress event not published', { err: String(err) }));
          },
        },
      ));
      const dataset = await datasets.lockProject(request.project_id, p.task_profile);
      let savedId: string | undefined = p.saved_mapping_id;
      if (p.save_as) {
        savedId = savedMappingId(request.project_id, p.save_as);
        await ctx.publish({
          reason_code: 'mapping_saved',
          ...base,
          summary: `mapping '${p.save_as}' saved: ${p.mapper_id} on ${p.locator}`,
          payload: { saved_mapping_id: savedId, name: p.save_as, locator: p.locator, mapper_id: p.mapper_id, field_map: p.field_map, drop_reasons: p.drop_reasons ?? [] },
        });
      }
      const r = outcome.report;
      const appended = r.accepted - outcome.rows_duplicate;
      await ctx.publish({
        reason_code: 'dataset_import_run',
        ...base,
        severity: r.rejected > 0 || outcome.warnings.length > 0 ? 'warning' : 'info',
        summary: `imported ${p.locator} with ${p.mapper_id}: ${r.read} read, ${r.accepted} accepted (${appended} new, ${outcome.rows_duplicate} already in the dataset), ${r.rejected} rejected`.slice(0, 500),
        payload: {
          locator: p.locator,
          resolved: outcome.resolved,
          mapper_id: p.mapper_id,
          task_profile: p.task_profile,
          dataset_id: dataset.dataset_id,
          rows_read: r.read,
          rows_accepted: r.accepted,
          rows_rejected: r.rejected,
          rows_duplicate: outcome.rows_duplicate,
          rejections: { ...r.rejection_counts },
          accepted_ref: outcome.accepted_ref,
          rejected_ref: outcome.rejected_ref,
          ...(savedId ? { saved_mapping_id: savedId } : {}),
          ...(outcome.warnings.length ? { warnings: outcome.warnings.slice(0, 50) } : {}),
        },
      });
    } catch (err) {
      await this.fail(request, ctx, err);
    }
  }

  private async fail(request: RunEventOf<'dataset_import_requested'>, ctx: HandlerContext, err: unknown): Promise<void> {
    const code = failureCodeOf(err);
    const failure: FailureInfo = { error_class: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err) };
    const locator = request.payload.locator;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: request.parent_run_id, summary: `import of ${locator} failed: ${failure.message}`.slice(0, 500) } as const;
    this.logger.warn('import failed', { run_id: request.run_id, code, err: failure.message });
    const extension = (err as { pluginId?: string }).pluginId ?? 'unknown';
    switch (code) {
      case 'ingest_source_unreachable':
        await ctx.publish({ reason_code: 'ingest_source_unreachable', ...base, payload: { locator, host: (err as { host?: string }).host, failure } });
        return;
      case 'ingest_unsupported_format':
        await ctx.publish({ reason_code: 'ingest_unsupported_format', ...base, payload: { locator, detected: (err as { detected?: string }).detected, failure } });
        return;
      case 'ingest_validation_failed':
        await ctx.publish({ reason_code: 'ingest_validation_failed', ...base, severity: 'error', payload: { locator, issues: [failure.message], failure } });
        return;
      case 'extension_load_failed':
        await ctx.publish({ reason_code: 'extension_load_failed', ...base, payload: { extension, failure } });
        return;
      case 'extension_contract_invalid':
        await ctx.publish({ reason_code: 'extension_contract_invalid', ...base, payload: { extension, issues: [failure.message] } });
        return;
      case 'ingest_io_error':
        await ctx.publish({ reason_code: 'ingest_io_error', ...base, payload: { locator, failure } });
        return;
      case 'dataset_import_failed':
        await ctx.publish({ reason_code: 'dataset_import_failed', ...base, payload: { locator, failure } });
        return;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}
