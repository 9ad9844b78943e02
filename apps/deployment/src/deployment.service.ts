import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { FileArtifactStore } from '@distillery/artifacts';
import type { RunEvent, RunEventDraft, RunEventOf } from '@distillery/contracts';
import { decide, DeploymentCommandError, foldSlot, type DeploymentCommand, type DeploymentVersion, type SlotEvent, type SlotState } from '@distillery/deployments';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger, ServiceConsumer } from '@distillery/eventlog';
import type { InferenceModel } from '@distillery/inference';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { withStageSpan } from '@distillery/telemetry';
import { createCommand, RequestInvalidError } from './create-version.js';
import { DriftInputsSource, type DriftSettings } from './drift-inputs.js';
import { runDriftCheck } from './drift-check.js';
import { LiveFollower, type LiveSlot } from './live-follower.js';
import { runEvents, trainingFacts } from './lookups.js';
import type { ModelLoader } from './model-loader.js';
import type { Runner } from './runner.js';
import { DEFAULT_SLOT, slotAlias, slotRunId } from './slot-ids.js';

export const DEPLOYMENT_DEPS = Symbol.for('distillery.DeploymentDeps');
export interface DeploymentDeps {
  readonly store: FileArtifactStore;
  readonly runner: Runner;
  readonly loader: ModelLoader;
  /** The runner's base URL as this process reaches it (smoke and drift checks go through it). */
  readonly runnerUrl: string;
  readonly smoke: { readonly prompts: number; readonly maxTokens: number };
  readonly drift: DriftSettings & { readonly everyMs: number };
}

/** The durable consumers this service registers (the entries of libs/eventlog SERVICE_CONSUMERS). One request of a slot at a time. */
export const DEPLOYMENT_CONSUMERS: readonly ServiceConsumer[] = (['deployment_requested', 'deployment_promote_requested', 'deployment_rollback_requested', 'deployment_reject_requested', 'deployment_drift_check_requested'] as const).map((reasonCode) => ({ service: 'deployment', reasonCode, maxAckPending: 1 }));

type SlotBase = { readonly project_id: string; readonly run_id: string; readonly parent_run_id: null };

const summaryOf = (e: SlotEvent): string => {
  switch (e.reason_code) {
    case 'deployment_created': {
      const p = e.payload;
      const verdict = (name: string, c: { passed: boolean } | undefined) => `${name} ${c === undefined ? 'not run' : c.passed ? 'passed' : 'FAILED'}`;
      return `v${p.version} created for ${p.target}: eval ${p.eval ? (p.eval.promotable ? 'promotable' : 'NOT promotable') : 'missing'}, ${verdict('smoke', p.smoke)}, ${verdict('parity', p.parity)}`;
    }
    case 'deployment_promoted':
      return `v${e.payload.version} is live${e.payload.superseded !== undefined ? ` (v${e.payload.superseded} superseded)` : ''}`;
    case 'deployment_promote_blocked':
      return `promotion of v${e.payload.version} refused: ${e.payload.failed_gates.join('; ')}`;
    case 'deployment_rejected':
      return `v${e.payload.version} rejected: ${e.payload.reason}`;
    case 'deployment_rolled_back':
      return `rolled back from v${e.payload.from_version} to v${e.payload.to_version}`;
    case 'deployment_rollback_no_predecessor':
      return `rollback refused: ${e.payload.version !== undefined ? `v${e.payload.version} is the only version that was live` : 'nothing is live'}`;
  }
};

/**
 * The deployment service. Requests (`deployment_requested`, `…_promote_requested`, `…_rollback_requested`,
 * `…_reject_requested`, `…_drift_check_requested`) are handled one at a time per slot: the slot's events are read
 * back from its run (`deploy-<slot>`), folded, and libs/deployments `decide` says what to publish. A request already
 * answered (an event of the slot has it as its cause) is not answered twice. What the runner serves follows the
 * published events (LiveFollower); drift checks run on request and, when configured, on a schedule.
 */
@Injectable()
export class DeploymentService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;
  private follower?: LiveFollower;
  private timer?: NodeJS.Timeout;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly driftInputs: DriftInputsSource;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DEPLOYMENT_DEPS) private readonly deps: DeploymentDeps,
  ) {
    this.driftInputs = new DriftInputsSource(log, deps.store, deps.loader, deps.drift);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.follower = new LiveFollower(this.log, this.deps.runner, (project, v) => this.loadVersion(project, v), this.logger, (s, v, err) => this.loadFailed(s, v, err));
    await this.follower.start();
    const host = this.log.consumerHost(this.publisher, this.logger);
    host.register('deployment', 'deployment_requested', (e, ctx) => withStageSpan('deploy', { 'distillery.run_id': e.run_id }, () => this.create(e as RunEventOf<'deployment_requested'>, ctx)));
    host.register('deployment', 'deployment_promote_requested', (e, ctx) =>
      withStageSpan('promote', { 'distillery.run_id': e.run_id }, () => this.command(e, ctx, (e as RunEventOf<'deployment_promote_requested'>).payload.slot, () => ({ kind: 'promote', version: (e as RunEventOf<'deployment_promote_requested'>).payload.version }))),
    );
    host.register('deployment', 'deployment_rollback_requested', (e, ctx) => withStageSpan('rollback', { 'distillery.run_id': e.run_id }, () => this.command(e, ctx, (e as RunEventOf<'deployment_rollback_requested'>).payload.slot, () => ({ kind: 'rollback' }))));
    host.register('deployment', 'deployment_reject_requested', (e, ctx) => {
      const p = (e as RunEventOf<'deployment_reject_requested'>).payload;
      return withStageSpan('reject', { 'distillery.run_id': e.run_id }, () => this.command(e, ctx, p.slot, () => ({ kind: 'reject', version: p.version, reason: p.reason })));
    });
    host.register('deployment', 'deployment_drift_check_requested', (e, ctx) =>
      withStageSpan('drift_check', { 'distillery.run_id': e.run_id }, () => this.driftCheck(e as RunEventOf<'deployment_drift_check_requested'>, ctx)),
    );
    this.host = host;
    await host.start();
    if (this.deps.drift.everyMs > 0) this.timer = setInterval(() => void this.scheduleDriftChecks(), this.deps.drift.everyMs);
    this.logger.info('deployment consuming its requests', { runner: this.deps.runnerUrl, live: this.follower.live().length });
  }

  /** The follower (tests wait on it; the drift schedule reads the live slots). */
  get live(): LiveFollower | undefined {
    return this.follower;
  }

  /** Runs `work` for a slot: one at a time per slot, with the slot's state folded from its run, skipping answered requests. */
  private async withSlot(request: RunEvent, ctx: HandlerContext, slot: string, work: (state: SlotState, base: SlotBase) => Promise<void>): Promise<void> {
    const key = slotAlias(request.project_id, slot);
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      const base: SlotBase = { project_id: request.project_id, run_id: slotRunId(slot), parent_run_id: null };
      const events = await runEvents(this.log, request.project_id, base.run_id);
      if (events.some((e) => e.causation_id === request.id)) {
        this.logger.info('request already answered', { slot: key, request: request.id, reason_code: request.reason_code });
        return;
      }
      try {
        await work(foldSlot(slot, events), base);
      } catch (err) {
        if (!(err instanceof RequestInvalidError || err instanceof DeploymentCommandError)) throw err;
        const version = (request.payload as { version?: number }).version;
        await ctx.publish({ reason_code: 'deployment_request_invalid', ...base, summary: `${request.reason_code} refused: ${err.message}`, payload: { request: request.reason_code, slot, ...(version !== undefined ? { version } : {}), message: err.message } });
      }
    });
    this.locks.set(key, run);
    try {
      await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }

  private async publishSlotEvents(ctx: HandlerContext, base: SlotBase, events: readonly SlotEvent[]): Promise<void> {
    for (const e of events) await ctx.publish({ reason_code: e.reason_code, ...base, summary: summaryOf(e), payload: e.payload } as RunEventDraft<SlotEvent['reason_code']>);
  }

  /** `deployment_requested`: a new version with its eval, smoke and parity checks (and `deployment_smoke_failed`). */
  private create(request: RunEventOf<'deployment_requested'>, ctx: HandlerContext): Promise<void> {
    const slot = request.payload.slot ?? DEFAULT_SLOT;
    return this.withSlot(request, ctx, slot, async (state, base) => {
      const version = Math.max(0, ...state.versions.keys()) + 1;
      const { command, smoke } = await createCommand({ log: this.log, store: this.deps.store, loader: this.deps.loader, runner: this.deps.runner, runnerUrl: this.deps.runnerUrl, smoke: this.deps.smoke }, request, slot, version);
      await this.publishSlotEvents(ctx, base, decide(state, command));
      if (!smoke.passed) {
        await ctx.publish({ reason_code: 'deployment_smoke_failed', ...base, summary: `v${version} failed its smoke check: ${smoke.detail}`, payload: { version, slot, failure: { error_class: 'SmokeCheckFailed', message: smoke.detail } } });
      }
    });
  }

  /** promote / rollback / reject: the decider's answer, published. */
  private command(request: RunEvent, ctx: HandlerContext, slot: string, command: () => DeploymentCommand): Promise<void> {
    return this.withSlot(request, ctx, slot, (state, base) => this.publishSlotEvents(ctx, base, decide(state, command())));
  }

  /** `deployment_drift_check_requested`: always `deployment_drift_checked`, and `deployment_drift_detected` when drifted. */
  private driftCheck(request: RunEventOf<'deployment_drift_check_requested'>, ctx: HandlerContext): Promise<void> {
    const slot = request.payload.slot;
    return this.withSlot(request, ctx, slot, async (state, base) => {
      const live = state.live === undefined ? undefined : state.versions.get(state.live);
      if (!live) throw new RequestInvalidError(`slot '${slot}' has no live version to check`);
      const alias = slotAlias(request.project_id, slot);
      const inputs = await this.driftInputs.inputs(request.project_id, live, live.target === 'runner' ? this.deps.runnerUrl : live.endpoint);
      const outcome = await runDriftCheck({ ...inputs, model: alias, ...(live.target === 'runner' ? { recent: this.deps.runner.recentOf(alias) } : {}), maxTokens: this.deps.drift.maxTokens, minRequests: this.deps.drift.minRequests });
      const common = { metrics: outcome.metrics, slot, version: live.version, details: outcome.details };
      const what = outcome.drifted.length > 0 ? `drifted: ${outcome.drifted.join(', ')}` : 'no drift';
      await ctx.publish({ reason_code: 'deployment_drift_checked', ...base, summary: `v${live.version} drift check: ${what}`, payload: { ...common, drifted: outcome.drifted } });
      if (outcome.drifted.length > 0) {
        const why = outcome.details.filter((d) => (d.startsWith('metric:') ? outcome.metricDrifted : d.startsWith('input:') && outcome.drifted.some((x) => x.startsWith('input:'))));
        await ctx.publish({ reason_code: 'deployment_drift_detected', ...base, severity: outcome.metricDrifted ? 'error' : 'warning', summary: `v${live.version} ${what}: ${why.join(' | ')}`, payload: { ...common, drifted: outcome.drifted } });
      }
    });
  }

  /** The schedule: one drift-check request per live slot per period (deduplicated across replicas by the period). */
  private async scheduleDriftChecks(): Promise<void> {
    const period = Math.floor(Date.now() / this.deps.drift.everyMs);
    for (const s of this.follower?.live() ?? []) {
      await this.publisher
        .publish({ reason_code: 'deployment_drift_check_requested', project_id: s.project_id, run_id: slotRunId(s.slot), summary: `scheduled drift check of ${s.slot}`, payload: { slot: s.slot } }, { dedupKey: `drift-schedule-${period}` })
        .catch((err: unknown) => this.logger.warn('could not schedule a drift check', { slot: s.slot, err: String(err) }));
    }
  }

  private async loadVersion(projectId: string, v: DeploymentVersion): Promise<InferenceModel> {
    if (!v.bundle_ref) throw new Error(`version ${v.version} has no bundle to serve`);
    const training = v.training_run_id ? await trainingFacts(this.log, projectId, v.training_run_id) : undefined;
    const plan = training?.plan_ref ? await this.deps.loader.plan(training.plan_ref) : undefined;
    return this.deps.loader.load({ bundle_ref: v.bundle_ref, ...(plan ? { base_model: plan.base_model.locator } : {}) });
  }

  private async loadFailed(s: LiveSlot, version: number, err: unknown): Promise<void> {
    const message = `the runner could not load live version v${version}: ${(err as Error)?.message ?? String(err)}; it keeps serving ${this.deps.runner.routeOf(slotAlias(s.project_id, s.slot)) ?? 'nothing'}`;
    await this.publisher.publish(
      { reason_code: 'deployment_smoke_failed', project_id: s.project_id, run_id: slotRunId(s.slot), summary: message, payload: { version, slot: s.slot, failure: { error_class: 'ModelLoadFailed', message } } },
      { dedupKey: `load-failed-v${version}` },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.host?.stop();
    await this.follower?.stop();
  }
}

