import { REASON_CODES, type ReasonCode, DEFAULT_SUBJECT_PREFIX, allFilter, codeFilter } from '@distillery/contracts';

/**
 * Stream topology as code. Applied by `distillery topology apply` (or the Helm pre-install hook),
 * never implicitly by handlers: a handler whose consumer is missing fails fast with a message naming the command.
 */
export interface StreamSpec {
  readonly name: string;
  readonly subjectPrefix: string;
  /** JetStream de-duplicates on Nats-Msg-Id inside this window (ADR 0004: 10 minutes). */
  readonly duplicateWindowMs: number;
  readonly replicas: number;
  readonly maxMsgBytes: number;
}

export interface DurableConsumerSpec {
  /** Durable name: `<service>--<reason_code>`. */
  readonly durable: string;
  readonly service: string;
  readonly reasonCode: ReasonCode;
  readonly filterSubject: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxAckPending: number;
}

export interface Topology {
  readonly stream: StreamSpec;
  readonly consumers: readonly DurableConsumerSpec[];
}

/** Every durable (work) consumer of every service. Projections do not appear here: they track their own position. */
export interface ServiceConsumer {
  readonly service: string;
  readonly reasonCode: ReasonCode;
  readonly maxDeliver?: number;
  /**
   * Messages a worker may hold unacknowledged (default 256). Long jobs (imports, cleaning, prepare) take 1: a message
   * waiting in a worker's buffer behind a long job would run out its ack wait and be redelivered elsewhere.
   */
  readonly maxAckPending?: number;
}

export const SERVICE_CONSUMERS: readonly ServiceConsumer[] = [
  { service: 'demo-worker', reasonCode: 'demo_run_requested' },
  { service: 'mapping', reasonCode: 'dataset_import_requested', maxAckPending: 1 },
  { service: 'preparation', reasonCode: 'cleaning_requested', maxAckPending: 1 },
  { service: 'preparation', reasonCode: 'dataset_prep_requested', maxAckPending: 1 },
  { service: 'training', reasonCode: 'training_requested', maxAckPending: 1 },
  // A plan is redelivered after a trainer dies (resume from its last checkpoint): allow several attempts.
  { service: 'trainer', reasonCode: 'training_dispatched', maxAckPending: 1, maxDeliver: 10 },
  { service: 'evaluation', reasonCode: 'eval_requested', maxAckPending: 1 },
  { service: 'export', reasonCode: 'export_requested', maxAckPending: 1 },
  { service: 'deployment', reasonCode: 'deployment_requested', maxAckPending: 1 },
  { service: 'deployment', reasonCode: 'deployment_promote_requested', maxAckPending: 1 },
  { service: 'deployment', reasonCode: 'deployment_rollback_requested', maxAckPending: 1 },
  { service: 'deployment', reasonCode: 'deployment_reject_requested', maxAckPending: 1 },
  { service: 'deployment', reasonCode: 'deployment_drift_check_requested', maxAckPending: 1 },
];

export const DEFAULT_STREAM_NAME = 'RUNEVENTS';
export const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60_000;

export const durableName = (service: string, code: ReasonCode): string => `${service}--${code}`;

export interface TopologyOptions {
  readonly streamName?: string;
  readonly subjectPrefix?: string;
  readonly replicas?: number;
  /** Service consumers; defaults to SERVICE_CONSUMERS. Tests pass their own. */
  readonly consumers?: readonly ServiceConsumer[];
}

export function buildTopology(opts: TopologyOptions = {}): Topology {
  const prefix = opts.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  return {
    stream: {
      name: opts.streamName ?? DEFAULT_STREAM_NAME,
      subjectPrefix: prefix,
      duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
      replicas: opts.replicas ?? 1,
      maxMsgBytes: 1024 * 1024,
    },
    consumers: (opts.consumers ?? SERVICE_CONSUMERS).map(({ service, reasonCode, maxDeliver, maxAckPending }) => ({
      durable: durableName(service, reasonCode),
      service,
      reasonCode,
      filterSubject: codeFilter(prefix, REASON_CODES[reasonCode].stage, reasonCode),
      ackWaitMs: 30_000,
      maxDeliver: maxDeliver ?? 5,
      maxAckPending: maxAckPending ?? 256,
    })),
  };
}

export const streamSubjects = (t: Topology): string[] => [allFilter(t.stream.subjectPrefix)];
