import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { eventSubject, type ArtifactRef, type FailureInfo, type RunEventOf } from '@distillery/contracts';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { TrainPlan } from '@distillery/recipes';
import { evaluate, EvalDatasetMissingError, EvalRequestError, flatMetrics, type EvalDeps, type EvalInputs } from './evaluate-job.js';

export const EVALUATION_DEPS = Symbol.for('distillery.EvaluationDeps');
export interface EvaluationDeps extends EvalDeps {
  /** Minimum time between two `eval_progress` events. */
  readonly progressEveryMs: number;
}

const failureOf = (err: unknown): FailureInfo => ({ error_class: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err).slice(0, 2_000) });
const pct = (x: number | undefined): string => (x === undefined ? '?' : `${(x * 100).toFixed(1)}%`);

/**
 * The evaluation service: `eval_requested` → the trained model, its base model and the prepared dataset (looked up
 * from the training run's events when the request names the run) → `eval_progress` while rows are scored →
 * `eval_completed` with metrics, lifts and the verdict, parented to the training run; or `eval_dataset_missing` /
 * `eval_runtime_error`.
 */
@Injectable()
export class EvaluationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EVALUATION_DEPS) private readonly deps: EvaluationDeps,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.host = this.log.consumerHost(this.publisher, this.logger).register('evaluation', 'eval_requested', (e, ctx) => this.evaluate(e as RunEventOf<'eval_requested'>, ctx));
    await this.host.start();
    this.logger.info('evaluation consuming eval_requested');
  }

  /** The request's inputs, filled from the training run's `training_dispatched` (plan) and `training_completed`. */
  private async inputs(request: RunEventOf<'eval_requested'>): Promise<EvalInputs & { training_run_id?: string }> {
    const p = request.payload;
    let model_ref: ArtifactRef | undefined = p.model_ref;
    let base_model = p.base_model;
    let manifest_ref: ArtifactRef | undefined = p.manifest_ref;
    if (p.training_run_id) {
      const subject = (code: 'training_completed' | 'training_dispatched') => eventSubject(this.log.subjectPrefix, { project_id: request.project_id, run_id: p.training_run_id as string, stage: 'training', reason_code: code });
      const done = (await this.log.lastEventOn(subject('training_completed')))?.event as RunEventOf<'training_completed'> | undefined;
      if (!done) throw new EvalRequestError(`training run '${p.training_run_id}' of project '${request.project_id}' has not completed`);
      const dispatched = (await this.log.lastEventOn(subject('training_dispatched')))?.event as RunEventOf<'training_dispatched'> | undefined;
      if (!dispatched) throw new EvalRequestError(`training run '${p.training_run_id}' has no train plan (training_dispatched)`);
      const plan = TrainPlan.parse(JSON.parse((await this.deps.store.readBytes(dispatched.payload.plan_ref)).toString('utf8')));
      model_ref ??= done.payload.model_ref;
      base_model ??= plan.base_model.locator;
      manifest_ref ??= plan.manifest;
    }
    const missing = [!model_ref && 'model_ref', !base_model && 'base_model', !manifest_ref && 'manifest_ref'].filter(Boolean);
    if (missing.length > 0) throw new EvalRequestError(`the request names no ${missing.join(', ')} (give training_run_id, or all three)`);
    return {
      model_ref: model_ref as ArtifactRef,
      base_model: base_model as string,
      manifest_ref: manifest_ref as ArtifactRef,
      ...(p.split ? { split: p.split } : {}),
      ...(p.pack ? { pack: p.pack } : {}),
      ...(p.max_rows ? { max_rows: p.max_rows } : {}),
      ...(p.compare_base !== undefined ? { compare_base: p.compare_base } : {}),
      ...(p.training_run_id ? { training_run_id: p.training_run_id } : {}),
    };
  }

  async evaluate(request: RunEventOf<'eval_requested'>, ctx: HandlerContext): Promise<void> {
    const parent = request.payload.training_run_id ?? request.parent_run_id ?? null;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: parent } as const;
    try {
      const inputs = await this.inputs(request);
      let last = 0;
      let pending: Promise<unknown> = Promise.resolve();
      const outcome = await evaluate(
        {
          ...this.deps,
          onProgress: (p) => {
            const now = Date.now();
            if (now - last < this.deps.progressEveryMs && p.done < p.total) return;
            last = now;
            pending = pending.then(() =>
              ctx.publish({ reason_code: 'eval_progress', ...base, summary: `${p.phase}: ${p.done}/${p.total} rows`, payload: p }, { dedupKey: `progress-${p.phase}-${p.done}` }).catch(() => undefined),
            );
          },
        },
        inputs,
      );
      await pending;
      const r = outcome.report;
      const m = flatMetrics(r);
      const headline = Object.keys(r.metrics).find((k) => !k.startsWith('per_class.'));
      const lift = headline ? r.lifts?.[headline] : undefined;
      const liftText = lift ? `, ${lift.difference >= 0 ? '+' : ''}${(lift.difference * 100).toFixed(1)} pts vs base` : '';
      await ctx.publish({
        reason_code: 'eval_completed',
        ...base,
        severity: r.verdict.promotable ? 'info' : 'warning',
        summary: `${r.rows} ${r.split} rows: ${headline ?? 'no metric'} ${headline ? pct(r.metrics[headline]?.value) : ''}${liftText}; ${r.verdict.promotable ? 'promotable' : `not promotable (${r.verdict.blocking.length} gate${r.verdict.blocking.length === 1 ? '' : 's'} failed)`}`,
        payload: {
          metrics: m,
          promotable: r.verdict.promotable,
          report_ref: outcome.report_ref,
          predictions_ref: outcome.predictions_ref,
          ...(inputs.training_run_id ? { training_run_id: inputs.training_run_id } : {}),
          task_profile: r.task_profile,
          rows: r.rows,
          blocking: [...r.verdict.blocking],
          warnings: [...r.verdict.warnings],
        },
      });
    } catch (err) {
      this.logger.warn('evaluation failed', { run_id: request.run_id, err: String(err) });
      if (err instanceof EvalDatasetMissingError) {
        await ctx.publish({ reason_code: 'eval_dataset_missing', ...base, summary: err.message, payload: { missing: [...err.missing] } });
        return;
      }
      await ctx.publish({ reason_code: 'eval_runtime_error', ...base, summary: `evaluation failed: ${failureOf(err).message}`, payload: { failure: failureOf(err) } });
      if (!(err instanceof EvalRequestError)) this.logger.error('evaluation runtime error', { run_id: request.run_id, err: String((err as Error)?.stack ?? err) });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}
