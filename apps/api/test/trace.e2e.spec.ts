/**
 * One trace across processes: an HTTP request to the api process, the demo-worker process that handles the
 * resulting event, and the projector process that projects it — W3C trace context travels in NATS headers.
 * Each process writes its finished spans to its own file (DISTILLERY_SPAN_FILE, an in-memory-style exporter).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSpanFile, type FileSpan } from '@distillery/telemetry';
import { builtEntry, natsService, postgresService, spawnNode, waitFor, type ServiceHandle, type Spawned } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';

describe('trace continuity across processes', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let spine: IsolatedSpine;
  const env: Record<string, string> = {};
  const dir = mkdtempSync(join(tmpdir(), 'distillery-trace-'));
  const procs: Record<string, Spawned> = {};
  let api = '';

  beforeAll(async () => {
    nats = await natsService();
    pg = await postgresService();
    spine = await isolatedSpine('trace', nats, pg, { LOG_LEVEL: 'warn', DEMO_STEP_DELAY_MS: '0' });
    Object.assign(env, spine.env);
    // Every process listens on a port of its own choosing (PORT=0): no window in which another test can take a
    // port picked in advance. The api's URL is read from its "api started" log line.
    for (const app of ['api', 'demo-worker', 'projector']) {
      procs[app] = spawnNode(builtEntry(`apps/${app}/src/main.js`), [], {
        ...env,
        PORT: '0',
        ...(app === 'api' ? { LOG_LEVEL: 'info' } : {}),
        DISTILLERY_SPAN_FILE: join(dir, `${app}.jsonl`),
      });
    }
    let died = '';
    api = await waitFor(
      'api started',
      async () => {
        for (const [name, p] of Object.entries(procs)) {
          if (p.child.exitCode !== null || p.child.signalCode !== null) died = `${name} exited (${p.child.exitCode ?? p.child.signalCode}) while starting:\n${p.output().slice(-3_000)}`;
        }
        if (died) return 'died';
        const url = /"msg":"api started".*"url":"(http:[^"]+)"/.exec(procs['api']!.output())?.[1];
        return url && (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) ? url : undefined;
      },
      { timeoutMs: 60_000 },
    );
    if (died) throw new Error(died);
  }, 90_000);

  afterAll(async () => {
    for (const p of Object.values(procs)) await p.kill('SIGTERM');
    await spine.cleanup();
    await pg.stop();
    await nats.stop();
  });

  it('continues the trace of an API request through the worker and the projector', async () => {
    const res = await fetch(`${api}/api/demo-runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project_id: 'traced', steps: 1, children: 0 }),
    });
    expect(res.status).toBe(202);
    const { run_id: runId, trace_id: traceId } = (await res.json()) as { run_id: string; trace_id: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await waitFor('run completed in the timeline', async () => {
      const r = await fetch(`${api}/api/runs/${runId}?project_id=traced`);
      return r.ok && ((await r.json()) as { latest_reason_code: string }).latest_reason_code === 'demo_run_completed';
    });

    // Every event the run produced carries the request's trace id.
    type Events = { items: Array<{ reason_code: string; trace_id: string; span_id: string }> };
    const events = await waitFor('all four events indexed', async () => {
      const e = (await (await fetch(`${api}/api/events?project_id=traced&run_id=${runId}`)).json()) as Events;
      return e.items.length === 4 ? e : undefined;
    });
    expect(events.items.map((e) => e.reason_code)).toEqual(['demo_run_requested', 'demo_run_started', 'demo_run_progress', 'demo_run_completed']);
    expect(new Set(events.items.map((e) => e.trace_id))).toEqual(new Set([traceId]));

    // Stop the processes so they flush their spans, then follow the trace across the three span files.
    for (const p of Object.values(procs)) expect(await p.kill('SIGTERM')).toBe(0);
    const spans: Record<string, FileSpan[]> = {};
    for (const app of Object.keys(procs)) spans[app] = (await readSpanFile(join(dir, `${app}.jsonl`))).filter((s) => s.traceId === traceId);

    const server = spans['api']!.find((s) => s.kind === 'SERVER');
    const publish = spans['api']!.find((s) => s.name === 'publish demo_run_requested')!;
    expect(server?.serviceName).toBe('api');
    expect(publish.parentSpanId).not.toBeNull();
    expect(spans['api']!.map((s) => s.spanId)).toContain(publish.parentSpanId);

    const handle = spans['demo-worker']!.find((s) => s.name === 'handle demo_run_requested')!;
    expect(handle.kind).toBe('CONSUMER');
    expect(handle.parentSpanId).toBe(publish.spanId);
    const workerPublishes = spans['demo-worker']!.filter((s) => s.name.startsWith('publish '));
    expect(workerPublishes.length).toBeGreaterThanOrEqual(3);
    expect(workerPublishes.every((s) => s.parentSpanId === handle.spanId)).toBe(true);

    const projected = spans['projector']!.filter((s) => s.name.startsWith('project '));
    expect(projected.map((s) => s.serviceName)).toContain('projector');
    const requestProjected = projected.find((s) => s.name === 'project demo_run_requested');
    expect(requestProjected?.parentSpanId).toBe(publish.spanId);
    const started = workerPublishes.find((s) => s.name === 'publish demo_run_started')!;
    expect(projected.some((s) => s.parentSpanId === started.spanId)).toBe(true);
  });
});
