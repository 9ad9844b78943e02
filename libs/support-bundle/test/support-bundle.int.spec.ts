/**
 * Support bundles against the real spine: events go through the real publisher to NATS JetStream, the real projections
 * write PostgreSQL, recipe and data manifests are real artifacts. Secrets are planted where the publisher scrubs them
 * (event payloads and summaries) and where it cannot see them (the manifest artifacts the bundle reads), and the ZIP is
 * opened by Python's zipfile (an independent reader) and searched file by file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, RunEventDraft } from '@distillery/contracts';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import { EventLog, buildTopology, type EventPublisher } from '@distillery/eventlog';
import { dataTasksProjection, trainingRunsProjection } from '@distillery/data-views';
import { failureClustersProjection } from '@distillery/failure-clusters';
import { ProjectionRunner } from '@distillery/projection-runtime';
import { natsService, postgresService, uniqueName, type ServiceHandle } from '@distillery/testing';
import { Redactor } from '@distillery/redaction';
import { RUN_EVENTS_VIEW, runEventsProjection, timelineProjection } from '@distillery/timeline';
import { SUPPORT_BUNDLES_TABLE, SupportBundleScopeError, SupportBundleService, buildSupportBundle, type SupportBundleManifest } from '../src/index.js';
import { EXPECTED_KINDS, FORBIDDEN, REPRO, SECRETS, secretConfig } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'support-bundle-int-'));

/** Every file of the archive as text, read by Python's zipfile after testzip() checked every CRC. */
function unzipWithPython(zip: Buffer): Record<string, string> {
  const file = join(tmp, `${createHash('sha256').update(zip).digest('hex').slice(0, 16)}.zip`);
  writeFileSync(file, zip);
  const script = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'print(json.dumps({i.filename: z.read(i).decode("utf-8") for i in z.infolist()}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as Record<string, string>;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('support bundle over the real spine', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let log: EventLog;
  let dbh: DatabaseHandle;
  let pub: EventPublisher;
  let artifacts: FileArtifactStore;
  const runners: ProjectionRunner[] = [];
  const project = uniqueName('sbp').replace(/[^A-Za-z0-9_-]/g, '-');
  const topology = buildTopology({ streamName: uniqueName('SB').toUpperCase(), subjectPrefix: uniqueName('sb'), consumers: [] });
  const schema = uniqueName('sb');
  let manifestRef: ArtifactRef;
  let lastSeq = 0;

  const publish = async (draft: RunEventDraft) => {
    const r = await pub.publish(draft);
    lastSeq = r.seq;
    return r;
  };
  const projected = async () => {
    for (const r of runners) await r.waitFor(lastSeq);
  };
  const sources = () => ({ db: dbh.db, artifacts, natsServerVersion: () => log.serverVersion() });
  const fakeRef = async (text: string, mediaType = 'application/octet-stream') => artifacts.put([text], mediaType);

  beforeAll(async () => {
    nats = await natsService();
    pg = await postgresService();
    log = await EventLog.connect({ url: nats.url, name: 'support-bundle-test', topology });
    await log.applyTopology();
    pub = log.publisher({ app: 'test', version: '1' });
    dbh = await openDatabase({ url: pg.url, schema });
    artifacts = new FileArtifactStore(join(tmp, 'artifacts'));
    for (const p of [runEventsProjection, timelineProjection, trainingRunsProjection, dataTasksProjection, failureClustersProjection]) {
      const r = new ProjectionRunner(p, { log, db: dbh.db, schema: dbh.schema });
      await r.start();
      runners.push(r);
    }

    // The data manifest: reproducibility fields, and every secret kind where the publisher never looks.
    manifestRef = await artifacts.put(
      [
        JSON.stringify({
          schema: 'distillery.manifest/1',
          tokenizer: REPRO.tokenizer,
          tokenizer_sha256: REPRO.tokenizerSha256,
          pad_token: REPRO.padToken,
          base_model: REPRO.baseModel,
          model_id: REPRO.modelId,
          git_commit: REPRO.commit,
          datasets: [{ dataset_id: 'reviews', authors: REPRO.authors, sha256: REPRO.datasetSha256, import_run_id: 'import-1' }],
          source_config: secretConfig(),
        }),
      ],
      'application/json',
    );
    const recipe = { name: 'sft-small', base_model: REPRO.baseModel, tokenizer: REPRO.tokenizer, ...secretConfig() };

    await publish({ reason_code: 'dataset_prepared', project_id: project, run_id: 'prep-1', summary: 'prepared', payload: { manifest_ref: manifestRef, counts: { train: 8, eval: 1, gold: 1 } } });
    await publish({
      reason_code: 'training_requested',
      project_id: project,
      run_id: 'train-1',
      summary: `train with token=${SECRETS.huggingface}`,
      payload: { manifest_ref: manifestRef, recipe, base_model: REPRO.baseModel },
    });
    await publish({ reason_code: 'training_started', project_id: project, run_id: 'train-1', summary: 'started on ort', payload: { engine: 'ort', total_steps: 10 } });
    await publish({ reason_code: 'training_completed', project_id: project, run_id: 'train-1', summary: 'done', payload: { model_ref: await fakeRef('weights'), final_loss: 0.5, steps: 10 } });
    await publish({ reason_code: 'export_requested', project_id: project, run_id: 'export-1', parent_run_id: 'train-1', summary: 'export train-1 as hf', payload: { format: 'hf', training_run_id: 'train-1' } });
    await publish({ reason_code: 'export_completed', project_id: project, run_id: 'export-1', parent_run_id: 'train-1', summary: 'exported', payload: { format: 'hf', bundle_ref: await fakeRef('bundle'), training_run_id: 'train-1' } });
    await publish({ reason_code: 'training_requested', project_id: project, run_id: 'train-2', summary: 'second run', payload: { manifest_ref: manifestRef, base_model: REPRO.baseModel } });
    await publish({
      reason_code: 'training_runtime_error',
      project_id: project,
      run_id: 'train-2',
      summary: `push to postgres://admin:${SECRETS.urlPassword}@db failed with Authorization: Bearer ${SECRETS.bearerHeader}`,
      payload: { step: 3, failure: { error_class: 'RuntimeError', message: `openai key ${SECRETS.openai} rejected; jwt ${SECRETS.jwt}` } },
    });
    await publish({ reason_code: 'deployment_requested', project_id: project, run_id: 'deploy-default', summary: 'deploy train-1', payload: { target: 'runner', slot: 'default', training_run_id: 'train-1' } });
    await publish({ reason_code: 'deployment_created', project_id: project, run_id: 'deploy-default', summary: 'v1 created', payload: { target: 'runner', version: 1, slot: 'default', training_run_id: 'train-1' } });
    await publish({ reason_code: 'training_started', project_id: `${project}-other`, run_id: 'train-other', summary: 'another project', payload: { engine: 'ort' } });
    await projected();
  }, 120_000);

  afterAll(async () => {
    for (const r of runners) await r.stop();
    await dbh.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await dbh.close();
    await log.jsm.streams.delete(topology.stream.name).catch(() => undefined);
    await log.close();
    await pg.stop();
    await nats.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('no planted secret survives in any file of the bundle, and the manifest counts every kind it redacted', async () => {
    const built = await buildSupportBundle(sources(), { scope: { project_id: project } });
    const files = unzipWithPython(built.zip);
    expect(Object.keys(files).sort()).toEqual(['deployments.json', 'environment.json', 'events.jsonl', 'exports.json', 'failure-clusters.json', 'manifest.json', 'project.json', 'runs.json']);
    // The secrets did reach the bundle's inputs: the manifest artifact holds them verbatim.
    const rawManifest = (await artifacts.readBytes(manifestRef)).toString('utf8');
    for (const [name, value] of FORBIDDEN) expect({ name, inArtifact: rawManifest.includes(value.replace(/\n/g, '\\n')) }).toEqual({ name, inArtifact: true });
    for (const [file, text] of Object.entries(files)) {
      for (const [name, value] of FORBIDDEN) expect({ file, secret: name, found: text.includes(value) }).toEqual({ file, secret: name, found: false });
    }
    const manifest = JSON.parse(files['manifest.json']!) as SupportBundleManifest;
    for (const kind of EXPECTED_KINDS) expect({ kind, counted: (manifest.redactions.by_kind[kind] ?? 0) > 0 }).toEqual({ kind, counted: true });
    expect(manifest.redactions.total).toBe(Object.values(manifest.redactions.by_kind).reduce((a, b) => a + b, 0));
    // The manifest artifact is read twice (prep-1 and the two training runs): its redactions are in runs.json.
    expect(manifest.redactions.by_file['runs.json']).toBeGreaterThanOrEqual(3 * 11);
    expect(files['runs.json']).toContain('[REDACTED:private_key]');
  });

  it('the search can fail: with no rules the same bundle carries the secrets planted in the manifest artifact', async () => {
    const built = await buildSupportBundle(sources(), { scope: { project_id: project }, redactor: new Redactor({ secretKeys: [], secretKeySuffixes: [], patterns: [] }) });
    const runs = unzipWithPython(built.zip)['runs.json']!;
    const found = FORBIDDEN.filter(([name, value]) => name !== 'awsSecret' && runs.includes(value.replace(/\n/g, '\\n')));
    expect(found.map(([name]) => name)).toEqual(FORBIDDEN.map(([name]) => name).filter((n) => n !== 'awsSecret'));
  });

  it('keeps the reproducibility fields byte for byte: tokenizer name and hash, authors, model ids, digests, run ids', async () => {
    const built = await buildSupportBundle(sources(), { scope: { project_id: project } });
    const files = unzipWithPython(built.zip);
    const runs = JSON.parse(files['runs.json']!) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const train1 = runs.find((r) => r['run_id'] === 'train-1')!;
    expect(train1['status']).toBe('completed');
    expect(train1['manifest_ref']).toEqual(manifestRef);
    const m = train1['manifest'];
    expect(m.tokenizer).toBe(REPRO.tokenizer);
    expect(m.tokenizer_sha256).toBe(REPRO.tokenizerSha256);
    expect(m.pad_token).toBe(REPRO.padToken);
    expect(m.base_model).toBe(REPRO.baseModel);
    expect(m.model_id).toBe(REPRO.modelId);
    expect(m.git_commit).toBe(REPRO.commit);
    expect(m.datasets).toEqual([{ dataset_id: 'reviews', authors: REPRO.authors, sha256: REPRO.datasetSha256, import_run_id: 'import-1' }]);
    expect(m.source_config.api_key).toBe('[REDACTED:key]');
    expect(train1['recipe'].tokenizer).toBe(REPRO.tokenizer);
    expect(train1['recipe'].base_model).toBe(REPRO.baseModel);
    expect(train1['recipe'].name).toBe('sft-small');
    expect(runs.find((r) => r['run_id'] === 'train-2')!['status']).toBe('failed');
    expect(runs.find((r) => r['run_id'] === 'prep-1')!['manifest'].tokenizer_sha256).toBe(REPRO.tokenizerSha256);
    const events = files['events.jsonl']!.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(new Set(events.map((e) => e['run_id']))).toEqual(new Set(['prep-1', 'train-1', 'export-1', 'train-2', 'deploy-default']));
    for (const e of events) {
      expect(e['id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(e['trace_id'] === null || /^[0-9a-f]{32}$/.test(String(e['trace_id']))).toBe(true);
    }
    const completed = events.find((e) => e['reason_code'] === 'training_completed')!;
    expect(((completed['payload'] as { model_ref: ArtifactRef }).model_ref.sha256)).toMatch(/^[0-9a-f]{64}$/);
    expect((completed['payload'] as { model_ref: ArtifactRef }).model_ref.uri).toBe(`artifact://sha256/${(completed['payload'] as { model_ref: ArtifactRef }).model_ref.sha256}`);
  });

  it('lists sections with counts, hashes every other file, and describes the environment without its variables', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    const built = await buildSupportBundle(sources(), { scope: { project_id: project }, now, ttlSeconds: 3600, bundleId: 'b-1' });
    const files = unzipWithPython(built.zip);
    const manifest = JSON.parse(files['manifest.json']!) as SupportBundleManifest;
    expect(manifest).toMatchObject({ schema_version: 1, bundle_id: 'b-1', created_at: '2026-11-22T10:00:00.000Z', expires_at: '2026-11-22T11:00:00.000Z', scope: { project_id: project } });
    const counts = Object.fromEntries(manifest.sections.map((s) => [s.name, s.items]));
    expect(counts).toEqual({ project: 1, runs: 5, events: 10, failure_clusters: 1, deployments: 1, exports: 1 });
    expect(manifest.files.map((f) => f.path).sort()).toEqual(Object.keys(files).filter((f) => f !== 'manifest.json').sort());
    for (const f of manifest.files) {
      expect(sha256(Buffer.from(files[f.path]!, 'utf8'))).toBe(f.sha256);
      expect(Buffer.byteLength(files[f.path]!, 'utf8')).toBe(f.bytes);
    }
    expect(built.sha256).toBe(sha256(built.zip));
    const env = JSON.parse(files['environment.json']!) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(['arch', 'distillery_version', 'nats_server_version', 'node_version', 'platform', 'postgres_version']);
    expect(env['node_version']).toBe(process.version);
    expect(env['nats_server_version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(env['postgres_version']).toMatch(/^PostgreSQL \d+/);
    expect(env['distillery_version']).toMatch(/^\d+\.\d+\.\d+/);
    for (const text of Object.values(files)) {
      expect(text).not.toContain(process.env['PATH']!);
      if (process.env['HOME']) expect(text).not.toContain(`"${process.env['HOME']}"`);
    }
    const deployments = JSON.parse(files['deployments.json']!) as Array<{ slot: string; versions: Array<{ version: number }> }>;
    expect(deployments.map((d) => [d.slot, d.versions.map((v) => v.version)])).toEqual([['default', [1]]]);
    const exportsList = JSON.parse(files['exports.json']!) as Array<{ run_id: string; status: string }>;
    expect(exportsList.map((e) => [e.run_id, e.status])).toEqual([['export-1', 'completed']]);
    const clusters = JSON.parse(files['failure-clusters.json']!) as Array<{ reason_code: string; count: number }>;
    expect(clusters.map((c) => [c.reason_code, c.count])).toEqual([['training_runtime_error', 1]]);
    const projectSummary = JSON.parse(files['project.json']!) as { runs: number; events: number; project_id: string };
    expect(projectSummary).toMatchObject({ project_id: project, runs: 5, events: 10 });
  });

  it('a run scope covers the run and its descendants only', async () => {
    const built = await buildSupportBundle(sources(), { scope: { project_id: project, run_id: 'train-1' } });
    const files = unzipWithPython(built.zip);
    const events = files['events.jsonl']!.trim().split('\n').map((l) => JSON.parse(l) as { run_id: string });
    expect(new Set(events.map((e) => e.run_id))).toEqual(new Set(['train-1', 'export-1']));
    expect(events).toHaveLength(5);
    const runs = JSON.parse(files['runs.json']!) as Array<{ run_id: string }>;
    expect(runs.map((r) => r.run_id).sort()).toEqual(['export-1', 'train-1']);
    const manifest = JSON.parse(files['manifest.json']!) as SupportBundleManifest;
    expect(manifest.scope).toEqual({ project_id: project, run_id: 'train-1' });
    expect(Object.fromEntries(manifest.sections.map((s) => [s.name, s.items]))).toMatchObject({ runs: 2, events: 5, exports: 1 });
  });

  it('refuses a scope with no events', async () => {
    await expect(buildSupportBundle(sources(), { scope: { project_id: project, run_id: 'no-such-run' } })).rejects.toThrow(SupportBundleScopeError);
    await expect(buildSupportBundle(sources(), { scope: { project_id: 'no-such-project' } })).rejects.toThrow(/has no events/);
  });

  it('the service stores the bundle as an artifact, records only the token hash, and announces support_bundle_created', async () => {
    const service = new SupportBundleService({ database: dbh, artifacts, publisher: pub, natsServerVersion: () => log.serverVersion() });
    const created = await service.create({ scope: { project_id: project, run_id: 'train-1' }, ttlSeconds: 600 });
    expect(created.download_token).toMatch(/^dsb_[A-Za-z0-9_-]{43}$/);
    const stored = await artifacts.readBytes(`artifact://sha256/${created.sha256}`);
    expect(sha256(stored)).toBe(created.sha256);
    expect(stored.length).toBe(created.size);
    const row = (await dbh.db.selectFrom(SUPPORT_BUNDLES_TABLE).selectAll().where('bundle_id', '=', created.bundle_id).executeTakeFirstOrThrow()) as Record<string, unknown>;
    expect(row['token_sha256']).toBe(sha256(created.download_token));
    expect(JSON.stringify(row)).not.toContain(created.download_token);
    expect(row['sha256']).toBe(created.sha256);

    lastSeq = (await log.lastSeq());
    await projected();
    const ev = (await dbh.db.selectFrom(RUN_EVENTS_VIEW).selectAll().where('reason_code', '=', 'support_bundle_created').where('run_id', '=', created.run_id).executeTakeFirstOrThrow()) as Record<string, unknown>;
    expect(ev['parent_run_id']).toBe('train-1');
    expect(ev['payload']).toMatchObject({
      bundle_id: created.bundle_id,
      scope: { project_id: project, run_id: 'train-1' },
      artifact: { uri: `artifact://sha256/${created.sha256}`, sha256: created.sha256, bytes: created.size, media_type: 'application/zip' },
      sha256: created.sha256,
      bytes: created.size,
      expires_at: created.expires_at,
      sections: { runs: 2, events: 5, exports: 1 },
    });
    expect(JSON.stringify(ev)).not.toContain(created.download_token);

    const ok = await service.download(created.bundle_id, created.download_token);
    expect(ok.ok && sha256(ok.data)).toBe(created.sha256);
    expect(await service.download(created.bundle_id, `${created.download_token}x`)).toMatchObject({ ok: false, status: 403 });
    expect(await service.download(created.bundle_id, undefined)).toMatchObject({ ok: false, status: 403 });
    expect(await service.download(created.bundle_id, created.download_token, new Date(Date.parse(created.expires_at) + 1))).toMatchObject({ ok: false, status: 410 });
    expect(await service.download('01890a5d-ac96-774b-bcce-b302099a8057', created.download_token)).toMatchObject({ ok: false, status: 404 });
  });
});
