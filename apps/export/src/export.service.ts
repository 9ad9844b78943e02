import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { eventSubject, type ArtifactRef, type FailureInfo, type RunEventOf } from '@distillery/contracts';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { withStageSpan } from '@distillery/telemetry';
import { TrainPlan } from '@distillery/recipes';
import { ExportArtifactMissingError, ExportParityError, ExportQuantizationError, ExportRequestError, ExportSmokeError } from './errors.js';
import { runExport, type ExportDeps, type ExportInputs } from './export-job.js';
import { exportTarget } from './formats.js';

export const EXPORT_DEPS = Symbol.for('distillery.ExportDeps');

const failureOf = (err: unknown): FailureInfo => ({ error_class: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err).slice(0, 2_000) });
const mib = (bytes: number): string => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The export service: `export_requested` → the trained model (looked up from the training run's `training_completed`
 * and `training_dispatched` when the request names the run) exported as hf / peft / onnx / gguf, stored as a bundle
 * with its manifest, smoke- and parity-checked → `export_completed`, parented to the training run; or
 * `export_artifact_missing`, `export_quantization_failed`, `export_parity_failed`, `export_run_failed`.
 */
@Injectable()
export class ExportService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EXPORT_DEPS) private readonly deps: ExportDeps,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.host = this.log.consumerHost(this.publisher, this.logger).register('export', 'export_requested', (e, ctx) => {
      const p = (e as RunEventOf<'export_requested'>).payload;
      return withStageSpan('export', { 'distillery.run_id': e.run_id, format: p.format, quantization: p.quantization ?? 'none' }, () => this.export(e as RunEventOf<'export_requested'>, ctx));
    });
    await this.host.start();
    this.logger.info('export consuming export_requested');
  }

  /** The request's inputs, filled from the training run's `training_completed` (model bundle) and `training_dispatched` (plan). */
  private async inputs(request: RunEventOf<'export_requested'>): Promise<ExportInputs> {
    const p = request.payload;
    const target = exportTarget(p.format, p.quantization);
    let model_ref: ArtifactRef | undefined = p.model_ref;
    let base_model = p.base_model;
    let manifest_ref: ArtifactRef | undefined = p.manifest_ref;
    if (p.training_run_id) {
      const subject = (code: 'training_completed' | 'training_dispatched') => eventSubject(this.log.subjectPrefix, { project_id: request.project_id, run_id: p.training_run_id as string, stage: 'training', reason_code: code });
      const done = (await this.log.lastEventOn(subject('training_completed')))?.event as RunEventOf<'training_completed'> | undefined;
      if (!done) throw new ExportRequestError(`training run '${p.training_run_id}' of project '${request.project_id}' has not completed`);
      model_ref ??= done.payload.model_ref;
      const dispatched = (await this.log.lastEventOn(subject('training_dispatched')))?.event as RunEventOf<'training_dispatched'> | undefined;
      if (dispatched && (base_model === undefined || manifest_ref === undefined)) {
        let plan: TrainPlan;
        try {
          plan = TrainPlan.parse(JSON.parse((await this.deps.store.readBytes(dispatched.payload.plan_ref)).toString('utf8')));
        } catch (err) {
          throw new ExportArtifactMissingError(`the train plan ${dispatched.payload.plan_ref.uri} of training run '${p.training_run_id}' cannot be read: ${(err as Error).message}`, { cause: err });
        }
        base_model ??= plan.base_model.locator;
        manifest_ref ??= plan.manifest;
      }
    }
    const missing = [!model_ref && 'model_ref', !base_model && 'base_model'].filter(Boolean);
    if (missing.length > 0) throw new ExportRequestError(`the request names no ${missing.join(', ')} (give training_run_id, or model_ref and base_model)`);
    return {
      export_run_id: request.run_id,
      created_at: request.occurred_at,
      target,
      model_ref: model_ref as ArtifactRef,
      base_model: base_model as string,
      ...(manifest_ref ? { manifest_ref } : {}),
      ...(p.training_run_id ? { training_run_id: p.training_run_id } : {}),
      ...(p.check_rows ? { check_rows: p.check_rows } : {}),
    };
  }

  async export(request: RunEventOf<'export_requested'>, ctx: HandlerContext): Promise<void> {
    const parent = request.payload.training_run_id ?? request.parent_run_id ?? null;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: parent } as const;
    const format = request.payload.format;
    try {
      const inputs = await this.inputs(request);
      const out = await runExport(this.deps, inputs);
      const q = out.target.format === 'gguf' ? ` ${out.target.quantization.toUpperCase()}` : '';
      await ctx.publish({
        reason_code: 'export_completed',
        ...base,
        summary: `${out.target.format}${q} export, ${out.manifest.files.length} files, ${mib(out.size_bytes)}: smoke passed, parity passed (${out.parity.mode === 'exact' ? `${out.parity.prompts} identical greedy outputs` : `top-1 ${(100 * (out.parity.token_agreement ?? 0)).toFixed(1)}%`})`,
        payload: {
          format: out.target.format,
          bundle_ref: out.bundle_ref,
          quantization: out.target.quantization,
          size_bytes: out.size_bytes,
          files: out.manifest.files,
          smoke: out.smoke,
          parity: out.parity,
          ...(inputs.training_run_id ? { training_run_id: inputs.training_run_id } : {}),
        },
      });
    } catch (err) {
      this.logger.warn('export failed', { run_id: request.run_id, err: String(err) });
      if (err instanceof ExportArtifactMissingError) {
        await ctx.publish({ reason_code: 'export_artifact_missing', ...base, summary: `${format} export: ${err.missing}`, payload: { missing: err.missing, format } });
        return;
      }
      if (err instanceof ExportQuantizationError) {
        await ctx.publish({ reason_code: 'export_quantization_failed', ...base, summary: `${format} export: ${err.message}`, payload: { quantization: err.quantization, failure: failureOf(err), format } });
        return;
      }
      if (err instanceof ExportParityError) {
        const m = err.mismatch;
        await ctx.publish({
          reason_code: 'export_parity_failed',
          ...base,
          summary: `${format}${request.payload.quantization ? ` ${request.payload.quantization}` : ''} export does not match the trained model: ${m ? `prompt ${m.prompt_index} (${m.row_id}) "${clip(m.prompt, 80)}" differs` : err.parity.detail}`,
          payload: {
            format,
            ...(request.payload.quantization ? { quantization: request.payload.quantization } : {}),
            bundle_ref: err.bundle_ref,
            parity: err.parity,
            ...(err.parity.token_agreement !== undefined ? { token_agreement: err.parity.token_agreement } : {}),
            ...(err.parity.max_abs_diff !== undefined ? { max_abs_diff: err.parity.max_abs_diff } : {}),
            ...(m ? { prompt_index: m.prompt_index, row_id: m.row_id, prompt: m.prompt, expected: clip(m.expected, 2_000), actual: clip(m.actual, 2_000) } : {}),
            failure: failureOf(err),
          },
        });
        return;
      }
      const smoke = err instanceof ExportSmokeError ? { smoke: err.smoke, bundle_ref: err.bundle_ref } : {};
      await ctx.publish({ reason_code: 'export_run_failed', ...base, summary: `${format} export failed: ${failureOf(err).message}`, payload: { format, failure: failureOf(err), ...smoke } });
      if (!(err instanceof ExportRequestError) && !(err instanceof ExportSmokeError)) this.logger.error('export runtime error', { run_id: request.run_id, err: String((err as Error)?.stack ?? err) });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}
