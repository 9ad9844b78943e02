/**
 * The audit explorer over HTTP against real NATS and PostgreSQL: the filters of GET /api/events, the JSON Lines
 * export of every match, and time travel of a run (GET /api/runs/:id?at=) and of a deployment slot
 * (GET /api/projects/:p/deployments/:slot?at=).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEventDraft } from '@distillery/contracts';
import type { EventPublisher } from '@distillery/eventlog';
import { waitFor } from '@distillery/testing';
import type { IsolatedSpine } from '@distillery/testing-spine';
import { startApiStack, type ApiStack } from './support/api-stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ref = { uri: `artifact://sha256/${'a'.repeat(64)}`, sha256: 'a'.repeat(64), bytes: 1, media_type: 'application/octet-stream' };

describe('the audit explorer over HTTP', () => {
  let stack: ApiStack;
  let spine: IsolatedSpine;
  let pub: EventPublisher;
  let base = '';
  const t: string[] = [];

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const json = async (path: string) => {
    const r = await get(path);
    return { status: r.status, body: JSON.parse(r.text) as Record<string, unknown> };
  };
  const mark = async () => {
    await sleep(20);
    t.push(new Date().toISOString());
    await sleep(20);
  };

  beforeAll(async () => {
    stack = await startApiStack('audit', { API_MAX_PAGE_SIZE: '10' });
    ({ spine, base } = stack);
    pub = spine.log.publisher({ app: 'test', version: '1' });
    const slot = (d: Omit<RunEventDraft, 'project_id' | 'run_id'>) => pub.publish({ ...d, project_id: 'acme', run_id: 'deploy-prod' } as RunEventDraft);
    await mark(); // t0: nothing yet
    await pub.publish({ reason_code: 'training_requested', project_id: 'acme', run_id: 'train-1', actor: 'user:alice', summary: 'train the ticket classifier', payload: {} } as RunEventDraft);
    await slot({ reason_code: 'deployment_created', summary: 'v1', payload: { target: 'runner', version: 1, slot: 'prod', bundle_ref: ref } });
    await slot({ reason_code: 'deployment_promoted', summary: 'v1 live', payload: { version: 1, slot: 'prod' } });
    await mark(); // t1: v1 live, training requested
    await pub.publish({ reason_code: 'training_started', project_id: 'acme', run_id: 'train-1', summary: 'started', payload: { engine: 'ort' } } as RunEventDraft);
    await slot({ reason_code: 'deployment_created', summary: 'v2', payload: { target: 'runner', version: 2, slot: 'prod', bundle_ref: ref } });
    await slot({ reason_code: 'deployment_promoted', summary: 'v2 live', payload: { version: 2, slot: 'prod' } });
    await mark(); // t2: v2 live
    for (let i = 0; i < 7; i++) await pub.publish({ reason_code: 'training_oom', project_id: 'acme', run_id: 'train-1', summary: `out of memory at step ${100 * i}`, payload: { step: 100 * i, failure: { error_class: 'EngineOomError', message: 'oom' } } } as RunEventDraft);
    await slot({ reason_code: 'deployment_rolled_back', summary: 'back to v1', payload: { slot: 'prod', from_version: 2, to_version: 1 } });
    await waitFor('events projected', async () => {
      const r = await get('/api/events/export?project_id=acme');
      return r.text.trimEnd().split('\n').length === 14 ? r : undefined;
    });
  }, 60_000);

  afterAll(async () => stack?.stop());

  it('filters by actor and free text; a bad actor is a 400 naming the field', async () => {
    const byAlice = await json('/api/events?project_id=acme&actor=user:alice');
    expect((byAlice.body['items'] as Array<{ reason_code: string }>).map((e) => e.reason_code)).toEqual(['training_requested']);
    const oom = await json('/api/events?project_id=acme&q=OUT%20OF%20MEMORY&limit=5');
    expect((oom.body['items'] as unknown[]).length).toBe(5);
    expect(oom.body['next_cursor']).not.toBeNull();
    const bad = await json('/api/events?actor=alice');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/actor/);
  });

  it('exports every match as JSON Lines, in log order, across the pages it reads inside', async () => {
    const r = await get('/api/events/export?project_id=acme&run_id=train-1');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="distillery-events-acme-.*\.jsonl"/);
    const lines = r.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; reason_code: string; run_id: string; id: string; payload: unknown });
    expect(lines.map((e) => e.reason_code)).toEqual(['training_requested', 'training_started', ...Array(7).fill('training_oom')]);
    expect(lines.every((e, i) => i === 0 || e.seq > lines[i - 1]!.seq)).toBe(true);
    expect(lines[2]!.payload).toEqual({ step: 0, failure: { error_class: 'EngineOomError', message: 'oom' } });
    // The export reads the read model a page at a time (the API's max page, 10 here): 14 events, two pages, no cut.
    expect((await get('/api/events/export?project_id=acme')).text.trimEnd().split('\n')).toHaveLength(14);
    expect((await get('/api/events/export?project_id=acme&cursor=x')).status).toBe(400);
  });

  it('time travel of a run: three instants, three states; before its first event, 404', async () => {
    expect((await json(`/api/runs/train-1?project_id=acme&at=${t[0]}`)).status).toBe(404);
    const a = await json(`/api/runs/train-1?project_id=acme&at=${t[1]}`);
    expect(a.body).toMatchObject({ event_count: 1, latest_reason_code: 'training_requested', highest_severity: 'info', last_actor: 'user:alice', as_of: t[1] });
    const b = await json(`/api/runs/train-1?project_id=acme&at=${t[2]}`);
    expect(b.body).toMatchObject({ event_count: 2, latest_reason_code: 'training_started', highest_severity: 'info' });
    const now = await json('/api/runs/train-1?project_id=acme');
    expect(now.body).toMatchObject({ event_count: 9, latest_reason_code: 'training_oom', highest_severity: 'error' });
    const bad = await json('/api/runs/train-1?at=yesterday');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/at: expected an ISO 8601 time/);
  });

  it('time travel of a deployment slot: what was live when', async () => {
    expect((await json(`/api/projects/acme/deployments/prod?at=${t[0]}`)).status).toBe(404);
    expect((await json(`/api/projects/acme/deployments/prod?at=${t[1]}`)).body).toMatchObject({ live: 1, promotions: [1], as_of: t[1] });
    expect((await json(`/api/projects/acme/deployments/prod?at=${t[2]}`)).body).toMatchObject({ live: 2, promotions: [1, 2] });
    expect((await json('/api/projects/acme/deployments/prod')).body).toMatchObject({ live: 1 });
  });
});
