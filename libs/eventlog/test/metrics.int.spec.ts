/**
 * The event log's metrics against a real NATS server: events published (per reason code, not counting duplicates),
 * events consumed (per consumer and settlement) and consumer lag (JetStream num_pending, sampled at collection).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { natsService, uniqueName, waitFor, type ServiceHandle } from '@distillery/testing';
import { InMemoryMetricReader, METRIC_NAMES, createLogger, metricPoints, metricTotal, startTelemetry, withStageSpan, type Telemetry } from '@distillery/telemetry';
import { EventLog, PermanentError, buildTopology, type ConsumerHost, type EventPublisher, type Logger } from '../src/index.js';

describe('eventlog metrics', () => {
  let nats: ServiceHandle;
  let log: EventLog;
  let publisher: EventPublisher;
  let telemetry: Telemetry;
  let host: ConsumerHost | undefined;
  const reader = new InMemoryMetricReader();
  const topology = buildTopology({
    streamName: uniqueName('M').toUpperCase(),
    subjectPrefix: uniqueName('m'),
    consumers: [{ service: 'testsvc', reasonCode: 'demo_run_requested', maxDeliver: 2, maxAckPending: 1 }],
  });
  const durable = topology.consumers[0]!.durable;
  const draft = (runId: string) => ({ reason_code: 'demo_run_requested' as const, project_id: 'metrics', run_id: runId, summary: 'go', payload: { steps: 1, children: 0, fail_child: false } });

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'eventlog-metrics-test', serviceVersion: '0.0.1', metricReader: reader });
    nats = await natsService();
    log = await EventLog.connect({ url: nats.url, name: 'eventlog-metrics-test', topology });
    await log.applyTopology();
    publisher = log.publisher({ app: 'testsvc', version: '0.0.1' });
  });

  afterAll(async () => {
    await host?.stop();
    await log.jsm.streams.delete(topology.stream.name).catch(() => undefined);
    await log.close();
    await nats.stop();
    await telemetry.shutdown();
  });

  it('createLogger satisfies the eventlog Logger interface', () => {
    const lines: string[] = [];
    const logger: Logger = createLogger('eventlog', 'info', (l) => lines.push(l));
    logger.warn('w');
    expect(lines).toHaveLength(1);
  });

  it('counts publishes per reason code, stage and producer, and not the duplicates JetStream drops', async () => {
    for (const id of ['r1', 'r2', 'r3']) await publisher.publish(draft(id), { dedupKey: id });
    const again = await publisher.publish(draft('r1'), { dedupKey: 'r1' });
    expect(again.duplicate).toBe(true);
    const c = await reader.collect();
    expect(metricTotal(c, METRIC_NAMES.eventsPublished, { reason_code: 'demo_run_requested', stage: 'demo', producer: 'testsvc' })).toBe(3);
  });

  it('a stage that publishes an error-severity event ends with outcome=failed; one that publishes progress, ok', async () => {
    await withStageSpan('demo_fail', {}, () =>
      publisher.publish({ reason_code: 'demo_run_failed', project_id: 'metrics', run_id: 'f1', summary: 'failed', payload: { failure: { error_class: 'E', message: 'boom' } } }),
    );
    await withStageSpan('demo_ok', {}, () => publisher.publish({ reason_code: 'demo_run_progress', project_id: 'metrics', run_id: 'f2', summary: 'step', payload: { step: 1, total: 1 } }));
    const c = await reader.collect();
    expect(metricTotal(c, METRIC_NAMES.stageDuration, { stage: 'demo_fail', outcome: 'failed' })).toBe(1);
    expect(metricTotal(c, METRIC_NAMES.stageDuration, { stage: 'demo_fail', outcome: 'ok' })).toBe(0);
    expect(metricTotal(c, METRIC_NAMES.stageDuration, { stage: 'demo_ok', outcome: 'ok' })).toBe(1);
  });

  it('observes consumer lag from num_pending, and counts consumed events by settlement', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    host = log.consumerHost(publisher, undefined, () => 10).register('testsvc', 'demo_run_requested', async (event) => {
      seen.push(event.run_id);
      await gate;
      if (event.run_id === 'bad') throw new PermanentError('bad request');
    });
    await publisher.publish(draft('bad'), { dedupKey: 'bad' });
    await host.start();
    await waitFor('first message in the handler', async () => seen.length >= 1 || undefined);
    // max_ack_pending 1: one message is with the handler, three wait on the server
    const lagged = await reader.collect();
    expect(metricPoints(lagged, METRIC_NAMES.consumerLag, { consumer: durable, stream: topology.stream.name }).map((p) => p.value)).toEqual([3]);

    release();
    await waitFor('all four handled', async () => (host!.stats.ack + host!.stats.term >= 4 ? true : undefined));
    const c = await reader.collect();
    expect(metricTotal(c, METRIC_NAMES.eventsConsumed, { consumer: durable, reason_code: 'demo_run_requested', outcome: 'ack' })).toBe(3);
    expect(metricTotal(c, METRIC_NAMES.eventsConsumed, { consumer: durable, outcome: 'term' })).toBe(1);
    expect(metricTotal(c, METRIC_NAMES.eventsPublished, { reason_code: 'event_handler_failed' })).toBe(1);
    expect(metricPoints(c, METRIC_NAMES.consumerLag, { consumer: durable }).map((p) => p.value)).toEqual([0]);
  });
});
