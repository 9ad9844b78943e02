import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { eventSubject, type ArtifactRef, type FailureInfo, type RunEvent, type RunEventOf } from '@distillery/contracts';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import { trace } from '@opentelemetry/api';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { distilleryMetrics, withStageSpan } from '@distillery/telemetry';
import { foldSlot } from '@distillery/deployments';
import { TrainPlan } from '@distillery/recipes';
import { evaluate, EvalDatasetMissingError, EvalRequestError, flatMetrics, type EvalDeps, type EvalInputs } from './evaluate-job.js';

/** The slot compared with when a request names none (apps/deployment's DEFAULT_SLOT). */
export const DEFAULT_CHAMPION_SLOT = 'default';
/** A slot's events all live on the run `deploy-<slot>` of the project (apps/deployment/src/slot-ids.ts). */
const slotRunId = (slot: string): string => `deploy-${slot}`;

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
    this.host = this.log.consumerHost(this.publisher, this.logger).register('evaluation', 'eval_requested', (e, ctx) =>
      withStageSpan('eval', { 'distillery.run_id': e.run_id }, () => this.evaluate(e as RunEventOf<'eval_requested'>, ctx)),
    );
    await this.host.start();
    this.logger.info('evaluation consuming eval_requested');
  }

  /** Every decodable event of one run of the project, in log order. */
  private async runEvents(projectId: string, runId: string): Promise<RunEvent[]> {
    const out: RunEvent[] = [];
    for await (const batch of this.log.read({ fromSeq: 1, follow: false, filterSubject: `${this.log.subjectPrefix}.${projectId}.${runId}.>` })) {
      for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event);
    }
    return out;
  }

  private async trainingFacts(projectId: string, runId: string): Promise<{ done?: RunEventOf<'training_completed'>; dispatched?: RunEventOf<'training_dispatched'> }> {
    const subject = (code: 'training_completed' | 'training_dispatched') => eventSubject(this.log.subjectPrefix, { project_id: projectId, run_id: runId, stage: 'training', reason_code: code });
    const done = (await this.log.lastEventOn(subject('training_completed')))?.event as RunEventOf<'training_completed'> | undefined;
    const dispatched = (await this.log.lastEventOn(subject('training_dispatched')))?.event as RunEventOf<'training_dispatched'> | undefined;
    return { ...(done ? { done } : {}), ...(dispatched ? { dispatched } : {}) };
  }

  /**
   * The champion: the live version of the named slot (default `default`), folded from the slot run's events as the
   * deployment service does; its model is its training run's `training_completed.model_ref` (with that run's base
   * model), else the bundle it serves. No slot or no live version: no champion. The live version being the evaluated
   * training run: skipped (comparing a model with itself says nothing).
   */
  private async champion(request: RunEventOf<'eval_requested'>, trainingRunId: string | undefined): Promise<EvalInputs['champion']> {
    const slot = request.payload.slot ?? DEFAULT_CHAMPION_SLOT;
    const state = foldSlot(slot, await this.runEvents(request.project_id, slotRunId(slot)));
    const live = state.live !== undefined ? state.versions.get(state.live) : undefined;
    if (live === undefined) return undefined;
    const about = { slot, version: live.version, ...(live.training_run_id ? { training_run_id: live.training_run_id } : {}) };
    if (trainingRunId !== undefined && live.training_run_id === trainingRunId) return { none: { ...about, skipped: `the live version v${live.version} of slot '${slot}' is the evaluated training run` } };
    if (live.training_run_id) {
      const facts = await this.trainingFacts(request.project_id, live.training_run_id);
      if (facts.done) {
        let base_model: string | undefined;
        if (facts.dispatched) {
          try {
            base_model = TrainPlan.parse(JSON.parse((await this.deps.store.readBytes(facts.dispatched.payload.plan_ref)).toString('utf8'))).base_model.locator;
          } catch (err) {
            this.logger.warn('champion train plan unreadable; using the candidate base model', { run_id: live.training_run_id, err: String(err) });
          }
        }
        return { ...about, model_ref: facts.done.payload.model_ref, ...(base_model ? { base_model } : {}) };
      }
    }
    if (live.bundle_ref) return { ...about, model_ref: live.bundle_ref };
    return { none: { ...about, unavailable: `the live version v${live.version} of slot '${slot}' names no completed training run and no bundle` } };
  }

  /** The request's inputs, filled from the training run's `training_dispatched` (plan) and `training_completed`. */
  private async inputs(request: RunEventOf<'eval_requested'>): Promise<EvalInputs & { training_run_id?: string }> {
    const p = request.payload;
    let model_ref: ArtifactRef | undefined = p.model_ref;
    let base_model = p.base_model;
    let manifest_ref: ArtifactRef | undefined = p.manifest_ref;
    if (p.training_run_id) {
      const { done, dispatched } = await this.trainingFacts(request.project_id, p.training_run_id);
      if (!done) throw new EvalRequestError(`training run '${p.training_run_id}' of project '${request.project_id}' has not completed`);
      if (!dispatched) throw new EvalRequestError(`training run '${p.training_run_id}' has no train plan (training_dispatched)`);
      const plan = TrainPlan.parse(JSON.parse((await this.deps.store.readBytes(dispatched.payload.plan_ref)).toString('utf8')));
      model_ref ??= done.payload.model_ref;
      base_model ??= plan.base_model.locator;
      manifest_ref ??= plan.manifest;
    }
    const missing = [!model_ref && 'model_ref', !base_model && 'base_model', !manifest_ref && 'manifest_ref'].filter(Boolean);
    if (missing.length > 0) throw new EvalRequestError(`the request names no ${missing.join(', ')} (give training_run_id, or all three)`);
    const champion = await this.champion(request, p.training_run_id);
    return {
      model_ref: model_ref as ArtifactRef,
      base_model: base_model as string,
      manifest_ref: manifest_ref as ArtifactRef,
      ...(p.split ? { split: p.split } : {}),
      ...(p.pack ? { pack: p.pack } : {}),
      ...(p.max_rows ? { max_rows: p.max_rows } : {}),
      ...(p.compare_base !== undefined ? { compare_base: p.compare_base } : {}),
      ...(p.safety_suite ? { safety_suite: true } : {}),
      ...(p.training_run_id ? { training_run_id: p.training_run_id } : {}),
      ...(champion ? { champion } : {}),
    };
  }

  async evaluate(request: RunEventOf<'eval_requested'>, ctx: HandlerContext): Promise<void> {
    const parent = request.payload.training_run_id ?? request.parent_run_id ?? null;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: parent } as const;
    try {
      const inputs = await this.inputs(request);
      let last = 0;
      let pending: Promise<unknown> = Promise.resolve();
      const evalStarted = performance.now();
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
      if (outcome.judge_unavailable) {
        const j = outcome.judge_unavailable;
        await ctx.publish({
          reason_code: 'eval_judge_unavailable',
          ...base,
          severity: 'warning',
          summary: `LLM judge at ${j.endpoint} unavailable (${j.failure.message.slice(0, 200)}); judge_score not computed`,
          payload: { endpoint: j.endpoint, failure: { ...j.failure } },
        });
      }
      const r = outcome.report;
      const m = flatMetrics(r);
      const headline = Object.keys(r.metrics).find((k) => !k.startsWith('per_class.'));
      const evalSeconds = Math.max(1e-3, (performance.now() - evalStarted) / 1000);
      trace.getActiveSpan()?.setAttributes({ rows: r.rows, metric: headline ?? 'none', ...(headline && r.metrics[headline] ? { 'metric.value': r.metrics[headline].value } : {}) });
      distilleryMetrics().evalRows.add(r.rows, { metric: headline ?? 'none' });
      distilleryMetrics().evalRowsPerSecond.record(r.rows / evalSeconds, { metric: headline ?? 'none' });
      const lift = headline ? r.lifts?.[headline] : undefined;
      const champ = headline ? r.champion_lifts?.[headline] : undefined;
      const pts = (d: number) => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)} pts`;
      const liftText = `${lift ? `, ${pts(lift.difference)} vs base` : ''}${champ && r.champion?.version !== undefined ? `, ${pts(champ.difference)} vs ${r.champion.slot} v${r.champion.version}` : ''}`;
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
