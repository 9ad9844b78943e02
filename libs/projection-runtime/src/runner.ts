import { context, trace } from '@opentelemetry/api';
import { sql } from 'kysely';
import { migrate } from '@distillery/db';
import {
  type EventLog,
  type EventPublisher,
  type Logger,
  type StoredMessage,
  SpanKind,
  extractTraceContext,
  publishSchemaInvalid,
  silentLogger,
  tracer,
} from '@distillery/eventlog';
import { activeVersion, advanceCheckpoint, CheckpointConflictError, readCheckpoint, runtimeMigrations } from './checkpoints.js';
import type { AnyDb, Projection, StoredEvent } from './projection.js';

export interface RunnerDeps {
  readonly log: EventLog;
  readonly db: AnyDb;
  readonly schema?: string;
  readonly logger?: Logger;
  /** When set, messages that are not valid RunEvents are dead-lettered (`event_schema_invalid`). */
  readonly publisher?: EventPublisher;
  readonly batchSize?: number;
  /** One span per projected event, continuing the producer's trace (off for rebuilds). */
  readonly traceEvents?: boolean;
  /** How long a reader may receive nothing while the log holds unapplied events before it is replaced (15 s). */
  readonly stallMs?: number;
}

/** Creates the runtime tables and, for a projection seen for the first time, its version 1. */
export async function ensureProjection(db: AnyDb, projection: Projection, schema = 'public'): Promise<number> {
  await migrate(db, 'projection_runtime', runtimeMigrations, schema);
  const existing = await activeVersion(db, projection.name);
  if (existing !== undefined) {
    await projection.createVersion(db, existing);
    return existing;
  }
  await projection.createVersion(db, 1);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('projection_checkpoints')
      .values({ name: projection.name, version: 1, last_seq: 0 })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await projection.activateVersion(trx, 1);
    await trx
      .insertInto('projection_state')
      .values({ name: projection.name, active_version: 1 })
      .onConflict((oc) => oc.doNothing())
      .execute();
  });
  return (await activeVersion(db, projection.name))!;
}

function validEvents(batch: readonly StoredMessage[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const m of batch) if (m.decoded.ok) out.push({ seq: m.seq, event: m.decoded.event });
  return out;
}

/** Applies one batch and moves the checkpoint in one transaction. Returns the new checkpoint. */
export async function applyBatch(
  db: AnyDb,
  projection: Projection,
  version: number,
  checkpoint: number,
  batch: readonly StoredMessage[],
): Promise<number> {
  const last = batch[batch.length - 1]!.seq;
  const events = validEvents(batch);
  await db.transaction().execute(async (trx) => {
    await advanceCheckpoint(trx, projection.name, version, checkpoint, last);
    if (events.length > 0) await projection.apply(trx, version, events);
  });
  return last;
}

/**
 * Keeps one projection up to date: reads the log from its checkpoint + 1 with an ordered consumer, applies batches
 * with the checkpoint in the same transaction (so a crash anywhere replays without double counting), follows
 * version switches made by a rebuild, and restarts after errors.
 */
export class ProjectionRunner {
  private running = false;
  private loop?: Promise<void>;
  private abort?: AbortController;
  private checkpoint = 0;
  private version = 0;
  /** Readers dropped by the stall watchdog (for tests and diagnostics). */
  stalls = 0;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private readonly logger: Logger;

  constructor(
    private readonly projection: Projection,
    private readonly deps: RunnerDeps,
  ) {
    this.logger = deps.logger ?? silentLogger;
  }

  get position(): { version: number; checkpoint: number } {
    return { version: this.version, checkpoint: this.checkpoint };
  }

  async start(): Promise<void> {
    if (this.running) return;
    await ensureProjection(this.deps.db, this.projection, this.deps.schema);
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    await this.loop;
  }

  /** Resolves once the projection has applied the log up to `seq`. */
  waitFor(seq: number, timeoutMs = 30_000): Promise<void> {
    if (this.checkpoint >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.projection.name} did not reach seq ${seq} in ${timeoutMs} ms (at ${this.checkpoint})`)), timeoutMs);
      this.waiters.push({ seq, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => w.seq <= this.checkpoint);
    this.waiters = this.waiters.filter((w) => w.seq > this.checkpoint);
    for (const w of ready) w.resolve();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        await this.follow();
        failures = 0;
      } catch (err) {
        if (!this.running) break;
        failures += 1;
        const delay = err instanceof CheckpointConflictError ? 0 : Math.min(5_000, 100 * 2 ** failures);
        this.logger.warn('projection runner restarting', { projection: this.projection.name, err: String(err), delay_ms: delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async follow(): Promise<void> {
    const { db, log } = this.deps;
    this.version = (await activeVersion(db, this.projection.name)) ?? (await ensureProjection(db, this.projection, this.deps.schema));
    const cp = await readCheckpoint(db, this.projection.name, this.version);
    if (cp === undefined) throw new CheckpointConflictError(this.projection.name, this.version, -1);
    this.checkpoint = cp;
    this.notify();
    const abort = new AbortController();
    this.abort = abort;
    let lastVersionCheck = Date.now();
    // Watchdog: when nothing arrives for a while although the log holds events past the checkpoint, the reader has
    // stalled (seen once under CI load after a SIGKILL restart: 30 events never delivered for 150 s, no error):
    // drop it and let run() start a new one from the checkpoint. Idle projections (nothing new) are left alone.
    let lastBatchAt = Date.now();
    let applying = false;
    const stallMs = this.deps.stallMs ?? 15_000;
    const watchdog = setInterval(() => {
      if (applying || Date.now() - lastBatchAt < stallMs) return;
      void log
        .lastSeq()
        .then((seq) => {
          if (seq > this.checkpoint && Date.now() - lastBatchAt >= stallMs && !abort.signal.aborted) {
            this.logger.warn('projection reader stalled; restarting it from the checkpoint', { projection: this.projection.name, checkpoint: this.checkpoint, last_seq: seq, idle_ms: Date.now() - lastBatchAt });
            this.stalls += 1;
            abort.abort();
          }
        })
        .catch(() => undefined);
    }, Math.max(250, Math.floor(stallMs / 3)));
    watchdog.unref?.();
    // The reader is raced against the abort signal rather than trusted to end on it: a stalled consumer may never
    // settle its pending next(), and waiting for it would stall the runner with it.
    const reader = log.read({ fromSeq: cp + 1, follow: true, batchSize: this.deps.batchSize ?? 500, signal: abort.signal })[Symbol.asyncIterator]();
    const aborted = new Promise<'aborted'>((resolve) => {
      if (abort.signal.aborted) resolve('aborted');
      else abort.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    try {
      for (;;) {
        const pending = reader.next();
        pending.catch(() => undefined); // one abandoned on abort may still reject later: not an unhandled rejection
        const next = await Promise.race([pending, aborted]);
        if (next === 'aborted' || next.done) break;
        const batch = next.value;
        lastBatchAt = Date.now();
        if (!this.running) return;
        applying = true;
        try {
          await this.deadLetter(batch);
          const spans = this.deps.traceEvents ? this.startSpans(batch) : [];
          try {
            this.checkpoint = await applyBatch(db, this.projection, this.version, this.checkpoint, batch);
          } finally {
            for (const s of spans) s.end();
          }
        } finally {
          applying = false;
        }
        this.notify();
        lastBatchAt = Date.now();
        if (Date.now() - lastVersionCheck > 1_000) {
          lastVersionCheck = Date.now();
          if ((await activeVersion(db, this.projection.name)) !== this.version) return; // a rebuild switched over
        }
      }
    } finally {
      clearInterval(watchdog);
      // Not awaited: a reader stuck in next() settles its return() only after that next() (never, if it stalled).
      void reader.return?.(undefined).catch(() => undefined);
    }
  }

  private startSpans(batch: readonly StoredMessage[]) {
    return batch
      .filter((m) => m.decoded.ok && m.headers?.has('traceparent'))
      .map((m) => {
        const code = m.decoded.ok ? m.decoded.event.reason_code : 'invalid';
        return tracer().startSpan(
          `project ${code}`,
          { kind: SpanKind.CONSUMER, attributes: { 'distillery.projection': this.projection.name, 'messaging.nats.stream_seq': m.seq } },
          extractTraceContext(m.headers),
        );
      });
  }

  private async deadLetter(batch: readonly StoredMessage[]): Promise<void> {
    for (const m of batch) {
      if (m.decoded.ok) continue;
      this.logger.warn('skipping invalid message', { projection: this.projection.name, seq: m.seq, subject: m.subject, errors: m.decoded.errors });
      if (!this.deps.publisher) continue;
      await context.with(trace.deleteSpan(context.active()), () =>
        publishSchemaInvalid(
          this.deps.publisher!,
          {
            stream: this.deps.log.streamName,
            subject: m.subject,
            seq: m.seq,
            consumer: `projector:${this.projection.name}`,
            subjectPrefix: this.deps.log.subjectPrefix,
          },
          m.decoded as Extract<typeof m.decoded, { ok: false }>,
        ),
      );
    }
  }
}

export interface RebuildResult {
  readonly projection: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly events: number;
  readonly lastSeq: number;
  readonly durationMs: number;
}

/**
 * Replays the whole log into a new version of a projection, then switches the views over in one transaction and
 * drops the old version. A runner that is live meanwhile keeps serving the old version, notices the switch and
 * continues on the new one from its checkpoint.
 */
export async function rebuildProjection(
  projection: Projection,
  deps: RunnerDeps & {
    onProgress?: (p: { seq: number; endSeq: number; events: number }) => void;
    /** With an accumulating projection: events folded in memory between two writes (default 250,000). */
    rebuildChunkEvents?: number;
  },
): Promise<RebuildResult> {
  const started = Date.now();
  const { db, log } = deps;
  const fromVersion = await ensureProjection(db, projection, deps.schema);
  const maxRow = await db
    .selectFrom('projection_checkpoints')
    .select(sql<number>`max(version)`.as('v'))
    .where('name', '=', projection.name)
    .executeTakeFirst();
  const toVersion = Math.max(fromVersion, Number(maxRow?.v ?? 0)) + 1;
  await projection.dropVersion(db, toVersion);
  await projection.createVersion(db, toVersion);
  await db
    .insertInto('projection_checkpoints')
    .values({ name: projection.name, version: toVersion, last_seq: 0 })
    .onConflict((oc) => oc.columns(['name', 'version']).doUpdateSet({ last_seq: 0 }))
    .execute();
  const endSeq = await log.lastSeq();
  let checkpoint = 0;
  let events = 0;
  const acc = projection.accumulator?.();
  const chunk = deps.rebuildChunkEvents ?? 250_000;
  let pending: StoredMessage[] = [];
  let pendingEvents = 0;
  let lastRead = 0;
  const flush = async () => {
    if (acc) {
      const next = lastRead;
      await db.transaction().execute(async (trx) => {
        await advanceCheckpoint(trx, projection.name, toVersion, checkpoint, next);
        await acc.flush(trx, toVersion);
      });
      checkpoint = next;
    } else if (pending.length > 0) {
      checkpoint = await applyBatch(db, projection, toVersion, checkpoint, pending);
    }
    pending = [];
    pendingEvents = 0;
    deps.onProgress?.({ seq: checkpoint, endSeq, events });
  };
  for await (const batch of log.read({ fromSeq: 1, follow: false, batchSize: deps.batchSize ?? 5_000 })) {
    events += batch.length;
    lastRead = batch[batch.length - 1]!.seq;
    if (acc) acc.add(validEvents(batch));
    else pending = batch;
    pendingEvents += batch.length;
    if (!acc || pendingEvents >= chunk) await flush();
  }
  if (lastRead > checkpoint) await flush();
  await db.transaction().execute(async (trx) => {
    await projection.activateVersion(trx, toVersion);
    await trx
      .updateTable('projection_state')
      .set({ active_version: toVersion, updated_at: sql`now()` })
      .where('name', '=', projection.name)
      .execute();
    await trx.deleteFrom('projection_checkpoints').where('name', '=', projection.name).where('version', '<', toVersion).execute();
  });
  for (let v = fromVersion; v < toVersion; v += 1) await projection.dropVersion(db, v);
  return { projection: projection.name, fromVersion, toVersion, events, lastSeq: checkpoint, durationMs: Date.now() - started };
}
