import { emptySlot, evolve, type DeploymentVersion, type SlotState } from '@distillery/deployments';
import type { EventLog, Logger, StoredMessage } from '@distillery/eventlog';
import type { InferenceModel } from '@distillery/inference';
import type { Runner } from './runner.js';
import { slotAlias, slotOfRunId, versionModelId } from './slot-ids.js';

/** Loads the model of a version (the service's ModelLoader, with the base model looked up from the training run). */
export type VersionLoader = (projectId: string, version: DeploymentVersion) => Promise<InferenceModel>;

export interface LiveSlot {
  readonly project_id: string;
  readonly slot: string;
  readonly state: SlotState;
}

/**
 * Keeps the runner serving what the log says is live. It folds the events of every slot run (`deploy-<slot>`) as
 * they are published — a projection of the log, so every replica of the deployment app follows promotions and
 * rollbacks, and a restarted one serves the live versions again — and when a slot's live version changes it loads
 * that version's model and swaps it in behind the slot's alias (Runner.swap: no request is dropped).
 */
export class LiveFollower {
  private readonly slots = new Map<string, LiveSlot>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private lastSeq = 0;
  private loop?: Promise<void>;

  constructor(
    private readonly log: EventLog,
    private readonly runner: Runner,
    private readonly load: VersionLoader,
    private readonly logger: Logger,
    /** Told when a promoted version could not be loaded (the runner keeps serving what it served). */
    private readonly onLoadFailed: (slot: LiveSlot, version: number, err: unknown) => Promise<void>,
  ) {}

  private get filter(): string {
    return `${this.log.subjectPrefix}.*.*.deployment.>`;
  }

  /** Catches up with the log (and loads every live version), then follows it. */
  async start(): Promise<void> {
    for await (const batch of this.log.read({ fromSeq: 1, follow: false, filterSubject: this.filter })) this.apply(batch);
    await Promise.all([...this.queues.values()]);
    this.loop = this.follow();
  }

  private async follow(): Promise<void> {
    try {
      for await (const batch of this.log.read({ fromSeq: this.lastSeq + 1, follow: true, filterSubject: this.filter, signal: this.abort.signal })) this.apply(batch);
    } catch (err) {
      if (!this.abort.signal.aborted) this.logger.error('the live follower stopped', { err: String(err) });
    }
  }

  private apply(batch: readonly StoredMessage[]): void {
    const touched = new Set<string>();
    for (const m of batch) {
      if (m.seq <= this.lastSeq) continue;
      this.lastSeq = m.seq;
      if (!m.decoded.ok) continue;
      const e = m.decoded.event;
      const slot = slotOfRunId(e.run_id);
      if (slot === undefined) continue;
      const key = slotAlias(e.project_id, slot);
      const prev = this.slots.get(key) ?? { project_id: e.project_id, slot, state: emptySlot(slot) };
      const state = evolve(prev.state, e);
      if (state !== prev.state) {
        this.slots.set(key, { ...prev, state });
        touched.add(key);
      }
    }
    for (const key of touched) this.enqueue(key);
  }

  private enqueue(key: string): void {
    const next = (this.queues.get(key) ?? Promise.resolve()).then(() => this.sync(key));
    this.queues.set(key, next);
  }

  /** Makes the runner serve the slot's live version (if the runner is its target). */
  private async sync(key: string): Promise<void> {
    const s = this.slots.get(key);
    const live = s?.state.live;
    if (!s || live === undefined) return;
    const version = s.state.versions.get(live);
    if (!version) return;
    const alias = slotAlias(s.project_id, s.slot);
    if (version.target !== 'runner') {
      const served = this.runner.routeOf(alias);
      if (served !== undefined) await this.runner.retire(served);
      return;
    }
    const id = versionModelId(s.project_id, s.slot, live);
    if (this.runner.routeOf(alias) === id) return;
    const started = performance.now();
    let model: InferenceModel;
    try {
      model = await this.load(s.project_id, version);
    } catch (err) {
      this.logger.error('could not load the live version; the runner keeps serving the previous one', { slot: alias, version: live, err: String(err) });
      await this.onLoadFailed(s, live, err).catch(() => undefined);
      return;
    }
    const loaded = performance.now() - started;
    await this.runner.swap(alias, id, model);
    this.logger.info('serving a new live version', { slot: alias, model: id, load_ms: Math.round(loaded) });
  }

  /** Every slot with a live version, as folded from the log. */
  live(): LiveSlot[] {
    return [...this.slots.values()].filter((s) => s.state.live !== undefined);
  }

  /** Resolves once every switch queued so far has been applied. */
  async settled(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.settled();
  }
}
