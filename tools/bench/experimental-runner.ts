// EXPERIMENT, benchmarks only (not product code): a minimal projection follower that differs from
// libs/projection-runtime ProjectionRunner + libs/eventlog readBatches in ONE rule, to test a suggested fix:
//
//   readBatches closes a batch when the *server* reports nothing pending (m.info.pending === 0). Under a steady
//   stream the server has usually delivered everything already, so that is true for almost every message and batches
//   are 1 event long, while the messages the client has already received wait in the consumer's local buffer.
//   Here a batch closes only when the local buffer is empty too (messages.getPending() counts what the iterator
//   has received and not yet handed out), so each batch takes everything that arrived during the previous
//   transaction.
//
// Everything else is the library's: ordered consumer from checkpoint + 1, consume({ max_messages }), decodeRunEvent,
// applyBatch (checkpoint CAS + projection.apply in one transaction), ensureProjection / readCheckpoint.
import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { decodeRunEvent, type EventLog, type StoredMessage } from '@distillery/eventlog';
import { applyBatch, ensureProjection, readCheckpoint, type AnyDb, type Projection } from '@distillery/projection-runtime';

export class BufferedBatchFollower {
  private checkpoint = 0;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private loop?: Promise<void>;
  private close?: () => Promise<void>;
  private stopped = false;

  constructor(
    private readonly projection: Projection,
    private readonly deps: { log: EventLog; db: AnyDb; schema: string; batchSize: number },
  ) {}

  get position(): { checkpoint: number } {
    return { checkpoint: this.checkpoint };
  }

  waitFor(seq: number, timeoutMs = 30_000): Promise<void> {
    if (this.checkpoint >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not reach seq ${seq} in ${timeoutMs} ms (at ${this.checkpoint})`)), timeoutMs);
      this.waiters.push({ seq, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async start(): Promise<void> {
    const { db, log, schema, batchSize } = this.deps;
    const version = await ensureProjection(db, this.projection, schema);
    this.checkpoint = (await readCheckpoint(db, this.projection.name, version)) ?? 0;
    const consumer = await log.js.consumers.get(log.streamName, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.checkpoint + 1 });
    const messages = await consumer.consume({ max_messages: Math.max(batchSize, 256) });
    this.close = () => messages.close().then(() => undefined);
    this.loop = (async () => {
      let batch: StoredMessage[] = [];
      for await (const m of messages as AsyncIterable<JsMsg>) {
        if (this.stopped) break;
        batch.push({ seq: m.seq, subject: m.subject, headers: m.headers, decoded: decodeRunEvent(m.data), pending: m.info.pending });
        // The one difference from readBatches: also require the local buffer to be empty.
        if (batch.length >= batchSize || (m.info.pending === 0 && messages.getPending() <= 0)) {
          const out = batch;
          batch = [];
          this.checkpoint = await applyBatch(db, this.projection, version, this.checkpoint, out);
          const ready = this.waiters.filter((w) => w.seq <= this.checkpoint);
          this.waiters = this.waiters.filter((w) => w.seq > this.checkpoint);
          for (const w of ready) w.resolve();
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.close?.();
    await this.loop;
  }
}
