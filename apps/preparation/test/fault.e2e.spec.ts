/**
 * Fault test: the preparation process is killed (SIGKILL) in the middle of a cleaning job and started again. The
 * un-acknowledged request is redelivered, the job runs again from the start, and its result is the same as an
 * uninterrupted run of the same request: same counts, byte-identical cleaned rows and lineage. Nothing is lost and
 * nothing is written twice.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { RunningApp } from '@distillery/platform-nest';
import { createLogger } from '@distillery/telemetry';
import { builtEntry, natsService, postgresService, spawnNode, waitFor, type ServiceHandle, type Spawned } from '@distillery/testing';
import { SENTIMENT_IMDB, SENTIMENT_YELP } from '@distillery/testing-datasets';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { parseApiConfig, startApi } from '@distillery/app-api';
import { parseMappingConfig, startMapping } from '@distillery/app-mapping';
import { parseProjectorConfig, startProjector } from '@distillery/app-projector';

const ROWS = 30_000;

describe('preparation killed mid-job', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let spine: IsolatedSpine;
  let db: DatabaseHandle;
  const apps: RunningApp[] = [];
  let worker: Spawned | undefined;
  let base = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'distillery-fault-'));
  const src = mkdtempSync(join(tmpdir(), 'distillery-fault-src-'));
  const startWorker = () => spawnNode(builtEntry('apps/preparation/src/main.js'), [], { ...spine.env, LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    // Reviews generated from the real sentences' vocabulary (so they are distinct), with every 50th row repeated.
    const vocab = [...new Set([...SENTIMENT_IMDB.rows, ...SENTIMENT_YELP.rows].flatMap((r) => String(r['column_1']).toLowerCase().match(/[a-z]+/g) ?? []))];
    let seed = 99;
    const word = () => vocab[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % vocab.length];
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i++) {
      const text = i % 50 === 49 ? JSON.parse(lines[i - 1]!).text : Array.from({ length: 14 }, word).join(' ');
      lines.push(JSON.stringify({ text, label: i % 4 === 0 ? 'pos' : 'neg' }));
    }
    writeFileSync(join(src, 'reviews.jsonl'), lines.join('\n'));
    nats = await natsService();
    pg = await postgresService();
    spine = await isolatedSpine('fault', nats, pg, { PORT: '0', DISTILLERY_DATA_ROOTS: src, DISTILLERY_DATA_DIR: dataDir, PROGRESS_EVERY_MS: '0' });
    db = await openDatabase({ url: pg.url, schema: spine.env['DATABASE_SCHEMA'] });
    const logger = createLogger('fault-test', 'error');
    apps.push(await startProjector({ config: parseProjectorConfig(spine.env), logger, eventLog: spine.log, database: db, http: false }));
    apps.push(await startMapping({ config: parseMappingConfig(spine.env), logger, eventLog: spine.log, database: db, http: false }));
    const api = await startApi({ config: parseApiConfig(spine.env), logger, eventLog: spine.log, database: db });
    apps.push(api);
    base = api.url!;
  }, 60_000);

  afterAll(async () => {
    await worker?.kill('SIGTERM');
    for (const a of apps.reverse()) await a.stop();
    await db.close();
    await spine.cleanup();
    await pg.stop();
    await nats.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return (await res.json()) as Record<string, unknown>;
  };
  const task = (project: string, id: string) => call('GET', `/api/projects/${project}/tasks/${id}`);

  async function importInto(project: string): Promise<void> {
    const r = await call('POST', `/api/projects/${project}/imports`, { locator: 'jsonl:reviews.jsonl', mapper: 'label_to_classification', field_map: { text: 'text', label: 'label' } });
    await waitFor(`import into ${project}`, async () => (await call('GET', `/api/projects/${project}/imports/${r['run_id']}`))['status'] === 'completed', { timeoutMs: 60_000 });
  }

  it('a killed cleaning job is redelivered and its result equals an uninterrupted run', async () => {
    await importInto('killed');
    await importInto('calm');

    worker = startWorker();
    const killed = await call('POST', '/api/projects/killed/clean', {});
    // Kill it once the clean phase has started (profiling is done, rows are being written).
    await waitFor('the clean phase under way', async () => (await task('killed', killed['task_id'] as string))['phase'] === 'clean', { timeoutMs: 60_000, intervalMs: 20 });
    expect(await worker.kill('SIGKILL')).toBe('SIGKILL');
    const mid = await task('killed', killed['task_id'] as string);
    expect(mid['status']).toBe('running');
    expect(mid['rows_done'] as number).toBeLessThan(ROWS);

    worker = startWorker();
    const after = await waitFor('the killed job finished after the restart', async () => {
      const t = await task('killed', killed['task_id'] as string);
      return t['status'] === 'completed' || t['status'] === 'failed' ? t : undefined;
    }, { timeoutMs: 90_000 });
    expect(after['status']).toBe('completed');

    const calm = await call('POST', '/api/projects/calm/clean', {});
    const reference = await waitFor('the uninterrupted job', async () => {
      const t = await task('calm', calm['task_id'] as string);
      return t['status'] === 'completed' ? t : undefined;
    }, { timeoutMs: 90_000 });

    type Result = { rows_in: number; rows_out: number; removed: Record<string, number>; cleaned_ref: { sha256: string }; lineage_ref: { sha256: string } };
    const a = after['result'] as Result;
    const b = reference['result'] as Result;
    expect(a.rows_in).toBe(ROWS);
    expect(a.removed['exact_duplicate']).toBeGreaterThanOrEqual(ROWS / 50 - 1);
    expect(a.rows_out).toBe(b.rows_out);
    expect(a.removed).toEqual(b.removed);
    expect(a.cleaned_ref.sha256).toBe(b.cleaned_ref.sha256);
    expect(a.lineage_ref.sha256).toBe(b.lineage_ref.sha256);
    // One completion for the killed task: the redelivered job did not publish a second one.
    const events = await call('GET', `/api/events?project_id=killed&run_id=${killed['task_id']}&reason_code=cleaning_completed`);
    expect((events['items'] as unknown[]).length).toBe(1);
  }, 240_000);
});
