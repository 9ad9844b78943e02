import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { context, SpanStatusCode, trace, type ObservableResult, type Span } from '@opentelemetry/api';
import type { ReasonCode, RunEvent, RunEventDraft } from '@distillery/contracts';
import { distilleryMetrics, type DistilleryInstruments } from '@distillery/telemetry';
import { decodeRunEvent } from './decode.js';
import { publishSchemaInvalid } from './dead-letter.js';
import { PermanentError, TopologyMissingError } from './errors.js';
import type { EventPublisher, PublishContext, PublishResult } from './publisher.js';
import { SpanKind, extractTraceContext, tracer } from './trace-context.js';
import type { DurableConsumerSpec, Topology } from './topology.js';

/** The metrics label of consumed messages that did not decode as RunEvents. */
const UNDECODABLE = 'invalid';

export interface HandlerContext {
  readonly stream: string;
  readonly subject: string;
  readonly seq: number;
  readonly deliveryCount: number;
  readonly span: Span;
  /** Publishes an event caused by the one being handled (causation, correlation and a deterministic msg id). */
  publish<C extends ReasonCode>(draft: RunEventDraft<C>, opts?: Omit<PublishContext, 'causedBy'>): Promise<PublishResult>;
}

export type EventHandler = (event: RunEvent, ctx: HandlerContext) => Promise<void>;

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Nak delay for the n-th failed delivery: exponential from `baseMs`, capped. */
export function backoffDelay(deliveryCount: number, baseMs = 500, capMs = 30_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, deliveryCount - 1));
}

export type Settlement = 'ack' | 'nak' | 'term';

interface Registration {
  readonly spec: DurableConsumerSpec;
  readonly handler: EventHandler;
  consumer?: Consumer;
  messages?: ConsumerMessages;
  loop?: Promise<void>;
}

/**
 * The one consumer registry of a service. Every handler runs inside a CONSUMER span continued from the message's
 * trace headers, and every message is settled exactly once:
 *  - ack on success;
 *  - nak with exponential backoff on a transient error;
 *  - term + `event_handler_failed` on a PermanentError or on the last allowed delivery;
 *  - term + `event_schema_invalid` (dead letter) when the message is not a valid RunEvent.
 * A dead letter that cannot be published is not lost: the message is nak'ed and comes back.
 */
export class ConsumerHost {
  private readonly registrations: Registration[] = [];
  private running = false;
  readonly stats = { ack: 0, nak: 0, term: 0 };
  /** The lag gauge this host observes into while started (removed again on stop). */
  private lag?: { gauge: DistilleryInstruments['consumerLag']; observe: (result: ObservableResult) => Promise<void> };

  constructor(
    private readonly js: JetStreamClient,
    private readonly topology: Topology,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger = silentLogger,
    private readonly backoff: (deliveryCount: number) => number = backoffDelay,
  ) {}

  register(service: string, reasonCode: ReasonCode, handler: EventHandler): this {
    const spec = this.topology.consumers.find((c) => c.service === service && c.reasonCode === reasonCode);
    if (!spec) throw new Error(`no durable consumer for ${service} / ${reasonCode} in the topology (libs/eventlog/src/topology.ts)`);
    this.registrations.push({ spec, handler });
    return this;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const reg of this.registrations) {
      let consumer;
      try {
        consumer = await this.js.consumers.get(this.topology.stream.name, reg.spec.durable);
        await consumer.info();
      } catch {
        this.running = false;
        throw new TopologyMissingError(`durable consumer '${reg.spec.durable}' on stream '${this.topology.stream.name}'`);
      }
      reg.consumer = consumer;
      reg.messages = await consumer.consume({ max_messages: Math.min(64, reg.spec.maxAckPending) });
      reg.loop = this.drain(reg);
    }
    this.observeLag();
  }

  /**
   * `distillery.consumer.lag`: JetStream's num_pending of each durable consumer, sampled when metrics are collected
   * (a Prometheus scrape, an OTLP export). A consumer whose info does not come back within 2 s is skipped.
   */
  private observeLag(): void {
    const gauge = distilleryMetrics().consumerLag;
    const stream = this.topology.stream.name;
    const observe = async (result: ObservableResult) => {
      await Promise.all(
        this.registrations.map(async (reg) => {
          if (!reg.consumer) return;
          const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2_000).unref());
          const info = await Promise.race([reg.consumer.info().catch(() => undefined), timeout]);
          if (info) result.observe(info.num_pending, { stream, consumer: reg.spec.durable });
        }),
      );
    };
    gauge.addCallback(observe);
    this.lag = { gauge, observe };
  }

  private async drain(reg: Registration): Promise<void> {
    for await (const m of reg.messages!) {
      await this.handle(reg, m).catch((err) => {
        this.logger.error('settlement failed', { consumer: reg.spec.durable, err: String(err) });
      });
    }
  }

  /** Handles one message and settles it. Exposed for tests of the settlement rules. */
  async handle(reg: Pick<Registration, 'spec' | 'handler'>, m: JsMsg): Promise<Settlement> {
    const stream = this.topology.stream.name;
    const source = {
      stream,
      subject: m.subject,
      seq: m.seq,
      consumer: reg.spec.durable,
      subjectPrefix: this.topology.stream.subjectPrefix,
    };
    const decoded = decodeRunEvent(m.data);
    if (!decoded.ok) {
      this.logger.warn('dead-lettering invalid message', { ...source, errors: decoded.errors });
      try {
        await publishSchemaInvalid(this.publisher, source, decoded);
      } catch (err) {
        this.logger.error('dead letter publish failed; will retry', { ...source, err: String(err) });
        return this.settle(m, 'nak', this.backoff(m.info.deliveryCount));
      }
      // Not a RunEvent: no reason code of its own; counted under a label that is not a registered code.
      distilleryMetrics().eventsConsumed.add(1, { reason_code: UNDECODABLE, stage: 'unknown', consumer: reg.spec.durable, outcome: 'term' });
      return this.settle(m, 'term', 0, 'event_schema_invalid');
    }
    const event = decoded.event;
    const consumed = (outcome: Settlement) =>
      distilleryMetrics().eventsConsumed.add(1, { reason_code: event.reason_code, stage: event.stage, consumer: reg.spec.durable, outcome });
    const parent = extractTraceContext(m.headers);
    return tracer().startActiveSpan(
      `handle ${event.reason_code}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.consumer.group.name': reg.spec.durable,
          'distillery.event_id': event.id,
          'distillery.run_id': event.run_id,
        },
      },
      parent,
      async (span) => {
        const ctx: HandlerContext = {
          stream,
          subject: m.subject,
          seq: m.seq,
          deliveryCount: m.info.deliveryCount,
          span,
          // The parent is the span active where publish is called when it belongs to this handler's trace (a stage
          // span the handler opened, e.g. `stage.train`), else the CONSUMER span (a callback that lost its context).
          publish: (draft, opts) => {
            const active = trace.getActiveSpan()?.spanContext();
            const parentCtx = active && active.traceId === span.spanContext().traceId ? context.active() : trace.setSpan(context.active(), span);
            return context.with(parentCtx, () => this.publisher.publish(draft, { ...opts, causedBy: event }));
          },
        };
        // A long handler (an import, a cleaning job) tells the server it is still working, well inside ack_wait, so
        // the message is not redelivered to a second worker while the first is busy with it.
        const heartbeat = setInterval(() => m.working(), Math.max(1_000, Math.floor(reg.spec.ackWaitMs / 3)));
        try {
          await reg.handler(event, ctx);
          consumed('ack');
          return this.settle(m, 'ack');
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          const permanent = err instanceof PermanentError;
          const last = m.info.deliveryCount >= reg.spec.maxDeliver;
          if (!permanent && !last) {
            const delay = this.backoff(m.info.deliveryCount);
            this.logger.warn('handler failed; nak with backoff', { ...source, delay_ms: delay, err: String(err) });
            consumed('nak');
            return this.settle(m, 'nak', delay);
          }
          try {
            await ctx.publish(
              {
                reason_code: 'event_handler_failed',
                project_id: event.project_id,
                run_id: event.run_id,
                parent_run_id: event.parent_run_id,
                summary: `${reg.spec.durable} gave up on ${event.reason_code} after ${m.info.deliveryCount} deliveries: ${(err as Error).message}`.slice(0, 500),
                payload: {
                  stream,
                  subject: m.subject,
                  stream_seq: m.seq,
                  consumer: reg.spec.durable,
                  event_id: event.id,
                  deliveries: m.info.deliveryCount,
                  permanent,
                  failure: { error_class: (err as Error).name ?? 'Error', message: String((err as Error).message ?? err) },
                },
              },
              { dedupKey: `handler-failed:${reg.spec.durable}` },
            );
          } catch (pubErr) {
            this.logger.error('failure event publish failed; will retry', { ...source, err: String(pubErr) });
            consumed('nak');
            return this.settle(m, 'nak', this.backoff(m.info.deliveryCount));
          }
          consumed('term');
          return this.settle(m, 'term', 0, permanent ? 'permanent' : 'max_deliver');
        } finally {
          clearInterval(heartbeat);
          span.end();
        }
      },
    );
  }

  private settle(m: JsMsg, how: Settlement, delayMs = 0, reason?: string): Settlement {
    if (how === 'ack') m.ack();
    else if (how === 'nak') m.nak(delayMs);
    // nats-server 2.9 does not understand `+TERM <reason>` (2.10+) and silently ignores it, leaving the message
    // pending forever; so the reason is logged instead of sent.
    else {
      m.term();
      if (reason) this.logger.info('terminated message', { subject: m.subject, seq: m.seq, reason });
    }
    this.stats[how] += 1;
    return how;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.lag) this.lag.gauge.removeCallback(this.lag.observe);
    this.lag = undefined;
    await Promise.all(
      this.registrations.map(async (r) => {
        await r.messages?.close();
        await r.loop;
      }),
    );
  }
}
