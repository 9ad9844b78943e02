import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  InMemoryMetricReader,
  METRIC_KINDS,
  METRIC_NAMES,
  allPrometheusSeriesNames,
  createLogger,
  distilleryMetrics,
  flushTelemetry,
  metricTotal,
  readMetricFile,
  prometheusSeriesNames,
  noteStageFailure,
  startTelemetry,
  withStageSpan,
  type Telemetry,
} from '../src/index.js';

const started: Telemetry[] = [];
const start = (opts: Partial<Parameters<typeof startTelemetry>[0]> = {}) => {
  const t = startTelemetry({ serviceName: 'metrics-test', serviceVersion: '0.0.1', ...opts });
  started.push(t);
  return t;
};

afterEach(async () => {
  for (const t of started.splice(0)) await t.shutdown();
  delete process.env['PROMETHEUS_PORT'];
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('metrics', () => {
  it('registers a global MeterProvider whose instruments an in-memory reader collects', async () => {
    const reader = new InMemoryMetricReader();
    start({ metricReader: reader });
    const m = distilleryMetrics();
    m.eventsPublished.add(1, { reason_code: 'training_completed', stage: 'training', producer: 'trainer' });
    m.eventsPublished.add(2, { reason_code: 'eval_completed', stage: 'evaluation', producer: 'evaluation' });
    m.stageDuration.record(0.5, { stage: 'train', outcome: 'ok' });
    m.stageDuration.record(1.5, { stage: 'train', outcome: 'ok' });
    const collected = await reader.collect();
    expect(metricTotal(collected, METRIC_NAMES.eventsPublished)).toBe(3);
    expect(metricTotal(collected, METRIC_NAMES.eventsPublished, { reason_code: 'training_completed' })).toBe(1);
    expect(metricTotal(collected, METRIC_NAMES.stageDuration, { stage: 'train' })).toBe(2);
    expect(metricTotal(collected, METRIC_NAMES.stageDuration, { stage: 'eval' })).toBe(0);
  });

  it('gives each provider its own instruments: a restarted telemetry starts from zero', async () => {
    const first = new InMemoryMetricReader();
    const t = start({ metricReader: first });
    distilleryMetrics().evalRows.add(5, { metric: 'accuracy' });
    await t.shutdown();
    const second = new InMemoryMetricReader();
    start({ metricReader: second });
    distilleryMetrics().evalRows.add(2, { metric: 'accuracy' });
    expect(metricTotal(await second.collect(), METRIC_NAMES.evalRows)).toBe(2);
  });

  it('names Prometheus series as the exporter does: underscores, _total for counters, _bucket/_sum/_count for histograms', () => {
    expect(prometheusSeriesNames('distillery.events.published', 'counter')).toEqual(['distillery_events_published_total']);
    expect(prometheusSeriesNames('distillery.stage.duration', 'histogram')).toEqual(['distillery_stage_duration_bucket', 'distillery_stage_duration_sum', 'distillery_stage_duration_count']);
    expect(prometheusSeriesNames('distillery.consumer.lag', 'gauge')).toEqual(['distillery_consumer_lag']);
    expect(Object.keys(METRIC_KINDS).sort()).toEqual(Object.keys(METRIC_NAMES).sort());
  });

  it('serves every instrument on GET /metrics in the Prometheus text format when PROMETHEUS_PORT is set', async () => {
    const port = await freePort();
    process.env['PROMETHEUS_PORT'] = String(port);
    const t = start({ prometheusHost: '127.0.0.1' });
    expect(t.prometheus?.port).toBe(port);
    await t.prometheus!.ready;
    const m = distilleryMetrics();
    m.eventsPublished.add(3, { reason_code: 'training_completed', stage: 'training', producer: 'trainer' });
    m.eventsConsumed.add(1, { reason_code: 'training_dispatched', stage: 'training', consumer: 'trainer_training_dispatched', outcome: 'ack' });
    const lag = (r: { observe(v: number, a: Record<string, string>): void }) => r.observe(7, { stream: 'S', consumer: 'c1' });
    m.consumerLag.addCallback(lag);
    m.stageDuration.record(2, { stage: 'train', outcome: 'ok' });
    m.trainingTokensPerSecond.record(1234, { run: 'r1', method: 'lora' });
    m.trainingLoss.record(0.7, { run: 'r1', method: 'lora' });
    m.trainingTokens.add(100, { run: 'r1', method: 'lora' });
    m.evalRows.add(50, { metric: 'accuracy' });
    m.evalRowsPerSecond.record(25, { metric: 'accuracy' });
    m.runnerRequestDuration.record(0.05, { route: '/v1/chat/completions', status_code: 200, stream: false });
    m.runnerRequestErrors.add(1, { route: '/v1/chat/completions', status_code: 400 });

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    m.consumerLag.removeCallback(lag);
    expect(text).toMatch(/^# TYPE distillery_events_published_total counter$/m);
    expect(text).toMatch(/^distillery_events_published_total\{[^}]*reason_code="training_completed"[^}]*\} 3/m);
    expect(text).toMatch(/^distillery_consumer_lag\{[^}]*consumer="c1"[^}]*\} 7/m);
    expect(text).toMatch(/^distillery_stage_duration_bucket\{[^}]*stage="train"[^}]*le="2.5"[^}]*\} 1/m);
    const present = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((x) => x[1]));
    expect(allPrometheusSeriesNames().filter((n) => !present.has(n))).toEqual([]);
  });

  it('writes the metrics to DISTILLERY_METRICS_FILE on each flush, for a test to read a child process’s metrics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'distillery-metrics-'));
    try {
      const file = join(dir, 'metrics.json');
      process.env['DISTILLERY_METRICS_FILE'] = file;
      start();
      distilleryMetrics().eventsPublished.add(2, { reason_code: 'export_completed', stage: 'export', producer: 'export' });
      distilleryMetrics().runnerRequestDuration.record(0.2, { route: '/v1/completions', status_code: 200, stream: false });
      await flushTelemetry();
      const read = await readMetricFile(file);
      expect(metricTotal(read, METRIC_NAMES.eventsPublished, { reason_code: 'export_completed' })).toBe(2);
      expect(metricTotal(read, METRIC_NAMES.runnerRequestDuration, { route: '/v1/completions' })).toBe(1);
      expect(metricTotal(read, METRIC_NAMES.evalRows)).toBe(0);
    } finally {
      for (const t of started.splice(0)) await t.shutdown();
      delete process.env['DISTILLERY_METRICS_FILE'];
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves no endpoint without a port, and refuses a PROMETHEUS_PORT that is not a port', async () => {
    const t = start();
    expect(t.prometheus).toBeUndefined();
    await t.shutdown();
    process.env['PROMETHEUS_PORT'] = 'ninety';
    expect(() => startTelemetry({ serviceName: 'x', serviceVersion: '0' })).toThrow(/PROMETHEUS_PORT/);
  });
});

describe('withStageSpan', () => {
  it('runs the work in a `stage.<name>` child of the active span, records its duration, and log lines carry its ids', async () => {
    const spans = new InMemorySpanExporter();
    const reader = new InMemoryMetricReader();
    const t = start({ spanExporter: spans, metricReader: reader });
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('trainer', 'info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('handle training_dispatched', async (consumer) => {
      const result = await withStageSpan('train', { 'distillery.run_id': 'r1' }, async (span) => {
        logger.info('training', { step: 1 });
        // events published here parent on the stage span
        expect(trace.getSpan(context.active())?.spanContext().spanId).toBe(span.spanContext().spanId);
        return 42;
      });
      expect(result).toBe(42);
      consumer.end();
    });
    logger.info('outside');
    await t.forceFlush();
    const stage = spans.getFinishedSpans().find((s) => s.name === 'stage.train')!;
    const handler = spans.getFinishedSpans().find((s) => s.name === 'handle training_dispatched')!;
    expect(stage.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
    expect(stage.attributes).toMatchObject({ 'distillery.stage': 'train', 'distillery.run_id': 'r1' });
    expect(lines[0]).toMatchObject({ msg: 'training', trace_id: stage.spanContext().traceId, span_id: stage.spanContext().spanId, step: 1 });
    expect(lines[1]).toMatchObject({ msg: 'outside', trace_id: null, span_id: null });
    expect(metricTotal(await reader.collect(), METRIC_NAMES.stageDuration, { stage: 'train', outcome: 'ok' })).toBe(1);
  });

  it('marks a failed stage: error status, the exception, outcome=error, and rethrows', async () => {
    const spans = new InMemorySpanExporter();
    const reader = new InMemoryMetricReader();
    const t = start({ spanExporter: spans, metricReader: reader });
    await expect(withStageSpan('export', { format: 'gguf' }, async () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    await t.forceFlush();
    const stage = spans.getFinishedSpans().find((s) => s.name === 'stage.export')!;
    expect(stage.status).toMatchObject({ code: 2, message: 'disk full' });
    expect(stage.events.map((e) => e.name)).toContain('exception');
    const collected = await reader.collect();
    expect(metricTotal(collected, METRIC_NAMES.stageDuration, { stage: 'export', outcome: 'error' })).toBe(1);
    expect(metricTotal(collected, METRIC_NAMES.stageDuration, { stage: 'export', outcome: 'ok' })).toBe(0);
  });

  it('marks a stage that reported a failure as an event: outcome=failed, error status naming the first reason', async () => {
    const spans = new InMemorySpanExporter();
    const reader = new InMemoryMetricReader();
    const t = start({ spanExporter: spans, metricReader: reader });
    noteStageFailure('outside_any_stage'); // no stage active: nothing to mark, no error
    await withStageSpan('train', {}, async () => {
      await Promise.resolve();
      noteStageFailure('training_oom');
      noteStageFailure('training_runtime_error'); // the first failure names the stage's outcome
    });
    await withStageSpan('eval', {}, async () => 'fine');
    await t.forceFlush();
    const train = spans.getFinishedSpans().find((s) => s.name === 'stage.train')!;
    expect(train.status).toMatchObject({ code: 2, message: 'training_oom' });
    expect(train.attributes['distillery.outcome']).toBe('failed');
    const evalSpan = spans.getFinishedSpans().find((s) => s.name === 'stage.eval')!;
    expect(evalSpan.status.code).toBe(0);
    expect(evalSpan.attributes['distillery.outcome']).toBe('ok');
    const collected = await reader.collect();
    expect(metricTotal(collected, METRIC_NAMES.stageDuration, { stage: 'train', outcome: 'failed' })).toBe(1);
    expect(metricTotal(collected, METRIC_NAMES.stageDuration, { stage: 'train', outcome: 'ok' })).toBe(0);
    expect(metricTotal(collected, METRIC_NAMES.stageDuration, { stage: 'eval', outcome: 'ok' })).toBe(1);
  });
});
