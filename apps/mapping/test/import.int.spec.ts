/**
 * The import flow end to end through the API, the mapping service and the projector, on real NATS and PostgreSQL:
 * introspect → import (auto / explicit / forced) → dataset_import_run with counts that add up → re-import adds
 * nothing → saved mappings → failures become events naming what went wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { RunningApp } from '@distillery/platform-nest';
import { createLogger, startTelemetry } from '@distillery/telemetry';
import { natsService, postgresService, waitFor, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { parseApiConfig, startApi } from '@distillery/app-api';
import { parseProjectorConfig, startProjector } from '@distillery/app-projector';
import { parseMappingConfig, startMapping } from '../src/index.js';

const fixtures = join(import.meta.dirname, 'fixtures');

describe('imports through the API and the mapping service', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let spine: IsolatedSpine;
  let db: DatabaseHandle;
  const apps: RunningApp[] = [];
  let base = '';
  const env: Record<string, string> = {};
  const dataDir = mkdtempSync(join(tmpdir(), 'distillery-import-'));

  beforeAll(async () => {
    startTelemetry({ serviceName: 'import-test', serviceVersion: '0' });
    nats = await natsService();
    pg = await postgresService();
    spine = await isolatedSpine('imp', nats, pg, { PORT: '0', DISTILLERY_DATA_ROOTS: fixtures, DISTILLERY_DATA_DIR: dataDir });
    Object.assign(env, spine.env);
    db = await openDatabase({ url: pg.url, schema: env['DATABASE_SCHEMA'] });
    const logger = createLogger('import-test', 'error');
    apps.push(await startProjector({ config: parseProjectorConfig(env), logger, eventLog: spine.log, database: db, http: false }));
    apps.push(await startMapping({ config: parseMappingConfig(env), logger, eventLog: spine.log, database: db, http: false }));
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
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const finished = (project: string, runId: string) =>
    waitFor(`import ${runId} finished`, async () => {
      const r = await call('GET', `/api/projects/${project}/imports/${runId}`);
      return r.status === 200 && ['completed', 'failed'].includes(r.body['status'] as string) ? r.body : undefined;
    });

  const sentiment = 'tsv:imdb_labelled_head.txt?header=false';

  it('introspects a headerless TSV as classification with confidence ≥ 0.80, writing no event', async () => {
    const before = await spine.log.lastSeq();
    const r = await call('POST', '/api/projects/films/imports/introspect', { locator: sentiment });
    expect(r.status).toBe(200);
    const intro = r.body['introspection'] as { proposed: { mapper_id: string; confidence: number; field_map: Record<string, string> }; auto_ok: boolean };
    expect(intro.proposed.mapper_id).toBe('label_to_classification');
    expect(intro.proposed.confidence).toBeGreaterThanOrEqual(0.8);
    expect(intro.auto_ok).toBe(true);
    expect((r.body['description'] as { sample: unknown[] }).sample).toHaveLength(20);
    expect(await spine.log.lastSeq()).toBe(before);
  });

  let firstRun = '';
  it('imports with --auto: counts add up, accepted and rejected rows are stored as artifacts', async () => {
    const r = await call('POST', '/api/projects/films/imports', { locator: sentiment, auto: true, save_as: 'imdb-head' });
    expect(r.status).toBe(202);
    firstRun = r.body['run_id'] as string;
    expect(r.body['choice']).toMatchObject({ mapper_id: 'label_to_classification', selection: 'auto' });
    const done = await finished('films', firstRun);
    expect(done).toMatchObject({ status: 'completed', rows_read: 60, rows_accepted: 60, rows_rejected: 0, rows_duplicate: 0, saved_mapping_id: expect.stringMatching(/^map-/) });
    const store = new FileArtifactStore(join(dataDir, 'artifacts'));
    const rows: Array<{ row_id: string; record: { text: string; label: string } }> = [];
    for await (const row of store.readJsonl<{ row_id: string; record: { text: string; label: string } }>(done['accepted_ref'] as { uri: string })) rows.push(row);
    expect(rows).toHaveLength(60);
    expect(new Set(rows.map((x) => x.record.label))).toEqual(new Set(['0', '1']));
    expect(rows[0]!.record.text).toMatch(/^A very, very, very slow-moving, aimless movie/);
  });

  it('re-importing the same source adds no rows', async () => {
    const r = await call('POST', '/api/projects/films/imports', { locator: sentiment, mapper: 'label_to_classification' });
    const done = await finished('films', r.body['run_id'] as string);
    expect(done).toMatchObject({ status: 'completed', rows_read: 60, rows_accepted: 60, rows_duplicate: 60 });
  });

  it('lists saved mappings with their last run and re-runs one in one call', async () => {
    const list = await call('GET', '/api/projects/films/mappings');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items![0]).toMatchObject({ name: 'imdb-head', mapper_id: 'label_to_classification', runs: 1, last_run_id: firstRun });
    const rerun = await call('POST', `/api/projects/films/mappings/imdb-head/rerun`, undefined);
    expect(rerun.status).toBe(202);
    await finished('films', rerun.body['run_id'] as string);
    await waitFor('saved mapping run counted', async () => ((await call('GET', '/api/projects/films/mappings')).body.items![0]!['runs'] === 2 ? true : undefined));
  });

  it('turns unparseable lines into rejected rows with a reason, never drops them', async () => {
    const r = await call('POST', '/api/projects/reviews/imports', { locator: 'jsonl:broken.jsonl', mapper: 'label_to_classification', field_map: { text: 'text', label: 'label' } });
    expect(r.status).toBe(202);
    const done = await finished('reviews', r.body['run_id'] as string);
    expect(done).toMatchObject({ status: 'completed', rows_read: 10, rows_accepted: 8, rows_rejected: 2 });
    expect(done['rejections']).toEqual({ parse_error: 1, empty_text: 1 });
  });

  it('refuses a mapper whose task profile differs from the project’s, as a failure event', async () => {
    const r = await call('POST', '/api/projects/films/imports', { locator: sentiment, mapper: 'text_only', field_map: { text: 'column_1' } });
    expect(r.status).toBe(202);
    const done = await finished('films', r.body['run_id'] as string);
    expect(done).toMatchObject({ status: 'failed', failure_code: 'ingest_validation_failed' });
    expect(done['failure_message']).toMatch(/holds a classification dataset; mapper text_only produces language_modeling rows/);
  });

  it('never auto-picks below 0.80: 422 with the hypotheses, unless forced', async () => {
    const low = await call('POST', '/api/projects/misc/imports', { locator: 'jsonl:two_texts.jsonl', auto: true });
    expect(low.status).toBe(422);
    expect(low.body['error']).toBe('low_confidence');
    expect(low.body['message']).toMatch(/below the 0\.80 auto-import bar/);
    expect(low.body['confidence']).toBeLessThan(0.8);
    const forced = await call('POST', '/api/projects/misc/imports', { locator: 'jsonl:two_texts.jsonl', auto: true, force: true });
    expect(forced.status).toBe(202);
    expect(forced.body['choice']).toMatchObject({ selection: 'forced' });
  });

  it('names bad input: locators outside the data roots, missing files, unknown mappers, bad field maps', async () => {
    const escape = await call('POST', '/api/projects/x/imports', { locator: 'jsonl:../../../etc/passwd', auto: true });
    expect(escape.status).toBe(400);
    expect(escape.body['message']).toMatch(/body\.locator: .*outside the data roots/);
    const missing = await call('POST', '/api/projects/x/imports', { locator: 'jsonl:nope.jsonl', auto: true });
    expect(missing.status).toBe(400);
    expect(missing.body['message']).toMatch(/nope\.jsonl/);
    const unknown = await call('POST', '/api/projects/x/imports', { locator: sentiment, mapper: 'magic' });
    expect(unknown.status).toBe(400);
    expect(unknown.body['message']).toMatch(/unknown mapper 'magic'/);
    const badMap = await call('POST', '/api/projects/x/imports', { locator: sentiment, mapper: 'label_to_classification', field_map: { text: 'nope', label: 'column_2' } });
    expect(badMap.status).toBe(400);
    expect(badMap.body['message']).toMatch(/column 'nope' is not in the source/);
    const format = await call('POST', '/api/projects/x/imports', { locator: 'xlsx:book.xlsx', auto: true });
    expect(format.status).toBe(415);
  });

  it('dry-runs without writing: full rejection breakdown, dropped reasons hidden from samples only', async () => {
    // Its own project: imports started by earlier tests may still be publishing into the log meanwhile.
    const r = await call('POST', '/api/projects/dryrun-only/imports/dry-run', {
      locator: 'jsonl:broken.jsonl',
      mapper: 'label_to_classification',
      field_map: { text: 'text', label: 'label' },
      drop: ['empty_text'],
    });
    expect(r.status).toBe(200);
    const report = r.body['report'] as { read: number; accepted: number; rejected: number; rejections: Array<{ reason: string; count: number; examples: unknown[]; dropped: boolean }> };
    expect([report.read, report.accepted, report.rejected]).toEqual([10, 8, 2]);
    const byReason = Object.fromEntries(report.rejections.map((g) => [g.reason, g]));
    expect(byReason['empty_text']).toMatchObject({ count: 1, dropped: true, examples: [] });
    expect(byReason['parse_error']!.examples).toHaveLength(1);
    const written: unknown[] = [];
    for await (const batch of spine.log.read({ fromSeq: 1, follow: false, filterSubject: `${spine.log.subjectPrefix}.dryrun-only.>` })) written.push(...batch);
    expect(written).toEqual([]);
  });

  it('lists a project’s imports from the projection', async () => {
    const r = await call('GET', '/api/projects/films/imports');
    expect(r.body.items!.map((i) => i['status'])).toEqual(['completed', 'completed', 'completed', 'failed']);
  });
});
