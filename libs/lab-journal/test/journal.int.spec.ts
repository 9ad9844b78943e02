/**
 * The lab journal projection on both dialects: events published to a real JetStream stream, folded live by the
 * projection runner, then rebuilt from sequence 0 by replay (in one batch and in small chunks): identical rows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, EventPublisher } from '@distillery/eventlog';
import { ProjectionRunner, rebuildProjection } from '@distillery/projection-runtime';
import { dumpJournals, journalView, labJournalProjection, readJournal, XP_BY_CODE } from '../src/index.js';
import { PAYLOADS as P } from './events.js';
import { projectionBench, type ProjectionBench } from '@distillery/testing-spine';

describe.each(['postgres', 'pglite'] as const)('lab journal projection on %s', (dialect) => {
  let bench: ProjectionBench;
  let log: EventLog;
  let dbh: DatabaseHandle;
  let pub: EventPublisher;
  let runner: ProjectionRunner;

  beforeAll(async () => {
    bench = await projectionBench('journal', dialect);
    ({ log, pub, dbh } = bench);
    runner = new ProjectionRunner(labJournalProjection, { log, db: dbh.db, schema: dbh.schema });
    await runner.start();
  }, 60_000);

  afterAll(async () => {
    await runner.stop();
    await bench.stop();
  });

  it('is maintained as events arrive, and a rebuild by replay gives identical rows', async () => {
    const drafts = [
      { reason_code: 'dataset_import_run', project_id: 'lab', run_id: 'imp-1', actor: 'user:ada', summary: 'imported', payload: P.dataset_import_run('/a.csv') },
      { reason_code: 'cleaning_completed', project_id: 'lab', run_id: 'clean-1', parent_run_id: 'imp-1', summary: 'cleaned', payload: P.cleaning_completed() },
      { reason_code: 'training_requested', project_id: 'lab', run_id: 't-1', actor: 'user:bob', summary: 'train', payload: P.training_requested('hf:a') },
      { reason_code: 'training_oom', project_id: 'lab', run_id: 't-1', summary: 'oom', payload: P.training_oom() },
      { reason_code: 'training_requested', project_id: 'lab', run_id: 't-2', actor: 'user:bob', summary: 'train again', payload: P.training_requested('hf:a') },
      { reason_code: 'training_completed', project_id: 'lab', run_id: 't-2', summary: 'done', payload: P.training_completed() },
      { reason_code: 'export_completed', project_id: 'lab', run_id: 'x-1', parent_run_id: 't-2', summary: 'exported', payload: P.export_completed('q8_0') },
      { reason_code: 'cleaning_completed', project_id: 'elsewhere', run_id: 'c', actor: 'user:cy', summary: 'cleaned', payload: P.cleaning_completed() },
    ] as const;
    let last = 0;
    for (const d of drafts) last = (await pub.publish(d as never)).seq;
    await runner.waitFor(last);

    const lab = (await readJournal(dbh.db, 'lab'))!;
    expect(Object.keys(lab.achievements).sort()).toEqual(['first_clean', 'first_export', 'first_import', 'first_training', 'oom_recovery', 'quantized_export']);
    // The cleaning run is a child of ada's import, so its XP is ada's; training and export are bob's.
    expect(lab.xp_by_actor['user:ada']).toBe(XP_BY_CODE['dataset_import_run']! + XP_BY_CODE['cleaning_completed']! + 2 * 50);
    expect(lab.xp_by_actor['user:bob']).toBe(XP_BY_CODE['training_completed']! + XP_BY_CODE['export_completed']! + 4 * 50);
    expect(journalView(lab)).toMatchObject({ unlocked_count: 6, level: 3 });
    expect((await readJournal(dbh.db, 'elsewhere'))!.xp_total).toBe(80);

    const before = await dumpJournals(dbh.db);
    expect(before).toHaveLength(2);
    await rebuildProjection(labJournalProjection, { log, db: dbh.db, schema: dbh.schema });
    expect(await dumpJournals(dbh.db)).toEqual(before);
    await rebuildProjection(labJournalProjection, { log, db: dbh.db, schema: dbh.schema, batchSize: 2, rebuildChunkEvents: 3 });
    expect(await dumpJournals(dbh.db)).toEqual(before);
  }, 60_000);
});
