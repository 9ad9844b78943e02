import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { eventSubject, type ArtifactRef, type FailureInfo, type RunEventOf } from '@distillery/contracts';
import { EngineOomError } from '@distillery/engine-ort';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { withStageSpan } from '@distillery/telemetry';
import { EpochSpans } from './epoch-spans.js';
import { runPlan, type RunDeps } from './run-plan.js';

export const TRAINER_DEPS = Symbol.for('distillery.TrainerDeps');
export interface TrainerDeps extends RunDeps {
  readonly workerId: string;
}

const failureOf = (err: unknown): FailureInfo => ({ error_class: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err).slice(0, 2_000) });

/**
 * A trainer worker: pulls `training_dispatched` from the trainers' durable work queue (one plan at a time per worker;
 * several workers share the queue), heartbeats while it trains, and streams started / progress / checkpoint /
 * completed. A worker that dies leaves the message unacknowledged; after the ack wait another worker (or this one,
 * restarted) gets it and resumes from the run's last checkpoint.
 */
@Injectable()
export class TrainerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(TRAINER_DEPS) private readonly deps: TrainerDeps,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.host = this.log.consumerHost(this.publisher, this.logger).register('trainer', 'training_dispatched', (e, ctx) =>
      withStageSpan('train', { 'distillery.run_id': e.run_id, 'distillery.method': (e as RunEventOf<'training_dispatched'>).payload.method }, () => this.train(e as RunEventOf<'training_dispatched'>, ctx)),
    );
    await this.host.start();
    this.logger.info('trainer consuming training_dispatched', { worker: this.deps.workerId });
  }

  private subject(e: { project_id: string; run_id: string }, code: 'training_checkpoint_saved' | 'training_cancel_requested'): string {
    return eventSubject(this.log.subjectPrefix, { project_id: e.project_id, run_id: e.run_id, stage: 'training', reason_code: code });
  }

  async train(dispatch: RunEventOf<'training_dispatched'>, ctx: HandlerContext): Promise<void> {
    const base = { project_id: dispatch.project_id, run_id: dispatch.run_id, parent_run_id: dispatch.parent_run_id } as const;
    const attempt = ctx.deliveryCount;
    let step = 0;
    const epochs = new EpochSpans({ run: dispatch.run_id, method: dispatch.payload.method });
    try {
      const outcome = await runPlan(this.deps, dispatch.payload.plan_ref, {
        started: async (i) => {
          await ctx.publish(
            {
              reason_code: 'training_started',
              ...base,
              summary: i.resumed_from_step !== undefined ? `resumed at step ${i.resumed_from_step} of ${i.total_steps} on ${this.deps.workerId} (attempt ${attempt})` : `started ${i.total_steps} steps on ${this.deps.workerId}`,
              payload: { engine: 'ort', total_steps: i.total_steps, worker: this.deps.workerId, ...(i.resumed_from_step !== undefined ? { resumed_from_step: i.resumed_from_step } : {}) },
            },
            { dedupKey: `started-${attempt}` },
          );
        },
        progress: async (p) => {
          step = p.step;
          epochs.progress(p);
          await ctx.publish(
            {
              reason_code: 'training_progress',
              ...base,
              summary: `step ${p.step}/${p.total_steps} loss ${p.loss.toFixed(4)}${p.eval_loss !== undefined ? ` eval ${p.eval_loss.toFixed(4)}` : ''} · ${Math.round(p.tokens_per_s)} tok/s`,
              payload: { step: p.step, total_steps: p.total_steps, loss: p.loss, lr: p.lr, tokens_per_s: p.tokens_per_s, epoch: p.epoch, ...(p.eval_loss !== undefined ? { eval_loss: p.eval_loss } : {}) },
            },
            { dedupKey: `progress-${p.step}` },
          );
        },
        checkpoint: async (c) => {
          await ctx.publish({ reason_code: 'training_checkpoint_saved', ...base, summary: `checkpoint at step ${c.step}`, payload: { step: c.step, checkpoint_ref: c.ref } }, { dedupKey: `ckpt-${c.step}` });
        },
        lastCheckpoint: async () => ((await this.log.lastEventOn(this.subject(dispatch, 'training_checkpoint_saved')))?.event.payload as { checkpoint_ref?: ArtifactRef } | undefined)?.checkpoint_ref,
        cancelRequested: async () => (await this.log.lastEventOn(this.subject(dispatch, 'training_cancel_requested'))) !== undefined,
      });
      epochs.end();
      if (outcome.status === 'cancelled') {
        await ctx.publish({ reason_code: 'training_cancelled', ...base, summary: `cancelled at step ${outcome.step}; the last checkpoint is kept`, payload: { step: outcome.step } });
        return;
      }
      if (outcome.status === 'timeout') {
        await ctx.publish({ reason_code: 'training_timeout', ...base, summary: `stopped at step ${outcome.step}: max_duration ${outcome.max_duration_s} s reached; the last checkpoint is kept`, payload: { max_duration_s: outcome.max_duration_s } });
        return;
      }
      await ctx.publish({
        reason_code: 'training_completed',
        ...base,
        summary: `trained ${outcome.steps} steps: loss ${outcome.final_loss.toFixed(4)}${outcome.final_eval_loss !== undefined ? `, eval loss ${outcome.final_eval_loss.toFixed(4)}` : ''}`,
        payload: {
          model_ref: outcome.model_ref,
          final_loss: outcome.final_loss,
          experiment_id: dispatch.run_id,
          engine: 'ort',
          method: dispatch.payload.method,
          trace_ref: outcome.trace_ref,
          steps: outcome.steps,
          ...(outcome.final_eval_loss !== undefined ? { final_eval_loss: outcome.final_eval_loss } : {}),
        },
      });
    } catch (err) {
      epochs.end();
      this.logger.warn('training failed', { run_id: dispatch.run_id, step, err: String(err) });
      if (err instanceof EngineOomError) {
        await ctx.publish({ reason_code: 'training_oom', ...base, summary: `out of memory at step ${step}: ${failureOf(err).message}`.slice(0, 500), payload: { step, failure: failureOf(err) } });
        return;
      }
      await ctx.publish({ reason_code: 'training_runtime_error', ...base, summary: `training failed at step ${step}: ${failureOf(err).message}`.slice(0, 500), payload: { step, failure: failureOf(err) } });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}
