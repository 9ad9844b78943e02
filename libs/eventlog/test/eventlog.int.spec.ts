import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { natsService, uniqueName, waitFor, type ServiceHandle } from '@distillery/testing';
import type { RunEvent } from '@distillery/contracts';
import { EventLog, PermanentError, buildTopology, type EventPublisher, type ConsumerHost } from '../src/index.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

describe('eventlog against a real NATS server', () => {
  let nats: ServiceHandle;
  let log: EventLog;
  let publisher: EventPublisher;
  const prefix = uniqueName('t');
  const topology = buildTopology({
    streamName: uniqueName('S').toUpperCase(),
    subjectPrefix: prefix,
    consumers: [{ service: 'testsvc', reasonCode: 'demo_run_requested', maxDeliver: 3 }],
  });
  const all: RunEvent[] = [];

  const readAll = async (): Promise<{ seq: number; event?: RunEvent; errors?: string[] }[]> => {
    const out: { seq: number; event?: RunEvent; errors?: string[] }[] = [];
    for await (const batch of log.read({ fromSeq: 1, follow: false })) {
      for (const m of batch) out.push(m.decoded.ok ? { seq: m.seq, event: m.decoded.event } : { seq: m.seq, errors: m.decoded.errors });
    }
    return out;
  };

  beforeAll(async () => {
    nats = await natsService();
    log = await EventLog.connect({ url: nats.url, name: 'eventlog-test', topology });
    publisher = log.publisher({ app: 'testsvc', version: '0.0.1' });
  });

  afterAll(async () => {
    await log.jsm.streams.delete(topology.stream.name).catch(() => undefined);
    await log.close();
    await nats.stop();
  });

  it('applies the topology as code: limits retention, file storage, no age limit, a stated duplicate window', async () => {
    const first = await log.applyTopology();
    expect(first.stream.action).toBe('created');
    expect(first.consumers).toEqual([{ durable: 'testsvc--demo_run_requested', action: 'created' }]);
    const info = await log.jsm.streams.info(topology.stream.name);
    expect(info.config.retention).toBe('limits');
    expect(info.config.storage).toBe('file');
    expect(info.config.max_age).toBe(0);
    expect(info.config.max_msgs).toBe(-1);
    expect(info.config.duplicate_window).toBe(10 * 60 * 1e9);
    const again = await log.applyTopology();
    expect(again.stream.action).toBe('unchanged');
  });

  it('a consumer whose durable is missing fails fast naming the command to run', async () => {
    const t2 = buildTopology({ streamName: topology.stream.name, subjectPrefix: prefix, consumers: [{ service: 'ghost', reasonCode: 'demo_run_started' }] });
    const other = await EventLog.connect({ url: nats.url, name: 'ghost', topology: t2 });
    const host = other.consumerHost(other.publisher({ app: 'ghost', version: '1' })).register('ghost', 'demo_run_started', async () => {});
    await expect(host.start()).rejects.toThrow(/distillery topology apply/);
    await other.close();
  });

  it('fills the envelope and validates on publish, naming the bad field', async () => {
    const r = await publisher.publish({
      reason_code: 'demo_run_started',
      project_id: 'p1',
      run_id: 'demo-1',
      summary: 'started',
      payload: { steps: 3 },
    });
    expect(r.duplicate).toBe(false);
    expect(r.event.stage).toBe('demo');
    expect(r.event.severity).toBe('info');
    expect(r.event.actor).toBe('service:testsvc');
    expect(r.event.producer).toBe('testsvc@0.0.1');
    expect(r.event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.event.correlation_id).toBe(r.event.id);
    all.push(r.event);
    await expect(
      publisher.publish({
        reason_code: 'demo_run_started',
        project_id: 'p1',
        run_id: 'demo-1',
        summary: 'x',
        payload: { steps: -1 },
      }),
    ).rejects.toThrow(/payload\.steps/);
    await expect(
      publisher.publish({ reason_code: 'demo_run_started', project_id: 'has.dot', run_id: 'r', summary: 'x', payload: { steps: 1 } }),
    ).rejects.toThrow(/project_id/);
  });

  it('stores an event published twice by a retrying producer once (deterministic Nats-Msg-Id)', async () => {
    const cause = all[0]!;
    const draft = {
      reason_code: 'demo_run_progress' as const,
      project_id: 'p1',
      run_id: 'demo-1',
      summary: 'step 1',
      payload: { step: 1, total: 3 },
    };
    const a = await publisher.publish(draft, { causedBy: cause, dedupKey: '1' });
    const b = await publisher.publish(draft, { causedBy: cause, dedupKey: '1' });
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(true);
    expect(b.seq).toBe(a.seq);
    expect(b.msgId).toBe(a.msgId);
    const c = await publisher.publish({ ...draft, payload: { step: 2, total: 3 } }, { causedBy: cause, dedupKey: '2' });
    expect(c.duplicate).toBe(false);
    const stored = (await readAll()).filter((m) => m.event?.reason_code === 'demo_run_progress');
    expect(stored.map((m) => (m.event as RunEvent & { payload: { step: number } }).payload.step)).toEqual([1, 2]);
    expect(stored[0]!.event!.causation_id).toBe(cause.id);
    expect(stored[0]!.event!.correlation_id).toBe(cause.correlation_id);
  });

  it('acks, naks with backoff, terms permanent failures and dead-letters poison messages, and keeps going', async () => {
    const seen: string[] = [];
    const host: ConsumerHost = log
      .consumerHost(publisher, undefined, () => 50)
      .register('testsvc', 'demo_run_requested', async (event, ctx) => {
        const run = event.run_id;
        seen.push(`${run}#${ctx.deliveryCount}`);
        if (run === 'flaky' && ctx.deliveryCount === 1) throw new Error('transient glitch');
        if (run === 'doomed') throw new PermanentError('cannot ever work');
        if (run === 'always-fails') throw new Error('still broken');
        await ctx.publish({ reason_code: 'demo_run_started', project_id: event.project_id, run_id: run, summary: 'ok', payload: { steps: 1 } });
      });
    await host.start();
    const req = (run: string) =>
      publisher.publish({ reason_code: 'demo_run_requested', project_id: 'p1', run_id: run, summary: `req ${run}`, payload: { steps: 1, children: 0 } });
    const subject = (run: string) => `${prefix}.p1.${run}.demo.demo_run_requested`;
    await req('good');
    await log.js.publish(subject('notjson'), 'this is {not json');
    await log.js.publish(subject('unknown'), JSON.stringify({ ...all[0], reason_code: 'made_up_code' }));
    await log.js.publish(subject('badpayload'), JSON.stringify({ ...all[0], reason_code: 'demo_run_requested', payload: { steps: 'many' } }));
    await req('flaky');
    await req('doomed');
    await req('always-fails');
    await req('after');

    const events = await waitFor('settlement of every message', async () => {
      const evs = (await readAll()).flatMap((m) => (m.event ? [m.event] : []));
      const dead = evs.filter((e) => e.reason_code === 'event_schema_invalid');
      const failed = evs.filter((e) => e.reason_code === 'event_handler_failed');
      const started = evs.filter((e) => e.reason_code === 'demo_run_started' && e.summary === 'ok');
      return dead.length === 3 && failed.length === 2 && started.length === 3 ? evs : undefined;
    });
    await host.stop();

    const started = events.filter((e) => e.reason_code === 'demo_run_started' && e.summary === 'ok').map((e) => e.run_id);
    expect(started.sort()).toEqual(['after', 'flaky', 'good']);
    expect(seen).toContain('flaky#1');
    expect(seen).toContain('flaky#2');
    expect(seen.filter((s) => s.startsWith('doomed'))).toEqual(['doomed#1']);
    expect(seen.filter((s) => s.startsWith('always-fails'))).toEqual(['always-fails#1', 'always-fails#2', 'always-fails#3']);

    const dead = events.filter((e) => e.reason_code === 'event_schema_invalid');
    const byRun = Object.fromEntries(dead.map((e) => [e.run_id, e]));
    expect(Object.keys(byRun).sort()).toEqual(['badpayload', 'notjson', 'unknown']);
    const p = (e: RunEvent) => e.payload as { errors: string[]; subject: string; stream_seq: number; consumer: string };
    expect(p(byRun['notjson']!).errors[0]).toMatch(/not UTF-8 JSON/);
    expect(p(byRun['unknown']!).errors[0]).toMatch(/unknown reason code 'made_up_code'/);
    expect(p(byRun['badpayload']!).errors.join()).toMatch(/payload\.steps/);
    expect(p(byRun['notjson']!).subject).toBe(subject('notjson'));
    expect(p(byRun['notjson']!).stream_seq).toBeGreaterThan(0);
    expect(p(byRun['notjson']!).consumer).toBe('testsvc--demo_run_requested');

    const failed = events.filter((e) => e.reason_code === 'event_handler_failed');
    const fp = (e: RunEvent) => e.payload as { permanent: boolean; deliveries: number };
    expect(failed.map((e) => [e.run_id, fp(e).permanent, fp(e).deliveries]).sort()).toEqual([
      ['always-fails', false, 3],
      ['doomed', true, 1],
    ]);
    const info = await log.jsm.consumers.info(topology.stream.name, 'testsvc--demo_run_requested');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('replays from any sequence', async () => {
    const everything = await readAll();
    expect(everything.length).toBeGreaterThan(10);
    const mid = everything[5]!.seq;
    const tail: number[] = [];
    for await (const batch of log.read({ fromSeq: mid, follow: false, batchSize: 3 })) {
      expect(batch.length).toBeLessThanOrEqual(3);
      tail.push(...batch.map((m) => m.seq));
    }
    expect(tail).toEqual(everything.filter((m) => m.seq >= mid).map((m) => m.seq));
    // A filtered read of a finished range ends, whether or not anything matches.
    const none: unknown[] = [];
    for await (const batch of log.read({ fromSeq: 1, follow: false, filterSubject: `${prefix}.nobody.>` })) none.push(...batch);
    expect(none).toEqual([]);
    const late: unknown[] = [];
    for await (const batch of log.read({ fromSeq: everything.at(-1)!.seq + 1, follow: false, filterSubject: `${prefix}.>` })) late.push(...batch);
    expect(late).toEqual([]);
  });

  it('finds the last event on a subject directly (a run\'s latest checkpoint), or nothing', async () => {
    const subject = `${prefix}.lastproj.lastrun.demo.demo_run_progress`;
    expect(await log.lastEventOn(subject)).toBeUndefined();
    for (const step of [1, 2, 3]) {
      await publisher.publish(
        { reason_code: 'demo_run_progress', project_id: 'lastproj', run_id: 'lastrun', summary: `step ${step}`, payload: { step, total: 3 } },
        { dedupKey: `step-${step}` },
      );
    }
    const last = await log.lastEventOn(subject);
    expect(last?.event.payload).toEqual({ step: 3, total: 3 });
    expect(last?.seq).toBe((await readAll()).at(-1)!.seq);
  });

  it('carries W3C trace context in headers: the consumer span continues the producer trace', async () => {
    exporter.reset();
    const tracer = trace.getTracer('test');
    let traceId = '';
    await tracer.startActiveSpan('http request', async (span) => {
      traceId = span.spanContext().traceId;
      const r = await publisher.publish({
        reason_code: 'demo_run_requested',
        project_id: 'p1',
        run_id: 'traced',
        summary: 'traced',
        payload: { steps: 1, children: 0 },
      });
      expect(r.event.trace_id).toBe(traceId);
      span.end();
    });
    const host = log.consumerHost(publisher).register('testsvc', 'demo_run_requested', async (event, ctx) => {
      await ctx.publish({ reason_code: 'demo_run_started', project_id: 'p1', run_id: event.run_id, summary: 'traced start', payload: { steps: 1 } });
    });
    await host.start();
    const started = await waitFor('traced start', async () =>
      (await readAll()).find((m) => m.event?.run_id === 'traced' && m.event.reason_code === 'demo_run_started'),
    );
    await host.stop();
    expect(started.event!.trace_id).toBe(traceId);
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const handle = spans.find((s) => s.name === 'handle demo_run_requested');
    expect(handle?.spanContext().traceId).toBe(traceId);
  });
});
