import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { KNOWN_FIXES, type RunEvent, type RunEventDraft, type Severity } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, EventPublisher } from '@distillery/eventlog';
import { activeVersion, ProjectionRunner, rebuildProjection, type StoredEvent } from '@distillery/projection-runtime';
import { uniqueName, waitFor } from '@distillery/testing';
import { projectionBench, type ProjectionBench } from '@distillery/testing-spine';
import {
  AmbiguousClusterIdError,
  dumpFailureClusters,
  EXEMPLARS_KEPT,
  failureClustersProjection,
  FAILURE_CLUSTERS_VIEW,
  getFailureCluster,
  InvalidClusterCursorError,
  listFailureClusters,
  type FailureCluster,
} from '../src/index.js';

const OOM = 'out of memory at step <n>: CUDA out of memory. Tried to allocate <n> GiB';
const PREFLIGHT_OOM = 'blocked before start: estimated peak memory <n> MiB exceeds the <n> MiB available';
const IO = 'import of jsonl:<path> failed: cannot read jsonl:<path>: ENOENT: no such file or directory, open <str>';

describe.each(['postgres', 'pglite'] as const)('failure clusters projection on %s', (dialect) => {
  let bench: ProjectionBench;
  let log: EventLog;
  let dbh: DatabaseHandle;
  let pub: EventPublisher;
  let runner: ProjectionRunner;
  const prefix = uniqueName('fc');
  /** Every published failure, in stream order. */
  const published: Array<{ seq: number; event: RunEvent }> = [];

  const publish = async (draft: RunEventDraft) => {
    const r = await pub.publish(draft);
    await runner.waitFor(r.seq);
    published.push({ seq: r.seq, event: r.event });
    return r;
  };
  const oom = (project_id: string, run_id: string, step: number, severity: Severity = 'error') =>
    publish({
      reason_code: 'training_oom',
      project_id,
      run_id,
      severity,
      summary: `out of memory at step ${step}: CUDA out of memory. Tried to allocate ${(step / 100).toFixed(2)} GiB`,
      payload: { step, failure: { error_class: 'EngineOomError', message: 'CUDA out of memory' } },
    });
  const preflightOom = (run_id: string, estimated: number, budget: number) =>
    publish({
      reason_code: 'training_oom',
      project_id: 'proj',
      run_id,
      summary: `blocked before start: estimated peak memory ${estimated} MiB exceeds the ${budget} MiB available`,
      payload: { failure: { error_class: 'PreflightOom', message: 'estimate above budget' } },
    });
  const ioError = (run_id: string, path: string) =>
    publish({
      reason_code: 'ingest_io_error',
      project_id: 'proj',
      run_id,
      summary: `import of jsonl:${path} failed: cannot read jsonl:${path}: ENOENT: no such file or directory, open '${path}'`,
      payload: { locator: `jsonl:${path}`, failure: { error_class: 'SourceIoError', message: 'ENOENT' } },
    });

  const list = async (f: Parameters<typeof listFailureClusters>[1] = {}, limit = 50) => (await listFailureClusters(dbh.db, f, undefined, limit)).items;
  const bySignature = async (signature: string, project = 'proj'): Promise<FailureCluster> =>
    (await list({ project_id: project })).find((c) => c.signature === signature)!;

  beforeAll(async () => {
    bench = await projectionBench('failure-clusters', dialect, { subjectPrefix: prefix });
    ({ log, pub, dbh } = bench);
    runner = new ProjectionRunner(failureClustersProjection, { log, db: dbh.db, schema: dbh.schema });
    await runner.start();

    // training_oom in four runs with varying steps and sizes; train-2 fails twice, once critical.
    await publish({ reason_code: 'training_started', project_id: 'proj', run_id: 'train-1', summary: 'started on ort', payload: { engine: 'ort' } });
    await oom('proj', 'train-1', 1200);
    await oom('proj', 'train-2', 4500);
    await ioError('imp-1', '/data/reviews.jsonl');
    await oom('proj', 'train-2', 4510, 'critical');
    await ioError('imp-2', '/srv/in/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl');
    await oom('proj', 'train-3', 77);
    await preflightOom('train-5', 18234, 16384);
    await oom('proj', 'train-4', 31337);
    await ioError('imp-3', '/tmp/x/other.jsonl');
    await oom('proj', 'train-1', 1300);
    await preflightOom('train-6', 9001, 8192);
    // another project: its own cluster, even with the same signature
    await oom('elsewhere', 'train-9', 5);
    await ioError('imp-1', '/data/reviews.jsonl');
  }, 120_000);

  afterAll(async () => {
    await runner.stop();
    await bench.stop();
  });

  const failures = () => published.filter((p) => p.event.severity === 'error' || p.event.severity === 'critical');
  const ofSignature = (signature: string, project = 'proj') =>
    failures().filter((p) => p.event.project_id === project && (signature === OOM ? /^out of memory/ : signature === PREFLIGHT_OOM ? /^blocked/ : /^import of/).test(p.event.summary));

  it('groups failures whose summaries differ only in numbers, ids and paths, per project, stage, code and signature', async () => {
    const clusters = await list({ project_id: 'proj' });
    expect(clusters.map((c) => [c.stage, c.reason_code, c.signature, c.count]).sort()).toEqual(
      [
        ['ingestion', 'ingest_io_error', IO, 4],
        ['training', 'training_oom', OOM, 6],
        ['training', 'training_oom', PREFLIGHT_OOM, 2],
      ].sort(),
    );
    // newest last_seen first: the last event was an ingest error
    expect(clusters.map((c) => c.signature)).toEqual([IO, PREFLIGHT_OOM, OOM]);
    expect(clusters.map((c) => c.last_seen)).toEqual([...clusters.map((c) => c.last_seen)].sort().reverse());
    const other = await list({ project_id: 'elsewhere' });
    expect(other.map((c) => [c.signature, c.count, c.runs_count])).toEqual([[OOM, 1, 1]]);
    expect(other[0]!.cluster_id).not.toBe(clusters.find((c) => c.signature === OOM)!.cluster_id);
  });

  it('counts events, severities and affected runs, and keeps first and last seen', async () => {
    const c = await bySignature(OOM);
    const events = ofSignature(OOM);
    expect(events).toHaveLength(6);
    expect(c).toMatchObject({
      project_id: 'proj',
      stage: 'training',
      reason_code: 'training_oom',
      count: 6,
      severity: 'critical',
      counts: { error: 5, critical: 1 },
      runs_count: 4,
      first_seen: events[0]!.event.occurred_at,
      last_seen: events[5]!.event.occurred_at,
      last_seq: events[5]!.seq,
      last_summary: events[5]!.event.summary,
      last_run_id: 'train-1',
    });
    // newest first by their last failure: train-1 (again), train-4, train-3, train-2
    expect(c.recent_run_ids).toEqual(['train-1', 'train-4', 'train-3', 'train-2']);
    const io = await bySignature(IO);
    expect(io).toMatchObject({ count: 4, runs_count: 3, severity: 'error', counts: { error: 4, critical: 0 }, recent_run_ids: ['imp-1', 'imp-3', 'imp-2'] });
  });

  it('attaches the known-fix hint of the reason code to every cluster', async () => {
    for (const c of await list()) expect([c.reason_code, c.known_fix]).toEqual([c.reason_code, KNOWN_FIXES[c.reason_code as keyof typeof KNOWN_FIXES]]);
    const c = await bySignature(OOM);
    expect(c.known_fix!.try.join(' ')).toMatch(/batch\.per_device/);
    expect((await bySignature(IO)).known_fix!.cause).toMatch(/could not be read/);
  });

  it('shows one cluster with its newest exemplars, affected runs with counts, and the hint', async () => {
    const c = await bySignature(OOM);
    const d = (await getFailureCluster(dbh.db, c.cluster_id))!;
    const events = ofSignature(OOM);
    expect(d.exemplars).toHaveLength(EXEMPLARS_KEPT);
    expect(d.exemplars).toEqual(
      events
        .slice(-EXEMPLARS_KEPT)
        .reverse()
        .map(({ seq, event: e }) => ({ seq, event_id: e.id, run_id: e.run_id, summary: e.summary, severity: e.severity, occurred_at: e.occurred_at })),
    );
    expect(d.affected_runs.map((r) => [r.run_id, r.count])).toEqual([
      ['train-1', 2],
      ['train-4', 1],
      ['train-3', 1],
      ['train-2', 2],
    ]);
    const t1 = events.filter((e) => e.event.run_id === 'train-1');
    expect(d.affected_runs[0]).toEqual({ run_id: 'train-1', count: 2, first_seen: t1[0]!.event.occurred_at, last_seen: t1[1]!.event.occurred_at });
    expect(d.known_fix).toEqual(KNOWN_FIXES.training_oom);
    expect(d).toMatchObject({ count: 6, runs_count: 4, signature: OOM });

    // a unique prefix of 8+ hex characters resolves, in any case; shorter or unknown ones do not
    expect((await getFailureCluster(dbh.db, c.cluster_id.slice(0, 8).toUpperCase()))?.cluster_id).toBe(c.cluster_id);
    expect(await getFailureCluster(dbh.db, c.cluster_id.slice(0, 7))).toBeUndefined();
    expect(await getFailureCluster(dbh.db, 'f'.repeat(24))).toBeUndefined();
    expect(await getFailureCluster(dbh.db, 'not-an-id')).toBeUndefined();
  });

  it('filters by stage, code and time, and pages newest first with a cursor', async () => {
    expect((await list({ stage: ['ingestion'] })).map((c) => c.signature)).toEqual([IO]);
    expect((await list({ project_id: 'proj', reason_code: ['training_oom'] })).map((c) => c.signature)).toEqual([PREFLIGHT_OOM, OOM]);
    expect(await list({ stage: ['export'] })).toEqual([]);
    const io = await bySignature(IO);
    const oomCluster = await bySignature(OOM);
    expect((await list({ project_id: 'proj', since: io.last_seen })).map((c) => c.signature)).toEqual([IO]);
    expect((await list({ project_id: 'proj', until: oomCluster.first_seen })).map((c) => c.signature)).toEqual([]);
    expect((await list({ since: '2999-01-01T00:00:00Z' }))).toEqual([]);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listFailureClusters(dbh.db, {}, cursor, 1);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((c) => c.cluster_id));
      cursor = page.next_cursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual((await list()).map((c) => c.cluster_id));
    await expect(listFailureClusters(dbh.db, {}, 'garbage', 5)).rejects.toThrow(InvalidClusterCursorError);
  });

  it('re-applying the same events changes nothing; a rebuild by replay yields identical rows', async () => {
    const before = await dumpFailureClusters(dbh.db);
    expect(before.clusters).toHaveLength(4);
    expect(before.runs).toHaveLength(4 + 2 + 3 + 1);
    expect(before.exemplars).toHaveLength(EXEMPLARS_KEPT + 2 + 4 + 1);

    const events: StoredEvent[] = [];
    for await (const batch of log.read({ fromSeq: 1, follow: false })) {
      for (const m of batch) if (m.decoded.ok) events.push({ seq: m.seq, event: m.decoded.event });
    }
    const version = (await activeVersion(dbh.db, 'failure_clusters'))!;
    await dbh.db.transaction().execute((trx) => failureClustersProjection.apply(trx, version, events));
    expect(await dumpFailureClusters(dbh.db)).toEqual(before);

    const result = await rebuildProjection(failureClustersProjection, { log, db: dbh.db, schema: dbh.schema });
    expect(result.toVersion).toBe(version + 1);
    expect(result.events).toBe(await log.lastSeq());
    expect(await dumpFailureClusters(dbh.db)).toEqual(before);

    // …and the rebuild with the accumulator writing in many small chunks, too
    const chunked = await rebuildProjection(failureClustersProjection, { log, db: dbh.db, schema: dbh.schema, batchSize: 2, rebuildChunkEvents: 3 });
    expect(chunked.toVersion).toBe(version + 2);
    expect(await dumpFailureClusters(dbh.db)).toEqual(before);

    // The live runner follows the switch and keeps projecting into the new version.
    const r = await pub.publish({
      reason_code: 'training_oom',
      project_id: 'proj',
      run_id: 'train-7',
      summary: 'out of memory at step 8: CUDA out of memory. Tried to allocate 0.08 GiB',
      payload: { step: 8, failure: { error_class: 'EngineOomError', message: 'CUDA out of memory' } },
    });
    const after = await waitFor('new failure in the rebuilt version', async () => {
      const c = await bySignature(OOM);
      return c.count === 7 ? c : undefined;
    });
    expect(after).toMatchObject({ runs_count: 5, last_run_id: 'train-7', last_seq: r.seq });
    expect(runner.position.version).toBe(version + 2);
  });

  it('refuses an ambiguous short id, naming the matches', async () => {
    const fake = (id: string) => ({
      cluster_id: id,
      project_id: 'zz',
      stage: 'demo',
      reason_code: 'demo_run_failed',
      signature: id,
      event_count: 1,
      error_count: 1,
      critical_count: 0,
      runs_count: 0,
      first_seen: '2026-01-01T00:00:00Z',
      last_seen: '2026-01-01T00:00:00Z',
      first_seq: 1,
      last_seq: 1,
      last_summary: 'x',
      last_run_id: 'x',
    });
    const table = `failure_clusters_v${(await activeVersion(dbh.db, 'failure_clusters'))!}`;
    await dbh.db.insertInto(table).values([fake('abcdef0100000000000000aa'), fake('abcdef0100000000000000bb')]).execute();
    try {
      const err = await getFailureCluster(dbh.db, 'abcdef01').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AmbiguousClusterIdError);
      expect(err).toMatchObject({ prefix: 'abcdef01', matches: ['abcdef0100000000000000aa', 'abcdef0100000000000000bb'], more: false });
      expect((await getFailureCluster(dbh.db, 'abcdef0100000000000000b'))?.cluster_id).toBe('abcdef0100000000000000bb');
    } finally {
      await sql`delete from ${sql.table(FAILURE_CLUSTERS_VIEW)} where project_id = 'zz'`.execute(dbh.db);
    }
  });
});
