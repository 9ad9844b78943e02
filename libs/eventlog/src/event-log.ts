import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsAuthenticator, natsAuthFromEnv, NatsAuthConfigError, type NatsAuth } from './nats-auth.js';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ConsumerHost, type Logger, silentLogger } from './consumer-host.js';
import { EventLogUnavailableError, TopologyMissingError } from './errors.js';
import { EventPublisher, type Producer } from './publisher.js';
import { readBatches, type ReadOptions, type StoredMessage } from './reader.js';
import { decodeRunEvent } from './decode.js';
import type { RunEvent } from '@distillery/contracts';
import { buildTopology, type Topology } from './topology.js';
import { applyTopology, type ApplyReport } from './apply-topology.js';

export interface EventLogOptions {
  readonly url: string;
  /** Connection name shown by the NATS server (`distillery-<app>`). */
  readonly name: string;
  readonly topology?: Topology;
  /** Credentials; default: from the environment (`natsAuthFromEnv`), none when it names none. */
  readonly auth?: NatsAuth;
}

/** The only code in Distillery that talks to JetStream. */
export class EventLog {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly topology: Topology,
    readonly url: string,
  ) {}

  static async connect(opts: EventLogOptions): Promise<EventLog> {
    let nc: NatsConnection;
    try {
      // noAsyncTraces: the client otherwise builds Error objects per request to keep async stack traces — 34–47 % of
      // publish CPU in tools/bench/eventlog-publish (see its README); the cost is shorter traces on request timeouts.
      const auth = opts.auth ?? natsAuthFromEnv();
      nc = await connect({ servers: opts.url, name: opts.name, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true, ...(auth ? { authenticator: natsAuthenticator(auth) } : {}) });
    } catch (err) {
      if (err instanceof NatsAuthConfigError) throw err;
      throw new EventLogUnavailableError(opts.url, err);
    }
    const jsm = await jetstreamManager(nc);
    return new EventLog(nc, jetstream(nc), jsm, opts.topology ?? buildTopology(), opts.url);
  }

  get streamName(): string {
    return this.topology.stream.name;
  }

  get subjectPrefix(): string {
    return this.topology.stream.subjectPrefix;
  }

  publisher(producer: Producer, now?: () => Date): EventPublisher {
    return new EventPublisher(this.js, this.subjectPrefix, producer, now);
  }

  consumerHost(publisher: EventPublisher, logger: Logger = silentLogger, backoff?: (n: number) => number): ConsumerHost {
    return new ConsumerHost(this.js, this.topology, publisher, logger, backoff);
  }

  read(opts: ReadOptions): AsyncGenerator<StoredMessage[]> {
    return readBatches(this.js, this.streamName, opts);
  }

  /**
   * The last event on an exact subject (e.g. a run's latest `training_checkpoint_saved`), or undefined: one direct
   * get by subject, whatever the length of the log. An undecodable message there is an error.
   */
  async lastEventOn(subject: string): Promise<{ seq: number; event: RunEvent } | undefined> {
    let m;
    try {
      m = await this.jsm.streams.getMessage(this.streamName, { last_by_subj: subject });
    } catch (err) {
      if (/no message found|not found/i.test(String(err))) return undefined;
      throw err;
    }
    if (!m) return undefined;
    const d = decodeRunEvent(m.data);
    if (!d.ok) throw new Error(`the last message on ${subject} (seq ${m.seq}) is not a valid RunEvent: ${d.errors.join('; ')}`);
    return { seq: m.seq, event: d.event };
  }

  applyTopology(): Promise<ApplyReport> {
    return applyTopology(this.jsm, this.topology);
  }

  /** Last sequence in the stream (0 when empty). Fails with a clear error when the stream is missing. */
  async lastSeq(): Promise<number> {
    try {
      return (await this.jsm.streams.info(this.streamName)).state.last_seq;
    } catch (err) {
      if (String(err).includes('stream not found')) throw new TopologyMissingError(`stream '${this.streamName}'`);
      throw err;
    }
  }

  /** Readiness: the connection answers and the stream exists. */
  async check(): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.nc.flush();
      const seq = await this.lastSeq();
      return { ok: true, detail: `stream ${this.streamName} at seq ${seq}` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  serverVersion(): string {
    return this.nc.info?.version ?? 'unknown';
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}
