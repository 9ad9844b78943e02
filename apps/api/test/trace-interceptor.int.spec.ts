/**
 * Where the http instrumentation is not loaded (the apps started in-process, as here under Jest), the api's
 * TraceInterceptor continues the caller's W3C trace in a SERVER span, so the events a request publishes hang under
 * the caller's trace (e.g. the CLI demo's root span).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { RunningApp } from '@distillery/platform-nest';
import { createLogger, startTelemetry, type Telemetry } from '@distillery/telemetry';
import { natsService, postgresService, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { parseApiConfig, startApi } from '../src/index.js';

describe('api trace continuation', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let spine: IsolatedSpine;
  let db: DatabaseHandle;
  let api: RunningApp;
  let telemetry: Telemetry;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'api-trace-test', serviceVersion: '0', spanExporter: exporter });
    nats = await natsService();
    pg = await postgresService();
    spine = await isolatedSpine('apitrace', nats, pg, { PORT: '0' });
    const config = parseApiConfig(spine.env);
    db = await openDatabase({ url: pg.url, schema: config.DATABASE_SCHEMA });
    api = await startApi({ config, logger: createLogger('api-trace-test', 'error'), eventLog: spine.log, database: db });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await db?.close();
    await spine?.cleanup();
    await telemetry?.shutdown();
    await pg.stop();
    await nats.stop();
  });

  const postDemo = (headers: Record<string, string>) =>
    fetch(`${api.url}/api/demo-runs`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ project_id: 'traced', steps: 1, children: 0 }) });

  it('continues a traceparent: SERVER span under the caller, the published event under the SERVER span', async () => {
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const callerSpan = '1122334455667788';
    const res = await postDemo({ traceparent: `00-${traceId}-${callerSpan}-01` });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { trace_id: string }).trace_id).toBe(traceId);
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = spans.find((s) => s.name === 'POST /api/demo-runs');
    expect(server?.parentSpanContext?.spanId).toBe(callerSpan);
    const publish = spans.find((s) => s.name === 'publish demo_run_requested');
    expect(publish?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
  });

  it('starts a new trace for a request without one', async () => {
    exporter.reset();
    const res = await postDemo({});
    expect(res.status).toBe(202);
    const { trace_id: traceId } = (await res.json()) as { trace_id: string };
    await telemetry.forceFlush();
    const server = exporter.getFinishedSpans().find((s) => s.name === 'POST /api/demo-runs')!;
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).toBe(traceId);
  });
});
