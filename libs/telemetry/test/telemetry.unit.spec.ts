import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
// libs/eventlog depends on this lib (for its metrics), so its Logger shape is restated here rather than imported;
// libs/eventlog/test/metrics.int.spec.ts checks the real interface.
interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}
import {
  FileSpanExporter,
  createLogger,
  otlpTracesUrl,
  readSpanFile,
  startTelemetry,
  type Telemetry,
} from '../src/index.js';

const started: Telemetry[] = [];
const start = (opts: Partial<Parameters<typeof startTelemetry>[0]> = {}) => {
  const t = startTelemetry({ serviceName: 'telemetry-test', serviceVersion: '0.0.1', ...opts });
  started.push(t);
  return t;
};

afterEach(async () => {
  for (const t of started.splice(0)) await t.shutdown();
});

describe('startTelemetry', () => {
  it('registers a provider, the W3C propagator and an AsyncLocalStorage context manager: real ids flow across awaits', async () => {
    const exporter = new InMemorySpanExporter();
    const t = start({ spanExporter: exporter });
    const tracer = trace.getTracer('test');
    const carrier: Record<string, string> = {};
    let inner: { traceId: string; spanId: string } | undefined;
    await tracer.startActiveSpan('outer', async (span) => {
      await new Promise((r) => setTimeout(r, 5));
      propagation.inject(context.active(), carrier);
      inner = trace.getActiveSpan()?.spanContext();
      span.end();
    });
    await t.forceFlush();
    const [outer] = exporter.getFinishedSpans();
    expect(outer?.name).toBe('outer');
    expect(outer?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(outer?.spanContext().traceId).not.toBe('0'.repeat(32));
    expect(inner?.spanId).toBe(outer?.spanContext().spanId);
    expect(carrier['traceparent']).toBe(`00-${outer?.spanContext().traceId}-${outer?.spanContext().spanId}-01`);
    expect(outer?.resource.attributes['service.name']).toBe('telemetry-test');
    expect(outer?.resource.attributes['service.version']).toBe('0.0.1');
  });

  it('is idempotent: a second call returns the same handle; after shutdown a new one starts', async () => {
    const a = start();
    const b = start({ serviceName: 'other' });
    expect(b).toBe(a);
    expect(b.serviceName).toBe('telemetry-test');
    await a.shutdown();
    const c = start({ serviceName: 'other' });
    expect(c).not.toBe(a);
    expect(c.serviceName).toBe('other');
  });

  it('starts with instrument: true even where module.register() is refused (Jest), and still traces', async () => {
    const exporter = new InMemorySpanExporter();
    const t = start({ instrument: true, spanExporter: exporter });
    trace.getTracer('test').startSpan('with-instrumentation').end();
    await t.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['with-instrumentation']);
  });

  describe('OTLP export', () => {
    const collector = async () => {
      const requests: { method?: string; url?: string; contentType?: string; bytes: number }[] = [];
      const server = createServer((req: IncomingMessage, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          requests.push({
            method: req.method,
            url: req.url,
            contentType: req.headers['content-type'],
            bytes: Buffer.concat(chunks).length,
          });
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      return { endpoint: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
    };

    it('adds no OTLP processor without an endpoint, so nothing is sent anywhere', async () => {
      const c = await collector();
      try {
        const t = start();
        expect(t.spanProcessors).toHaveLength(0);
        trace.getTracer('test').startSpan('unsent').end();
        await t.forceFlush();
        expect(c.requests).toEqual([]);
      } finally {
        await c.close();
      }
    });

    it('with an endpoint, batches spans to <endpoint>/v1/traces as OTLP/protobuf', async () => {
      const c = await collector();
      try {
        const t = start({ otlpEndpoint: `${c.endpoint}/` });
        expect(t.spanProcessors.map((p) => p instanceof BatchSpanProcessor)).toEqual([true]);
        trace.getTracer('test').startSpan('sent').end();
        await t.forceFlush();
        expect(c.requests).toHaveLength(1);
        expect(c.requests[0]).toMatchObject({ method: 'POST', url: '/v1/traces', contentType: 'application/x-protobuf' });
        expect(c.requests[0]?.bytes).toBeGreaterThan(0);
      } finally {
        await c.close();
      }
    });

    it('derives the traces URL from the base endpoint as the OTel spec does', () => {
      expect(otlpTracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
      expect(otlpTracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
    });
  });
});

describe('FileSpanExporter', () => {
  it('appends finished spans as JSON lines that read back with ids, parent, kind, service and attributes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spans-'));
    const file = join(dir, 'spans.jsonl');
    try {
      await writeFile(file, '{"traceId":"earlier","spanId":"x","parentSpanId":null,"name":"from another process","kind":"INTERNAL","serviceName":"other","attributes":{}}\n');
      const t = start({ spanExporter: new FileSpanExporter(file) });
      const tracer = trace.getTracer('test');
      tracer.startActiveSpan('parent', { kind: SpanKind.PRODUCER, attributes: { 'run.id': 'r1' } }, (parent) => {
        tracer.startSpan('child', { kind: SpanKind.CONSUMER, attributes: { attempt: 2 } }).end();
        parent.end();
      });
      await t.forceFlush();

      const spans = await readSpanFile(file);
      expect(spans.map((s) => s.name)).toEqual(['from another process', 'child', 'parent']);
      const [, child, parent] = spans;
      expect(parent).toMatchObject({ parentSpanId: null, kind: 'PRODUCER', serviceName: 'telemetry-test', attributes: { 'run.id': 'r1' } });
      expect(child).toMatchObject({ kind: 'CONSUMER', serviceName: 'telemetry-test', attributes: { attempt: 2 } });
      expect(child?.traceId).toBe(parent?.traceId);
      expect(child?.parentSpanId).toBe(parent?.spanId);
      expect(parent?.spanId).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads a missing file as no spans', async () => {
    expect(await readSpanFile(join(tmpdir(), `no-such-span-file-${process.pid}.jsonl`))).toEqual([]);
  });
});

describe('createLogger', () => {
  const collect = (level: Parameters<typeof createLogger>[1] = 'info') => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('api', level, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    return { logger, lines };
  };

  it("writes one JSON line per call carrying the active span's trace and span id", () => {
    start();
    const { logger, lines } = collect();
    let ids: { traceId: string; spanId: string } | undefined;
    trace.getTracer('test').startActiveSpan('handle', (span) => {
      ids = span.spanContext();
      logger.info('handled', { eventId: 'e1' });
      span.end();
    });
    logger.warn('outside');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'info',
      service: 'api',
      msg: 'handled',
      trace_id: ids?.traceId,
      span_id: ids?.spanId,
      eventId: 'e1',
    });
    expect(ids?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'outside', trace_id: null, span_id: null });
  });

  it('drops lines below the level, serialises errors, and never lets fields overwrite the envelope', () => {
    const { logger, lines } = collect('warn');
    logger.debug('d');
    logger.info('i');
    logger.child({ consumer: 'c1' }).error('failed', { err: Object.assign(new Error('boom'), { code: 'X' }), msg: 'spoof' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'failed',
      consumer: 'c1',
      'field.msg': 'spoof',
      err: { name: 'Error', message: 'boom', code: 'X' },
    });
  });

  it('writes to stderr by default and satisfies the eventlog Logger interface', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const logger: Logger = createLogger('projector', 'info');
      logger.info('hello', { n: 1 });
    } finally {
      process.stderr.write = original;
    }
    expect(written).toHaveLength(1);
    expect(written[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(written[0] ?? '')).toMatchObject({ service: 'projector', msg: 'hello', n: 1 });
  });
});
