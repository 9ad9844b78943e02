/**
 * GET /api/failure-clusters and /api/failure-clusters/:id against real NATS and PostgreSQL: failure events published
 * to the log, projected by the projector, served by the API.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KNOWN_FIXES, type RunEventDraft } from '@distillery/contracts';
import type { EventPublisher } from '@distillery/eventlog';
import { waitFor } from '@distillery/testing';
import type { IsolatedSpine } from '@distillery/testing-spine';
import { startApiStack, type ApiStack } from './support/api-stack.js';

type Body = Record<string, unknown> & { items?: Array<Record<string, unknown>>; next_cursor?: string | null };

describe('failure clusters over HTTP', () => {
  let stack: ApiStack;
  let spine: IsolatedSpine;
  let pub: EventPublisher;
  let base = '';

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Body };
  };
  const oom = (run_id: string, step: number): RunEventDraft => ({
    reason_code: 'training_oom',
    project_id: 'acme',
    run_id,
    summary: `out of memory at step ${step}: CUDA out of memory`,
    payload: { step, failure: { error_class: 'EngineOomError', message: 'CUDA out of memory' } },
  });

  beforeAll(async () => {
    stack = await startApiStack('fcapi', { API_MAX_PAGE_SIZE: '50' });
    ({ spine, base } = stack);
    pub = spine.log.publisher({ app: 'test', version: '1' });
    for (const d of [
      oom('train-1', 1200),
      oom('train-2', 4500),
      { reason_code: 'cleaning_failed', project_id: 'acme', run_id: 'clean-1', summary: 'cleaning failed: cannot read /data/a.jsonl', payload: { failure: { error_class: 'Error', message: 'ENOENT' } } },
      oom('train-1', 1300),
      { reason_code: 'training_started', project_id: 'acme', run_id: 'train-3', summary: 'started', payload: { engine: 'ort' } },
    ] satisfies RunEventDraft[]) {
      await pub.publish(d);
      // Distinct occurred_at milliseconds, so "newest last_seen first" has no ties to break.
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor('clusters projected', async () => {
      const r = await get('/api/failure-clusters?project_id=acme');
      return r.body.items?.length === 2 && r.body.items.some((c) => c['count'] === 3) ? r : undefined;
    });
  }, 60_000);

  afterAll(async () => stack?.stop());

  it('lists clusters newest first with counts, affected runs and the known fix', async () => {
    const r = await get('/api/failure-clusters?project_id=acme');
    expect(r.status).toBe(200);
    expect(r.body.next_cursor).toBeNull();
    const [oomCluster, cleaning] = r.body.items! as Array<Record<string, unknown>>;
    expect(oomCluster).toMatchObject({
      project_id: 'acme',
      stage: 'training',
      reason_code: 'training_oom',
      signature: 'out of memory at step <n>: CUDA out of memory',
      count: 3,
      runs_count: 2,
      recent_run_ids: ['train-1', 'train-2'],
      severity: 'error',
      known_fix: KNOWN_FIXES.training_oom,
    });
    expect(cleaning).toMatchObject({ reason_code: 'cleaning_failed', signature: 'cleaning failed: cannot read <path>', count: 1, known_fix: KNOWN_FIXES.cleaning_failed });
    expect(String(oomCluster!['cluster_id'])).toMatch(/^[0-9a-f]{24}$/);
  });

  it('filters by stage, code and time, and pages with a cursor', async () => {
    const codes = async (q: string) => (await get(`/api/failure-clusters?${q}`)).body.items!.map((c) => c['reason_code']);
    expect(await codes('stage=cleaning')).toEqual(['cleaning_failed']);
    expect(await codes('reason_code=training_oom,cleaning_failed&project_id=acme')).toEqual(['training_oom', 'cleaning_failed']);
    expect(await codes('project_id=nobody')).toEqual([]);
    expect(await codes('since=2999-01-01T00:00:00Z')).toEqual([]);
    expect(await codes('until=2000-01-01T00:00:00Z')).toEqual([]);
    const first = await get('/api/failure-clusters?project_id=acme&limit=1');
    expect(first.body.items!.map((c) => c['reason_code'])).toEqual(['training_oom']);
    const second = await get(`/api/failure-clusters?project_id=acme&limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body.items!.map((c) => c['reason_code'])).toEqual(['cleaning_failed']);
    expect(second.body.next_cursor).toBeNull();
  });

  it('shows one cluster with exemplars, affected runs and the hint, by id or unique prefix', async () => {
    const id = String((await get('/api/failure-clusters?reason_code=training_oom')).body.items![0]!['cluster_id']);
    const r = await get(`/api/failure-clusters/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ cluster_id: id, count: 3, runs_count: 2, known_fix: KNOWN_FIXES.training_oom });
    expect((r.body['exemplars'] as Array<Record<string, unknown>>).map((x) => [x['run_id'], x['summary']])).toEqual([
      ['train-1', 'out of memory at step 1300: CUDA out of memory'],
      ['train-2', 'out of memory at step 4500: CUDA out of memory'],
      ['train-1', 'out of memory at step 1200: CUDA out of memory'],
    ]);
    expect((r.body['exemplars'] as Array<Record<string, unknown>>)[0]).toEqual({
      seq: expect.any(Number),
      event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      run_id: 'train-1',
      summary: 'out of memory at step 1300: CUDA out of memory',
      severity: 'error',
      occurred_at: expect.stringMatching(/Z$/),
    });
    expect((r.body['affected_runs'] as Array<Record<string, unknown>>).map((x) => [x['run_id'], x['count']])).toEqual([
      ['train-1', 2],
      ['train-2', 1],
    ]);
    expect((await get(`/api/failure-clusters/${id.slice(0, 8).toUpperCase()}`)).body['cluster_id']).toBe(id);
    const missing = await get(`/api/failure-clusters/${'0'.repeat(24)}`);
    expect([missing.status, missing.body['error']]).toEqual([404, 'not_found']);
  });

  it('rejects bad requests with a 400 that names the field', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/failure-clusters?stage=nowhere', /query\.stage.*must be one of/],
      ['/api/failure-clusters?reason_code=made_up', /query\.reason_code/],
      ['/api/failure-clusters?limit=0', /query\.limit/],
      ['/api/failure-clusters?limit=51', /query\.limit/],
      ['/api/failure-clusters?since=yesterday', /query\.since.*ISO 8601/],
      ['/api/failure-clusters?cursor=garbage', /query\.cursor/],
      ['/api/failure-clusters?severity=error', /query\.severity: unknown parameter/],
      ['/api/failure-clusters/abc', /path\.id/],
      ['/api/failure-clusters/not-hex-at-all', /path\.id/],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.body['message']).toMatch(message);
    }
  });

  it('documents both endpoints in the OpenAPI document', async () => {
    const paths = (await get('/api/openapi.json')).body['paths'] as Record<string, { get?: { parameters?: Array<{ name: string; in: string }> } }>;
    expect(paths['/api/failure-clusters']!.get!.parameters!.map((p) => p.name)).toEqual(['project_id', 'stage', 'reason_code', 'since', 'until', 'cursor', 'limit']);
    expect(paths['/api/failure-clusters/{id}']!.get!.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
  });
});
