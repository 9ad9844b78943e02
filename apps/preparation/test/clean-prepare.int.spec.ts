/**
 * Clean and prepare end to end through the API, the mapping and preparation services and the projector, on real
 * NATS and PostgreSQL: the requests resolve their inputs from the read models, the tasks are polled to the end,
 * counts add up from import to split, PII blocks are failures that name rows, bad requests name the bad field.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import type { CleaningLineageEntry } from '@distillery/contracts';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { RunningApp } from '@distillery/platform-nest';
import { createLogger } from '@distillery/telemetry';
import { natsService, postgresService, repoRoot, waitFor, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { parseApiConfig, startApi } from '@distillery/app-api';
import { parseMappingConfig, startMapping } from '@distillery/app-mapping';
import { parseProjectorConfig, startProjector } from '@distillery/app-projector';
import { parsePreparationConfig, startPreparation } from '../src/index.js';

/** The bundled UCI sentiment sentences (examples/datasets, CC BY 4.0) and a generated file with PII in it. */
const uci = join(repoRoot, 'examples', 'datasets', 'uci-sentiment');

describe('clean and prepare through the API', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let spine: IsolatedSpine;
  let db: DatabaseHandle;
  const apps: RunningApp[] = [];
  let base = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'distillery-prep-'));
  const extra = mkdtempSync(join(tmpdir(), 'distillery-prep-src-'));

  beforeAll(async () => {
    writeFileSync(
      join(extra, 'tickets.jsonl'),
      [
        { text: 'My card 4539 1488 0343 6467 was charged twice for one order', label: 'billing' },
        { text: 'The app crashes every time I open the settings page', label: 'bug' },
        { text: 'Please send the invoice to accounts@example.com, thanks', label: 'billing' },
        { text: 'Dark mode makes the charts unreadable on small screens', label: 'bug' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    nats = await natsService();
    pg = await postgresService();
    spine = await isolatedSpine('prep', nats, pg, { PORT: '0', DISTILLERY_DATA_ROOTS: `${uci},${extra}`, DISTILLERY_DATA_DIR: dataDir, PROGRESS_EVERY_MS: '0' });
    db = await openDatabase({ url: pg.url, schema: spine.env['DATABASE_SCHEMA'] });
    const logger = createLogger('prep-test', 'error');
    const env = spine.env;
    apps.push(await startProjector({ config: parseProjectorConfig(env), logger, eventLog: spine.log, database: db, http: false }));
    apps.push(await startMapping({ config: parseMappingConfig(env), logger, eventLog: spine.log, database: db, http: false }));
    apps.push(await startPreparation({ config: parsePreparationConfig(env), logger, eventLog: spine.log, http: false }));
    const api = await startApi({ config: parseApiConfig(env), logger, eventLog: spine.log, database: db });
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

  type Json = Record<string, unknown> & { items?: Array<Record<string, unknown>> };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const importDone = (project: string, runId: string) =>
    waitFor(`import ${runId}`, async () => {
      const r = await call('GET', `/api/projects/${project}/imports/${runId}`);
      return r.body['status'] === 'completed' || r.body['status'] === 'failed' ? r.body : undefined;
    });
  const taskDone = (project: string, taskId: string) =>
    waitFor(`task ${taskId}`, async () => {
      const r = await call('GET', `/api/projects/${project}/tasks/${taskId}`);
      return r.body['status'] === 'completed' || r.body['status'] === 'failed' ? r.body : undefined;
    });

  it('refuses to clean a project with no imports and to prepare one that was never cleaned', async () => {
    const clean = await call('POST', '/api/projects/empty/clean', {});
    expect(clean.status).toBe(409);
    expect(clean.body['message']).toMatch(/project 'empty' has no imported rows yet/);
    const prep = await call('POST', '/api/projects/empty/prepare', {});
    expect(prep.status).toBe(409);
    expect(prep.body['message']).toMatch(/no completed cleaning: run distillery clean first/);
  });

  it('names a bad policy field and a bad ratio', async () => {
    const bad = await call('POST', '/api/projects/films/clean', { policy: { pii: { action: 'shred' } } });
    expect(bad.status).toBe(400);
    expect(bad.body['message']).toMatch(/body\.policy\.pii\.action/);
    const typo = await call('POST', '/api/projects/films/clean', { policy: { dedup: { nearr: false } } });
    expect(typo.status).toBe(400);
    expect(typo.body['message']).toMatch(/nearr/);
    const ratios = await call('POST', '/api/projects/films/prepare', { ratios: { train: 0.5, eval: 0.1, gold: 0.1 } });
    expect(ratios.status).toBe(400);
    expect(ratios.body['message']).toMatch(/body\.ratios: ratios must sum to 1/);
  });

  let cleanedRows = 0;
  it('imports two real sources, cleans them as one dataset, and the counts add up', async () => {
    let accepted = 0;
    for (const file of ['imdb_labelled.txt', 'yelp_labelled.txt']) {
      const r = await call('POST', '/api/projects/films/imports', { locator: `tsv:${file}?header=false`, auto: true });
      expect(r.status).toBe(202);
      const done = await importDone('films', r.body['run_id'] as string);
      expect(done['status']).toBe('completed');
      accepted += done['rows_accepted'] as number;
    }
    expect(accepted).toBe(1000);
    const r = await call('POST', '/api/projects/films/clean', { policy: { pii: { action: 'mask' } } });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ rows: 1000, inputs: 2 });
    const task = await taskDone('films', r.body['task_id'] as string);
    expect(task).toMatchObject({ kind: 'clean', status: 'completed', progress: 1 });
    const result = task['result'] as { rows_in: number; rows_out: number; removed: Record<string, number>; cleaned_ref: { uri: string } };
    expect(result.rows_in).toBe(1000);
    expect(result.rows_out + Object.values(result.removed).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(result.removed['exact_duplicate']).toBeGreaterThan(0); // the UCI files repeat a few sentences
    cleanedRows = result.rows_out;
    const report = await call('GET', `/api/projects/films/tasks/${r.body['task_id']}/report`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ rows_in: 1000, rows_out: cleanedRows, pii: { policy: { action: 'mask' } } });
  });

  it('prepares the cleaned dataset: stratified by label, manifest on disk, every cleaned row in exactly one split', async () => {
    const r = await call('POST', '/api/projects/films/prepare', { seed: 3 });
    expect(r.status).toBe(202);
    expect(r.body['strategy']).toEqual({ kind: 'stratified', field: 'label', seed: 3 });
    const task = await taskDone('films', r.body['task_id'] as string);
    expect(task['status']).toBe('completed');
    const manifest = (await call('GET', `/api/projects/films/tasks/${r.body['task_id']}/report`)).body as { counts: Record<string, number>; label_set: string[]; task_profile: string };
    expect(manifest.task_profile).toBe('classification');
    expect(manifest.label_set).toEqual(['0', '1']);
    expect(manifest.counts['train']! + manifest.counts['eval']! + manifest.counts['gold']!).toBe(cleanedRows);
    expect(manifest.counts['dropped']).toBe(1000 - cleanedRows);
    expect(manifest.counts['gold']).toBe(Math.round(cleanedRows * 0.1));
    const file = join(dataDir, 'projects', 'films', 'prepared', 'manifest.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(manifest);
    // Row lineage: a removed duplicate ends at cleaning, naming the row it repeats; the row it repeats goes on to a split.
    const cleaning = (await call('GET', '/api/projects/films/tasks')).body.items!.find((t) => t['kind'] === 'clean')!;
    const store = new FileArtifactStore(join(dataDir, 'artifacts'));
    let dup: CleaningLineageEntry | undefined;
    for await (const e of store.readJsonl<CleaningLineageEntry>((cleaning['result'] as { lineage_ref: { uri: string } }).lineage_ref)) {
      if (e.reason === 'exact_duplicate') {
        dup = e;
        break;
      }
    }
    const lineage = await waitFor('lineage projected', async () => {
      const l = await call('GET', `/api/projects/films/rows/${dup!.row_id}`);
      return l.status === 200 && (l.body['entries'] as unknown[]).length >= 2 ? (l.body['entries'] as Array<Record<string, unknown>>) : undefined;
    });
    expect(lineage.map((e) => [e['stage'], e['outcome'], e['reason']])).toEqual([
      ['mapping', 'accepted', null],
      ['cleaning', 'removed', 'exact_duplicate'],
    ]);
    expect((lineage[1]!['detail'] as { dedup: { exact_of: string } }).dedup.exact_of).toBe(dup!.dedup!.exact_of);
    const original = await waitFor('the original projected through prepare', async () => {
      const l = await call('GET', `/api/projects/films/rows/${dup!.dedup!.exact_of!.slice(0, 10)}`);
      const entries = l.body['entries'] as Array<Record<string, unknown>> | undefined;
      return entries?.some((e) => e['stage'] === 'preparation') ? entries : undefined;
    });
    expect(original.map((e) => e['outcome'])).toEqual(['accepted', 'kept', expect.stringMatching(/^(train|eval|gold)$/)]);
    expect((await call('GET', '/api/projects/films/rows/0123456789abcdef')).status).toBe(404);
    expect((await call('GET', '/api/projects/films/rows/xyz')).status).toBe(400);

    const prepared = await call('GET', '/api/projects/films/prepared');
    expect(prepared.body).toMatchObject({ task_id: r.body['task_id'], label_set: ['0', '1'] });
    const labelCounts = prepared.body['label_counts'] as Record<string, Record<string, number>>;
    expect(Object.values(labelCounts['gold']!).reduce((a, b) => a + b, 0)).toBe(manifest.counts['gold']);
  });

  it('leaves out an import whose rows are not in this workspace\'s store, and says so', async () => {
    const imp = await call('POST', '/api/projects/gone/imports', { locator: 'tsv:yelp_labelled.txt?header=false', auto: true });
    const done = await importDone('gone', imp.body['run_id'] as string);
    rmSync(new FileArtifactStore(join(dataDir, 'artifacts')).pathFor(done['accepted_ref'] as { uri: string }));
    const r = await call('POST', '/api/projects/gone/clean', {});
    expect(r.status).toBe(409);
    expect(r.body['message']).toMatch(/the rows of its 1 import\(s\) are not in this workspace's artifact store; import again/);
    expect((r.body['warnings'] as string[])[0]).toMatch(/is left out: its rows artifact:\/\/sha256\/\w+ are not in this workspace's artifact store/);
  });

  it('a block policy fails the cleaning with cleaning_pii_block, naming kinds and rows but writing nothing', async () => {
    const imp = await call('POST', '/api/projects/support/imports', { locator: `jsonl:${join(extra, 'tickets.jsonl')}`, mapper: 'label_to_classification', field_map: { text: 'text', label: 'label' } });
    expect(imp.body).toMatchObject({ run_id: expect.any(String) });
    expect((await importDone('support', imp.body['run_id'] as string))['rows_accepted']).toBe(4);
    const r = await call('POST', '/api/projects/support/clean', { policy: { pii: { action: 'redact', per_kind: { credit_card: 'block', email: 'block' } } } });
    const task = await taskDone('support', r.body['task_id'] as string);
    expect(task).toMatchObject({ status: 'failed', failure_code: 'cleaning_pii_block' });
    expect(task['result']).toMatchObject({ kinds: ['credit_card', 'email'], rows_affected: 2 });
    expect((task['result'] as { example_row_ids: string[] }).example_row_ids).toHaveLength(2);
    expect((task['result'] as { cleaned_ref?: unknown }).cleaned_ref).toBeUndefined();
    const blocked = (task['result'] as { example_row_ids: string[] }).example_row_ids[0]!;
    const entries = await waitFor('blocked row lineage', async () => {
      const l = await call('GET', `/api/projects/support/rows/${blocked}`);
      return l.status === 200 && (l.body['entries'] as unknown[]).length === 2 ? (l.body['entries'] as Array<Record<string, unknown>>) : undefined;
    });
    expect(entries[1]).toMatchObject({ stage: 'cleaning', outcome: 'removed', reason: 'pii_block' });
    expect(JSON.stringify(entries)).not.toMatch(/4539|accounts@example/);
    const prep = await call('POST', '/api/projects/support/prepare', {});
    expect(prep.status).toBe(409);
    // The timeline shows the failure as an error on the task's run.
    const run = await call('GET', `/api/runs/${r.body['task_id']}?project_id=support`);
    expect(run.body).toMatchObject({ highest_severity: 'error', latest_reason_code: 'cleaning_pii_block' });
  });
});
