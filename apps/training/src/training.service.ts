import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { FailureInfo, RunEventOf } from '@distillery/contracts';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { withStageSpan } from '@distillery/telemetry';
import { planTraining, PlanRequestError, type PlanDeps } from './plan-job.js';

export const TRAINING_DEPS = Symbol.for('distillery.TrainingDeps');
export interface TrainingDeps extends PlanDeps {
  readonly preflightMode: 'strict' | 'fail_open';
}

const failureOf = (err: unknown): FailureInfo => ({ error_class: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err) });

/**
 * The training service: `training_requested` → plan (recipe or autopilot, tokenized shards, preflight) →
 * `preflight_passed` (or `preflight_warning` in fail-open mode) and `training_dispatched` for the trainer pool; or
 * `training_dispatch_error` naming every blocker, `training_oom` when the memory estimate does not fit.
 */
@Injectable()
export class TrainingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(TRAINING_DEPS) private readonly deps: TrainingDeps,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.host = this.log.consumerHost(this.publisher, this.logger).register('training', 'training_requested', (e, ctx) =>
      withStageSpan('preflight', { 'distillery.run_id': e.run_id }, () => this.plan(e as RunEventOf<'training_requested'>, ctx)),
    );
    await this.host.start();
    this.logger.info('training consuming training_requested');
  }

  async plan(request: RunEventOf<'training_requested'>, ctx: HandlerContext): Promise<void> {
    const p = request.payload;
    const base = { project_id: request.project_id, run_id: request.run_id, parent_run_id: request.parent_run_id } as const;
    const mode = p.preflight_mode ?? this.deps.preflightMode;
    try {
      if (!p.manifest_ref) throw new PlanRequestError('the request names no prepared dataset (manifest_ref)');
      const outcome = await planTraining(this.deps, {
        project_id: request.project_id,
        run_id: request.run_id,
        manifest_ref: p.manifest_ref,
        ...(p.recipe ? { recipe: p.recipe } : {}),
        ...(p.autopilot !== undefined ? { autopilot: p.autopilot } : {}),
        ...(p.base_model ? { base_model: p.base_model } : {}),
        preflight_mode: mode,
      });
      const checks = outcome.checks.map((c) => `${c.ok ? 'ok' : c.severity === 'blocker' ? 'FAIL' : 'warn'} ${c.name}: ${c.detail}`);
      if (outcome.status === 'blocked') {
        if (outcome.oom) {
          await ctx.publish({
            reason_code: 'training_oom',
            ...base,
            summary: `blocked before start: estimated peak memory ${Math.round(outcome.oom.estimated_bytes / 2 ** 20)} MiB exceeds the ${Math.round(outcome.oom.budget_bytes / 2 ** 20)} MiB available`,
            payload: { failure: { error_class: 'PredictedOutOfMemory', message: outcome.blockers.join('; ').slice(0, 2_000) } },
          });
          return;
        }
        await ctx.publish({ reason_code: 'training_dispatch_error', ...base, summary: `preflight blocked the run: ${outcome.blockers.join('; ')}`.slice(0, 500), payload: { blockers: [...outcome.blockers] } });
        return;
      }
      const plan = outcome.plan;
      if (outcome.warnings.length > 0) {
        await ctx.publish({ reason_code: 'preflight_warning', ...base, summary: `preflight passed with ${outcome.warnings.length} warning(s): ${outcome.warnings[0]}`.slice(0, 500), payload: { warnings: [...outcome.warnings], plan_ref: outcome.plan_ref } });
      } else {
        await ctx.publish({ reason_code: 'preflight_passed', ...base, summary: `preflight passed (${outcome.checks.length} checks): ${plan.recipe.method} on ${plan.base_model.locator}, ${plan.steps.total} steps`.slice(0, 500), payload: { plan_ref: outcome.plan_ref, checks } });
      }
      await ctx.publish({
        reason_code: 'training_dispatched',
        ...base,
        summary: `queued for the ${plan.engine} trainers: ${plan.recipe.method}, ${plan.steps.total} steps, ~${Math.round(plan.estimates.duration_seconds)} s estimated`,
        payload: {
          plan_ref: outcome.plan_ref,
          engine: plan.engine,
          total_steps: plan.steps.total,
          method: plan.recipe.method,
          shards: { train: [...plan.shards.train], eval: [...plan.shards.eval] },
          max_seq_len: plan.recipe.max_seq_len,
        },
      });
    } catch (err) {
      const issues = err instanceof PlanRequestError ? err.issues : [failureOf(err).message];
      this.logger.warn('training request refused', { run_id: request.run_id, err: String(err) });
      await ctx.publish({ reason_code: 'training_dispatch_error', ...base, summary: `cannot plan the run: ${issues.join('; ')}`.slice(0, 500), payload: { blockers: [...issues], failure: failureOf(err) } });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}
