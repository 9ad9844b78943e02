import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { streamSubjects, type Topology } from './topology.js';

export interface ApplyReport {
  readonly stream: { name: string; action: 'created' | 'updated' | 'unchanged' };
  readonly consumers: ReadonlyArray<{ durable: string; action: 'created' | 'updated' }>;
}

const ms = (n: number) => n * 1_000_000;

/**
 * Creates or updates the stream and every durable consumer. Limits retention with no age, count or size limit:
 * the log is the system of record and is never trimmed by accident.
 */
export async function applyTopology(jsm: JetStreamManager, t: Topology): Promise<ApplyReport> {
  const streamConfig = {
    name: t.stream.name,
    subjects: streamSubjects(t),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
    max_msg_size: t.stream.maxMsgBytes,
    duplicate_window: ms(t.stream.duplicateWindowMs),
    num_replicas: t.stream.replicas,
    deny_delete: true,
    deny_purge: false,
  };
  let streamAction: ApplyReport['stream']['action'];
  try {
    const existing = await jsm.streams.info(t.stream.name);
    const c = existing.config;
    const same =
      c.duplicate_window === streamConfig.duplicate_window &&
      c.max_msg_size === streamConfig.max_msg_size &&
      JSON.stringify(c.subjects) === JSON.stringify(streamConfig.subjects);
    if (same) streamAction = 'unchanged';
    else {
      await jsm.streams.update(t.stream.name, {
        subjects: streamConfig.subjects,
        duplicate_window: streamConfig.duplicate_window,
        max_msg_size: streamConfig.max_msg_size,
      });
      streamAction = 'updated';
    }
  } catch (err) {
    if (!String(err).includes('stream not found')) throw err;
    await jsm.streams.add(streamConfig);
    streamAction = 'created';
  }
  const consumers: Array<{ durable: string; action: 'created' | 'updated' }> = [];
  for (const c of t.consumers) {
    const config = {
      durable_name: c.durable,
      filter_subject: c.filterSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ms(c.ackWaitMs),
      max_deliver: c.maxDeliver,
      max_ack_pending: c.maxAckPending,
    };
    let action: 'created' | 'updated' = 'created';
    try {
      await jsm.consumers.info(t.stream.name, c.durable);
      await jsm.consumers.update(t.stream.name, c.durable, {
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
        max_ack_pending: config.max_ack_pending,
        filter_subject: config.filter_subject,
      });
      action = 'updated';
    } catch (err) {
      if (!String(err).includes('consumer not found')) throw err;
      await jsm.consumers.add(t.stream.name, config);
    }
    consumers.push({ durable: c.durable, action });
  }
  return { stream: { name: t.stream.name, action: streamAction }, consumers };
}
