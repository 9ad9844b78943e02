/**
 * `GET /api/projects/:projectId/evaluations/:runId/predictions`: the stored per-row predictions of a completed
 * evaluation, paged with an offset cursor and filtered to the wrong or right rows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { waitFor } from '@distillery/testing';
import type { IsolatedSpine } from '@distillery/testing-spine';
import { startApiStack, type ApiStack } from './support/api-stack.js';

describe('evaluation predictions over the API', () => {
  let stack: ApiStack;
  let spine: IsolatedSpine;
  let base = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'api-preds-'));

  beforeAll(async () => {
    stack = await startApiStack('apipreds', { DISTILLERY_DATA_DIR: dataDir });
    ({ spine, base } = stack);
    // 7 rows: 0, 3 and 5 wrong (5 predicted nothing usable); right is case- and whitespace-blind.
    const rows = ['1', '0', '1', '1', '0', '0', '1'].map((gold, i) => ({
      row_id: `r${i}`,
      references: [gold],
      prediction: i === 5 ? null : [0, 3].includes(i) ? (gold === '1' ? '0' : '1') : i === 6 ? ` ${gold} ` : gold,
      label_logprobs: { '0': -1 - i, '1': -2 },
      base_prediction: '1',
    }));
    const store = new FileArtifactStore(join(dataDir, 'artifacts'));
    const predictions_ref = await store.put([rows.map((r) => JSON.stringify(r)).join('\n') + '\n'], 'application/x-ndjson');
    const pub = spine.log.publisher({ app: 'api-preds-test', version: '0' });
    await pub.publish({ reason_code: 'eval_completed', project_id: 'shop', run_id: 'eval-p1', summary: 'done', payload: { metrics: { accuracy: 4 / 7 }, predictions_ref, task_profile: 'classification', rows: 7 } });
    await pub.publish({ reason_code: 'eval_progress', project_id: 'shop', run_id: 'eval-p2', summary: 'running', payload: { phase: 'candidate', done: 1, total: 7 } });
    await waitFor('the evaluations in the timeline', async () => {
      const a = await fetch(`${base}/api/projects/shop/evaluations/eval-p1`);
      const b = await fetch(`${base}/api/projects/shop/evaluations/eval-p2`);
      return a.status === 200 && b.status === 200 ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => stack?.stop());

  type Page = { items: Array<{ index: number; row_id: string; prediction: string | null; correct: boolean; base_prediction: string; label_logprobs: Record<string, number> }>; next_cursor: number | null; error?: string; message?: string };
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Page };
  };

  it('pages through every row with an offset cursor, each with its references, prediction and stored fields', async () => {
    const seen: string[] = [];
    let cursor: number | null = 0;
    let pages = 0;
    while (cursor !== null) {
      const r = await get(`/api/projects/shop/evaluations/eval-p1/predictions?limit=3&cursor=${cursor}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((i) => i.row_id));
      cursor = r.body.next_cursor;
      pages++;
    }
    expect(seen).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(pages).toBe(3);
    const first = (await get('/api/projects/shop/evaluations/eval-p1/predictions?limit=1')).body;
    expect(first.items[0]).toMatchObject({ index: 0, row_id: 'r0', prediction: '0', correct: false, base_prediction: '1', label_logprobs: { '0': -1, '1': -2 } });
    expect(first.next_cursor).toBe(1);
  });

  it('only=wrong and only=right filter, and the cursor skips to the next matching row', async () => {
    const wrong = await get('/api/projects/shop/evaluations/eval-p1/predictions?only=wrong&limit=2');
    expect(wrong.body.items.map((i) => i.row_id)).toEqual(['r0', 'r3']);
    expect(wrong.body.next_cursor).toBe(5);
    const rest = await get('/api/projects/shop/evaluations/eval-p1/predictions?only=wrong&limit=2&cursor=5');
    expect(rest.body.items.map((i) => [i.row_id, i.prediction])).toEqual([['r5', null]]);
    expect(rest.body.next_cursor).toBeNull();
    const right = await get('/api/projects/shop/evaluations/eval-p1/predictions?only=right');
    expect(right.body.items.map((i) => i.row_id)).toEqual(['r1', 'r2', 'r4', 'r6']);
    expect(right.body.items.every((i) => i.correct)).toBe(true);
  });

  it('refuses a bad query, an evaluation that has not completed, and an unknown one', async () => {
    const bad = await get('/api/projects/shop/evaluations/eval-p1/predictions?only=maybe&limit=0&cursor=-1');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/query\.limit/);
    expect(bad.body.message).toMatch(/query\.only/);
    expect(bad.body.message).toMatch(/query\.cursor/);
    expect((await get('/api/projects/shop/evaluations/eval-p1/predictions?page=2')).status).toBe(400);
    expect((await get('/api/projects/shop/evaluations/eval-p2/predictions')).status).toBe(409);
    expect((await get('/api/projects/shop/evaluations/eval-nope/predictions')).status).toBe(404);
  });
});
