import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { decodeRunEvent, type Decoded } from './decode.js';

export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
  readonly decoded: Decoded;
  /** Messages left in the stream (matching the filter) after this one, as the server saw it. */
  readonly pending: number;
}

export interface ReadOptions {
  /** First stream sequence to read (1 = the beginning of the log). */
  readonly fromSeq: number;
  readonly filterSubject?: string;
  /** Keep reading as new events arrive (`true`) or stop once the end of the log is reached (`false`). */
  readonly follow: boolean;
  /** Upper bound of one batch. Batches close early as soon as nothing more is pending. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * Pull credit of the reader, independent of the batch size, so a large batch cannot trip the server's 64 MiB
 * slow-consumer limit (which disconnects the client): 1,000 events of typical size (~0.7 KB) is under 1 MiB.
 * (A byte bound — `max_bytes` — would be safer for large events, but with nats-server 2.9 an ordered consumer
 * given `max_bytes` broke later publishes on the same connection in the behaviour suite; not used.)
 */
const PULL_MESSAGES = 1_000;

/**
 * Replays the stream from a sequence with an ordered (ephemeral, flow-controlled) consumer and yields batches.
 * A batch closes when it is full, or when nothing is left — neither on the server (`info.pending`) nor already
 * received and buffered in the client (`getPending()`). Under load a batch takes everything that arrived while the
 * previous one was being applied; when idle each event is yielded at once (low lag).
 */
export async function* readBatches(js: JetStreamClient, stream: string, opts: ReadOptions): AsyncGenerator<StoredMessage[]> {
  const jsm = await js.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const endSeq = info.state.last_seq;
  if (!opts.follow && (endSeq < opts.fromSeq || info.state.messages === 0)) return;
  if (!opts.follow && opts.filterSubject) {
    // A filtered read of a finished range that holds no matching event would otherwise wait forever for one.
    // STREAM.MSG.GET with next_by_subj (nats-server ≥ 2.9); the client types only declare seq / last_by_subj.
    const request = { seq: Math.max(1, opts.fromSeq), next_by_subj: opts.filterSubject } as unknown as { seq: number };
    const first = await jsm.streams.getMessage(stream, request).catch((err: unknown) => {
      if (/no message found|not found/i.test(String(err))) return null;
      throw err;
    });
    if (!first || first.seq > endSeq) return;
  }
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, opts.fromSeq),
    ...(opts.filterSubject ? { filter_subjects: opts.filterSubject } : {}),
  });
  const batchSize = opts.batchSize ?? 1000;
  const messages = await consumer.consume({ max_messages: PULL_MESSAGES });
  const onAbort = () => void messages.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let batch: StoredMessage[] = [];
  try {
    if (opts.signal?.aborted) return;
    for await (const m of messages as AsyncIterable<JsMsg>) {
      batch.push({ seq: m.seq, subject: m.subject, headers: m.headers, decoded: decodeRunEvent(m.data), pending: m.info.pending });
      const atEnd = !opts.follow && m.seq >= endSeq;
      const drained = m.info.pending === 0 && messages.getPending() === 0;
      if (batch.length >= batchSize || drained || atEnd) {
        const out = batch;
        batch = [];
        yield out;
      }
      if (atEnd || (!opts.follow && m.info.pending === 0)) break;
    }
    if (batch.length > 0) yield batch;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await messages.close();
  }
}
