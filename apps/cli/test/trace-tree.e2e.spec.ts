/**
 * Issue 6's "done when": the whole quickstart (`distillery demo`: import → map → clean → prepare → preflight → train →
 * eval → export → deploy → chat) against the real NATS and PostgreSQL is ONE connected trace under the demo's root
 * span, with the stage spans in causal order, and the key metrics are non-zero.
 *
 * The demo runs as users run it, in a child process with the http/pg instrumentation loaded (in Jest's sandbox the
 * same run is several times slower). Its spans come back through DISTILLERY_SPAN_FILE and its metrics through
 * DISTILLERY_METRICS_FILE (the file twins of an in-memory exporter and reader), both written before it exits.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_NAMES, metricTotal, readMetricFile, readSpanFile, type FileSpan } from '@distillery/telemetry';
import { natsService, postgresService, repoRoot, spawnNode, uniqueName, builtEntry, type ServiceHandle } from '@distillery/testing';
import { openDatabase } from '@distillery/db';
import { EventLog, buildTopology } from '@distillery/eventlog';

const STAGES_IN_ORDER = ['stage.import', 'stage.map', 'stage.clean', 'stage.prepare', 'stage.preflight', 'stage.train', 'stage.eval', 'stage.export', 'stage.deploy', 'stage.promote'];

describe('one trace per quickstart run', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  const dir = mkdtempSync(join(tmpdir(), 'distillery-trace-tree-'));
  const env: Record<string, string> = {};
  let code: number | string = -1;
  let output = '';
  let spans: FileSpan[] = [];
  let metrics: Awaited<ReturnType<typeof readMetricFile>>;

  beforeAll(async () => {
    nats = await natsService();
    pg = await postgresService();
    builtEntry('apps/cli/src/main.js');
    Object.assign(env, {
      NATS_URL: nats.url,
      DATABASE_URL: pg.url,
      DATABASE_SCHEMA: uniqueName('tracetree'),
      DISTILLERY_STREAM: uniqueName('TRACETREE').toUpperCase(),
      DISTILLERY_SUBJECT_PREFIX: uniqueName('tracetree'),
      DISTILLERY_DATA_DIR: join(dir, 'data'),
      DISTILLERY_SPAN_FILE: join(dir, 'spans.jsonl'),
      DISTILLERY_METRICS_FILE: join(dir, 'metrics.json'),
      PORT: '0',
      LOG_LEVEL: 'warn',
      DEMO_STEP_DELAY_MS: '0',
      NO_COLOR: '1',
    });
    const p = spawnNode(join(repoRoot, 'bin', 'distillery.mjs'), ['demo', '--steps', '1', '--children', '0', '--timeout', '150'], env);
    code = await p.exited;
    output = p.output();
    spans = await readSpanFile(env['DISTILLERY_SPAN_FILE']!);
    metrics = await readMetricFile(env['DISTILLERY_METRICS_FILE']!);
  }, 200_000);

  afterAll(async () => {
    const log = await EventLog.connect({ url: nats.url, name: 'trace-tree-cleanup', topology: buildTopology({ streamName: env['DISTILLERY_STREAM'] }) });
    await log.jsm.streams.delete(env['DISTILLERY_STREAM']!).catch(() => undefined);
    await log.close();
    const db = await openDatabase({ url: pg.url });
    await db.db.schema.dropSchema(env['DATABASE_SCHEMA']!).ifExists().cascade().execute();
    await db.close();
    await pg.stop();
    await nats.stop();
  });

  const root = () => spans.find((s) => s.name === 'demo' && s.parentSpanId === null)!;
  const named = (name: string) => spans.filter((s) => s.name === name);

  it('the demo completes, and its root span is exported', () => {
    expect([code, output.slice(-1_500)]).toEqual([0, expect.stringContaining('demo finished')]);
    expect(root()).toMatchObject({ name: 'demo', parentSpanId: null, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('every span of the run shares the root span’s trace id', () => {
    expect(spans.length).toBeGreaterThan(200);
    const traceId = root().traceId;
    const strays = spans.filter((s) => s.traceId !== traceId).map((s) => `${s.name} ${String(s.attributes['url.path'] ?? '')}`);
    expect(strays).toEqual([]);
  });

  it('is one connected tree: every span’s parent is in it, and the demo span is its only root', () => {
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => s.parentSpanId === null).map((s) => s.name)).toEqual(['demo']);
    const orphans = spans.filter((s) => s.parentSpanId !== null && !ids.has(s.parentSpanId)).map((s) => s.name);
    expect(orphans).toEqual([]);
    // it nests: API request → publish → consumer → stage → published event → next consumer …
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const chain = (s: FileSpan): string[] => {
      const out: string[] = [];
      for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) out.push(p.name);
      return out;
    };
    const train = chain(named('stage.train')[0]!);
    expect(train.slice(0, 5)).toEqual(['handle training_dispatched', 'publish training_dispatched', 'stage.preflight', 'handle training_requested', 'publish training_requested']);
    expect(train.at(-1)).toBe('demo');
    const server = spans.find((s) => s.name.startsWith('POST') && s.kind === 'SERVER' && train.includes(s.name));
    expect(server?.serviceName).toBe('distillery');
    expect(chain(named('stage.map')[0]!)[0]).toBe('stage.import');
  });

  it('contains the stage spans import → map → clean → prepare → preflight → train (with epochs) → eval → export → deploy, in order', () => {
    for (const name of [...STAGES_IN_ORDER, 'stage.train.epoch']) expect([name, named(name).length > 0]).toEqual([name, true]);
    const firstStart = STAGES_IN_ORDER.map((n) => Math.min(...named(n).map((s) => s.startMs)));
    expect(firstStart).toEqual([...firstStart].sort((a, b) => a - b));

    const train = named('stage.train')[0]!;
    const epochs = named('stage.train.epoch');
    expect(epochs.every((e) => e.parentSpanId === train.spanId)).toBe(true);
    expect(epochs[0]!.attributes).toMatchObject({ epoch: 1 });
    expect(Number(epochs[0]!.attributes['steps'])).toBeGreaterThan(0);
    expect(Number(epochs[0]!.attributes['tokens'])).toBeGreaterThan(0);
    expect(Number.isFinite(Number(epochs[0]!.attributes['loss']))).toBe(true);
    expect(epochs.every((e) => e.startMs >= train.startMs && e.endMs <= train.endMs)).toBe(true);

    expect(named('stage.eval').some((s) => Number(s.attributes['rows']) > 0 && typeof s.attributes['metric'] === 'string')).toBe(true);
    expect(named('stage.export').map((s) => s.attributes['format']).sort()).toEqual(['gguf', 'onnx']);
    expect(named('stage.export').find((s) => s.attributes['format'] === 'gguf')?.attributes['quantization']).toBe('q8_0');
    // a stage span is the parent of the events its handler publishes
    expect(named('publish training_completed')[0]?.parentSpanId).toBe(train.spanId);
  });

  it('records the key metrics', () => {
    expect(metricTotal(metrics, METRIC_NAMES.eventsPublished, { reason_code: 'training_completed' })).toBeGreaterThanOrEqual(1);
    expect(metricTotal(metrics, METRIC_NAMES.eventsPublished, { reason_code: 'eval_completed' })).toBeGreaterThanOrEqual(1);
    expect(metricTotal(metrics, METRIC_NAMES.eventsConsumed, { reason_code: 'training_dispatched', outcome: 'ack' })).toBeGreaterThanOrEqual(1);
    expect(metricTotal(metrics, METRIC_NAMES.stageDuration, { stage: 'train', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(metricTotal(metrics, METRIC_NAMES.stageDuration, { stage: 'export' })).toBeGreaterThanOrEqual(2);
    expect(metricTotal(metrics, METRIC_NAMES.runnerRequestDuration, { route: '/v1/chat/completions' })).toBeGreaterThanOrEqual(1);
    expect(metricTotal(metrics, METRIC_NAMES.trainingTokens)).toBeGreaterThan(0);
    expect(metricTotal(metrics, METRIC_NAMES.evalRows)).toBeGreaterThan(0);
  });
});
