import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { EventLog } from '@distillery/eventlog';
import type { RunningApp } from '@distillery/platform-nest';
import { createLogger, startTelemetry } from '@distillery/telemetry';
import { natsService, postgresService, waitFor, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { parseDemoWorkerConfig, startDemoWorker } from '@distillery/app-demo-worker';
import { parseProjectorConfig, startProjector } from '@distillery/app-projector';
import { parseApiConfig, startApi } from '../src/index.js';

describe('api against real NATS and PostgreSQL', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let spine: IsolatedSpine;
  let log: EventLog;
  let db: DatabaseHandle;
  const apps: RunningApp[] = [];
  let base = '';
  const env: Record<string, string> = {};
  const logger = createLogger('api-test', 'error');

  beforeAll(async () => {
    startTelemetry({ serviceName: 'api-test', serviceVersion: '0' });
    nats = await natsService();
    pg = await postgresService();
    spine = await isolatedSpine('api', nats, pg, { PORT: '0', DEMO_STEP_DELAY_MS: '0', API_MAX_PAGE_SIZE: '50' });
    Object.assign(env, spine.env);
    log = spine.log;
    const apiConfig = parseApiConfig(env);
    db = await openDatabase({ url: pg.url, schema: apiConfig.DATABASE_SCHEMA });
    apps.push(await startProjector({ config: parseProjectorConfig(env), logger, eventLog: log, database: db, http: false }));
    apps.push(await startDemoWorker({ config: parseDemoWorkerConfig(env), logger, eventLog: log, http: false }));
    const api = await startApi({ config: apiConfig, logger, eventLog: log, database: db });
    apps.push(api);
    base = api.url!;
  }, 60_000);

  afterAll(async () => {
    for (const a of apps.reverse()) await a.stop();
    await db.close();
    await spine.cleanup();
    await pg.stop();
    await nats.stop();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { items?: Array<Record<string, unknown>>; next_cursor?: string | null } };
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  let runId = '';

  it('publishes a demo run that the worker runs and the projector shows in the timeline', async () => {
    const created = await post('/api/demo-runs', { project_id: 'acme', steps: 3, children: 2, fail_child: true });
    expect(created.status).toBe(202);
    runId = created.body['run_id'] as string;
    expect(runId).toMatch(/^demo-/);
    expect(created.body['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    const tree = await waitFor('demo run in the timeline', async () => {
      const r = await get(`/api/timeline?project_id=acme&root_run_id=${runId}`);
      const root = r.body.items?.find((i) => i['run_id'] === runId);
      return root?.['latest_reason_code'] === 'demo_run_completed' && r.body.items!.length === 3 ? r.body.items : undefined;
    });
    const failed = tree.find((r) => r['run_id'] === `${runId}-child-2`)!;
    expect(failed).toMatchObject({ parent_run_id: runId, highest_severity: 'error', latest_reason_code: 'demo_run_failed', orphan: false });
    const root = tree.find((r) => r['run_id'] === runId)!;
    expect(root).toMatchObject({ children_count: 2, event_count: 6, highest_severity: 'info', last_actor: 'service:demo-worker' });

    const one = await get(`/api/runs/${runId}?project_id=acme`);
    expect(one.status).toBe(200);
    expect(one.body['event_count']).toBe(6);
    expect((await get('/api/runs/no-such-run')).status).toBe(404);
  });

  it('filters and cursor-pages events without silent truncation', async () => {
    const all: Array<Record<string, unknown>> = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const r = await get(`/api/events?project_id=acme&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      all.push(...r.body.items!);
      cursor = r.body.next_cursor;
      pages += 1;
    } while (cursor);
    // 1 request + root (started, 3 progress, completed) + child-1 (4) + child-2 (3: started, step 1, failed)
    expect(all).toHaveLength(13);
    expect(pages).toBe(4);
    const seqs = all.map((e) => e['seq'] as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const errors = await get(`/api/events?project_id=acme&severity=error,critical`);
    expect(errors.body.items!.map((e) => e['reason_code'])).toEqual(['demo_run_failed']);
    const children = await get(`/api/events?parent_run_id=${runId}&reason_code=demo_run_completed`);
    expect(children.body.items!.map((e) => e['run_id'])).toEqual([`${runId}-child-1`]);
    const stage = await get(`/api/timeline?project_id=acme&stage=demo&severity=error`);
    expect(stage.body.items!.map((r) => r['run_id'])).toEqual([`${runId}-child-2`]);
    const future = await get(`/api/events?project_id=acme&since=2999-01-01T00:00:00Z`);
    expect(future.body.items).toEqual([]);
    expect(future.body.next_cursor).toBeNull();
  });

  it('rejects bad requests with a 400 that names the field', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/events?limit=abc', /query\.limit/],
      ['/api/events?limit=51', /query\.limit/],
      ['/api/events?severity=loud', /query\.severity.*must be one of info, warning, error, critical/],
      ['/api/events?reason_code=made_up', /query\.reason_code/],
      ['/api/events?since=yesterday', /query\.since.*ISO 8601/],
      ['/api/events?run_id=has.dot', /query\.run_id/],
      ['/api/events?bogus=1', /query\.bogus: unknown parameter/],
      ['/api/events?cursor=garbage', /query\.cursor/],
      ['/api/timeline?root_run_id=a%20b', /query\.root_run_id/],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.body['message']).toMatch(message);
    }
    const badBody = await post('/api/demo-runs', { steps: 0, children: 'two' });
    expect(badBody.status).toBe(400);
    expect(badBody.body['message']).toMatch(/body\.steps/);
    expect(badBody.body['message']).toMatch(/body\.children/);
  });

  it('honours Idempotency-Key: a retried POST names the same run and is stored once', async () => {
    const a = await post('/api/demo-runs', { project_id: 'idem', steps: 1, children: 0 }, { 'idempotency-key': 'req-42' });
    const b = await post('/api/demo-runs', { project_id: 'idem', steps: 1, children: 0 }, { 'idempotency-key': 'req-42' });
    expect(b.body['run_id']).toBe(a.body['run_id']);
    expect(a.body['duplicate']).toBe(false);
    expect(b.body['duplicate']).toBe(true);
    expect(b.body['seq']).toBe(a.body['seq']);
    await waitFor('idempotent run done', async () => (await get(`/api/runs/${a.body['run_id']}?project_id=idem`)).body['latest_reason_code'] === 'demo_run_completed');
    const requests = await get(`/api/events?project_id=idem&reason_code=demo_run_requested`);
    expect(requests.body.items).toHaveLength(1);
  });

  it('streams a run’s events as SSE from the log, and resumes after Last-Event-ID', async () => {
    const read = async (headers: Record<string, string>) => {
      const abort = new AbortController();
      const res = await fetch(`${base}/api/runs/${runId}/stream?project_id=acme`, { headers, signal: abort.signal });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const frames: Array<{ id: number; code: string }> = [];
      let buf = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        for (const frame of buf.split('\n\n').slice(0, -1)) {
          const id = /^id: (\d+)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (id && data) frames.push({ id: Number(id), code: (JSON.parse(data) as { reason_code: string }).reason_code });
        }
        buf = buf.slice(buf.lastIndexOf('\n\n') + 2);
        if (frames.some((f) => f.code === 'demo_run_completed')) break;
      }
      abort.abort();
      return frames;
    };
    const frames = await read({});
    expect(frames.map((f) => f.code)).toEqual([
      'demo_run_requested',
      'demo_run_started',
      'demo_run_progress',
      'demo_run_progress',
      'demo_run_progress',
      'demo_run_completed',
    ]);
    const resumed = await read({ 'last-event-id': String(frames[2]!.id) });
    expect(resumed.map((f) => f.id)).toEqual(frames.slice(3).map((f) => f.id));
  });

  it('serves its OpenAPI document and health endpoints', async () => {
    const doc = await get('/api/openapi.json');
    expect(doc.body['openapi']).toBe('3.1.0');
    const paths = doc.body['paths'] as Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/api/events', '/api/timeline', '/api/runs/{runId}/stream', '/api/demo-runs']));
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/api/projects/{projectId}/imports', '/api/projects/{projectId}/clean', '/api/projects/{projectId}/prepare', '/api/projects/{projectId}/tasks/{taskId}']),
    );
    expect(paths['/api/events']!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['project_id', 'severity', 'cursor', 'limit', 'since']));
    expect((await get('/health/live')).status).toBe(200);
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body['checks']).toMatchObject({ nats: { ok: true }, database: { ok: true } });
  });
});
