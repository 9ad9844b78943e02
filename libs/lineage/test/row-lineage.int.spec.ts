import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, CleaningLineageEntry, RejectedRow, RunEventDraft, TransformedRow } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, EventPublisher, Logger } from '@distillery/eventlog';
import { activeVersion, ProjectionRunner, rebuildProjection, type Projection, type StoredEvent } from '@distillery/projection-runtime';
import { uniqueName } from '@distillery/testing';
import { AmbiguousRowIdError, explainRow, lineageCounts, ROW_LINEAGE_VIEW, rowLineageProjection } from '../src/index.js';
import { projectionBench, type ProjectionBench } from '@distillery/testing-spine';

const id = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
const LOCATOR = 'file://reviews.jsonl';
const RESOLVED = '/data/reviews.jsonl';
const MAPPER = 'classification-text-label';
const src = (position: number) => ({ locator: LOCATOR, resolved: RESOLVED, position });
const transformed = (row_id: string, position: number, text = `text ${position}`): TransformedRow => ({
  row_id,
  source: src(position),
  task_profile: 'classification',
  record: { text, label: position % 2 ? 'pos' : 'neg' },
});

// 2,400 ordinary rows (more than two insert batches), 2 rows sharing an 8-char prefix, 7 sharing another.
const ORDINARY = Array.from({ length: 2_400 }, (_, i) => id(`row-${i}`));
const DEADBEEF = ['deadbeef0' + '0'.repeat(22) + '1', 'deadbeef1' + '0'.repeat(22) + '2'];
const CAFEF00D = Array.from({ length: 7 }, (_, i) => `cafef00d${String(i).repeat(24)}`);
const ACCEPTED = [...ORDINARY, ...DEADBEEF, ...CAFEF00D];
const REJECTED = [id('bad-0'), id('bad-1'), id('bad-2')];
/** Travels through a jsonb[] array literal: quotes, commas, braces, backslashes, NULL, non-ASCII. */
const TRICKY = 'value "a,b" {c} \\ NULL \u00e9 \u{1F642}\n';
const [R0, NEAR, EXACT, OUTLIER] = ORDINARY as [string, string, string, string];
const REMOVED = new Set([NEAR, EXACT, OUTLIER]);
const KEPT = ACCEPTED.filter((r) => !REMOVED.has(r));
const splitOf = (k: number) => (k % 10 < 8 ? 'train' : k % 10 === 8 ? 'eval' : 'gold');

const cleaningEntry = (row_id: string): CleaningLineageEntry => {
  const quality = { score: 0.91, language: 'en', script: 'Latn' };
  if (row_id === R0) return { row_id, kept: true, pii: [{ kind: 'email', action: 'redact', field: 'text', start: 3, end: 20 }], quality, dedup: { cluster_id: R0 } };
  if (row_id === NEAR) return { row_id, kept: false, reason: 'near_duplicate', quality, dedup: { cluster_id: R0, near_of: R0, similarity: 0.93 } };
  if (row_id === EXACT) return { row_id, kept: false, reason: 'exact_duplicate', quality, dedup: { cluster_id: R0, exact_of: R0 } };
  if (row_id === OUTLIER) return { row_id, kept: false, reason: 'outlier:length', quality, outliers: ['length'] };
  return { row_id, kept: true, quality };
};

describe.each(['postgres', 'pglite'] as const)('row lineage projection on %s', (dialect) => {
  let bench: ProjectionBench;
  let log: EventLog;
  let dbh: DatabaseHandle;
  let pub: EventPublisher;
  let runner: ProjectionRunner;
  let projection: Projection;
  let store: FileArtifactStore;
  let dir: string;
  const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = { info: () => {}, warn: (msg, fields) => void warnings.push({ msg, fields }), error: () => {} };
  const prefix = uniqueName('rl');
  const seqs: Record<string, number> = {};
  const at: Record<string, string> = {};
  let manifestRef: ArtifactRef;
  const splitCounts = { train: 0, eval: 0, gold: 0 };

  /** Publishes an event and waits until the projection has applied it. */
  const publish = async (draft: RunEventDraft): Promise<number> => {
    const r = await pub.publish(draft);
    await runner.waitFor(r.seq);
    seqs[draft.run_id] = r.seq;
    at[draft.run_id] = r.event.occurred_at;
    return r.seq;
  };

  const importEvent = (run_id: string, accepted_ref: ArtifactRef, rejected_ref: ArtifactRef, accepted: number, rejected: number, project_id = 'proj'): RunEventDraft => ({
    reason_code: 'dataset_import_run',
    project_id,
    run_id,
    summary: `imported ${accepted} rows`,
    payload: {
      locator: LOCATOR,
      resolved: RESOLVED,
      mapper_id: MAPPER,
      task_profile: 'classification',
      dataset_id: 'ds-1',
      rows_read: accepted + rejected,
      rows_accepted: accepted,
      rows_rejected: rejected,
      rows_duplicate: 0,
      rejections: rejected ? { missing_field: rejected } : {},
      accepted_ref,
      rejected_ref,
    },
  });

  const dump = async () =>
    dbh.db
      .selectFrom(ROW_LINEAGE_VIEW)
      .select(['project_id', 'row_id', 'seq', 'entry', 'stage', 'run_id', 'outcome', 'reason', 'detail'])
      .orderBy('project_id')
      .orderBy('row_id')
      .orderBy('seq')
      .orderBy('entry')
      .execute();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lineage-'));
    store = new FileArtifactStore(dir);
    bench = await projectionBench('lineage', dialect, { subjectPrefix: prefix });
    ({ log, pub, dbh } = bench);
    projection = rowLineageProjection(store, { logger });
    runner = new ProjectionRunner(projection, { log, db: dbh.db, schema: dbh.schema });
    await runner.start();

    // mapping: accepted rows at positions 0…, rejected rows after them
    const acceptedRef = await store.putJsonl(ACCEPTED.map((r, i) => transformed(r, i)));
    const rejectedRef = await store.putJsonl(
      REJECTED.map((row_id, i): RejectedRow => ({ row_id, source: src(ACCEPTED.length + i), reason: 'missing_field', detail: i === 2 ? TRICKY : 'field label is empty' })),
    );
    await publish(importEvent('imp-1', acceptedRef, rejectedRef, ACCEPTED.length, REJECTED.length));

    // cleaning: one lineage line per row in
    const lineageRef = await store.putJsonl(ACCEPTED.map(cleaningEntry));
    await publish({
      reason_code: 'cleaning_completed',
      project_id: 'proj',
      run_id: 'cln-1',
      summary: 'cleaned',
      payload: {
        rows_in: ACCEPTED.length,
        rows_out: KEPT.length,
        removed: { near_duplicate: 1, exact_duplicate: 1, 'outlier:length': 1 },
        lineage_ref: lineageRef,
      },
    });

    // preparation: the kept rows spread over train / eval / gold
    const bySplit = { train: [] as TransformedRow[], eval: [] as TransformedRow[], gold: [] as TransformedRow[] };
    KEPT.forEach((r, k) => bySplit[splitOf(k)].push(transformed(r, ACCEPTED.indexOf(r))));
    for (const s of ['train', 'eval', 'gold'] as const) splitCounts[s] = bySplit[s].length;
    const artifacts = { train: await store.putJsonl(bySplit.train), eval: await store.putJsonl(bySplit.eval), gold: await store.putJsonl(bySplit.gold) };
    manifestRef = await store.putBytes(JSON.stringify({ schema_version: 1, artifacts }), 'application/json');
    await publish({
      reason_code: 'dataset_prepared',
      project_id: 'proj',
      run_id: 'prep-1',
      summary: 'prepared',
      payload: { manifest_ref: manifestRef, counts: { ...splitCounts, dropped: 3 }, artifacts },
    });
  }, 120_000);

  afterAll(async () => {
    await runner.stop();
    await bench.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("records a row's history across mapping, cleaning and preparation, in stream order", async () => {
    const x = await explainRow(dbh.db, 'proj', R0);
    expect(x?.row_id).toBe(R0);
    expect(x!.entries).toEqual([
      {
        stage: 'mapping',
        run_id: 'imp-1',
        outcome: 'accepted',
        reason: null,
        detail: { source: { locator: LOCATOR, resolved: RESOLVED, position: 0 }, mapper_id: MAPPER, import_run_id: 'imp-1' },
        occurred_at: at['imp-1'],
        seq: seqs['imp-1'],
      },
      {
        stage: 'cleaning',
        run_id: 'cln-1',
        outcome: 'kept',
        reason: null,
        detail: { pii: [{ kind: 'email', action: 'redact', field: 'text', start: 3, end: 20 }], quality: { score: 0.91, language: 'en', script: 'Latn' }, dedup: { cluster_id: R0 } },
        occurred_at: at['cln-1'],
        seq: seqs['cln-1'],
      },
      { stage: 'preparation', run_id: 'prep-1', outcome: 'train', reason: null, detail: { manifest_ref: manifestRef.uri }, occurred_at: at['prep-1'], seq: seqs['prep-1'] },
    ]);
    expect(seqs['imp-1']).toBeLessThan(seqs['cln-1']!);
    expect(seqs['cln-1']).toBeLessThan(seqs['prep-1']!);

    // a row of another split, from the last insert batch of the import
    const last = KEPT[KEPT.length - 1]!;
    const y = await explainRow(dbh.db, 'proj', last);
    expect(y!.entries.map((e) => [e.stage, e.outcome])).toEqual([
      ['mapping', 'accepted'],
      ['cleaning', 'kept'],
      ['preparation', splitOf(KEPT.length - 1)],
    ]);
    expect(y!.entries[0]!.detail).toMatchObject({ source: { position: ACCEPTED.indexOf(last) } });
  });

  it('shows a rejected row with its reason and the mapper detail', async () => {
    const x = await explainRow(dbh.db, 'proj', REJECTED[1]!);
    expect(x!.entries).toEqual([
      {
        stage: 'mapping',
        run_id: 'imp-1',
        outcome: 'rejected',
        reason: 'missing_field',
        detail: { source: src(ACCEPTED.length + 1), mapper_id: MAPPER, detail: 'field label is empty' },
        occurred_at: at['imp-1'],
        seq: seqs['imp-1'],
      },
    ]);
    expect((await explainRow(dbh.db, 'proj', REJECTED[2]!))!.entries[0]!.detail).toEqual({ source: src(ACCEPTED.length + 2), mapper_id: MAPPER, detail: TRICKY });
  });

  it('shows a removed duplicate with its reason and cluster, and nothing after cleaning', async () => {
    const near = await explainRow(dbh.db, 'proj', NEAR);
    expect(near!.entries.map((e) => [e.stage, e.outcome, e.reason])).toEqual([
      ['mapping', 'accepted', null],
      ['cleaning', 'removed', 'near_duplicate'],
    ]);
    expect(near!.entries[1]!.detail).toEqual({ quality: { score: 0.91, language: 'en', script: 'Latn' }, dedup: { cluster_id: R0, near_of: R0, similarity: 0.93 } });
    const exact = await explainRow(dbh.db, 'proj', EXACT);
    expect(exact!.entries[1]).toMatchObject({ outcome: 'removed', reason: 'exact_duplicate', detail: { dedup: { cluster_id: R0, exact_of: R0 } } });
    expect(exact!.entries).toHaveLength(2);
    const outlier = await explainRow(dbh.db, 'proj', OUTLIER);
    expect(outlier!.entries[1]).toMatchObject({ outcome: 'removed', reason: 'outlier:length', detail: { outliers: ['length'] } });
  });

  it('counts outcomes per stage for a run, adding up with the events', async () => {
    expect(await lineageCounts(dbh.db, 'proj', 'imp-1')).toEqual({ mapping: { accepted: ACCEPTED.length, rejected: REJECTED.length } });
    expect(await lineageCounts(dbh.db, 'proj', 'cln-1')).toEqual({ cleaning: { kept: KEPT.length, removed: 3 } });
    expect(await lineageCounts(dbh.db, 'proj', 'prep-1')).toEqual({ preparation: splitCounts });
    expect(splitCounts.train + splitCounts.eval + splitCounts.gold).toBe(KEPT.length);
    expect(splitCounts.eval).toBeGreaterThan(0);
    expect(splitCounts.gold).toBeGreaterThan(0);
    expect(await lineageCounts(dbh.db, 'elsewhere', 'imp-1')).toEqual({});
  });

  it('resolves a unique hex prefix of 8+ chars, refuses an ambiguous one, and keeps projects apart', async () => {
    expect((await explainRow(dbh.db, 'proj', R0.slice(0, 8)))?.row_id).toBe(R0);
    expect((await explainRow(dbh.db, 'proj', ` ${R0.slice(0, 12).toUpperCase()} `))?.row_id).toBe(R0);
    expect(await explainRow(dbh.db, 'proj', R0.slice(0, 7))).toBeUndefined();
    expect(await explainRow(dbh.db, 'proj', 'ffffffffffffffff')).toBeUndefined();
    expect(await explainRow(dbh.db, 'proj', 'not-a-row-id')).toBeUndefined();
    expect(await explainRow(dbh.db, 'elsewhere', R0)).toBeUndefined();

    const two = await explainRow(dbh.db, 'proj', 'deadbeef').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(two).toBeInstanceOf(AmbiguousRowIdError);
    expect(two).toMatchObject({ code: 'LINEAGE.AMBIGUOUS_ROW_ID', prefix: 'deadbeef', matches: DEADBEEF, more: false });
    expect((await explainRow(dbh.db, 'proj', 'deadbeef1'))?.row_id).toBe(DEADBEEF[1]);

    const seven = await explainRow(dbh.db, 'proj', 'CAFEF00D').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(seven).toBeInstanceOf(AmbiguousRowIdError);
    expect(seven).toMatchObject({ prefix: 'cafef00d', matches: CAFEF00D.slice(0, 5), more: true });
    expect((seven as Error).message).toContain(CAFEF00D[0]);
  });

  it('re-applying the same events and rebuilding write no duplicate entries', async () => {
    const before = await dump();
    expect(before).toHaveLength(ACCEPTED.length + REJECTED.length + ACCEPTED.length + KEPT.length);

    const events: StoredEvent[] = [];
    for await (const batch of log.read({ fromSeq: 1, follow: false })) {
      for (const m of batch) if (m.decoded.ok) events.push({ seq: m.seq, event: m.decoded.event });
    }
    expect(events.map((e) => e.seq)).toEqual([seqs['imp-1'], seqs['cln-1'], seqs['prep-1']]);
    const version = (await activeVersion(dbh.db, 'row_lineage'))!;
    await dbh.db.transaction().execute((trx) => projection.apply(trx, version, events));
    expect(await dump()).toEqual(before);

    const result = await rebuildProjection(projection, { log, db: dbh.db, schema: dbh.schema });
    expect(result.toVersion).toBe(version + 1);
    expect(await dump()).toEqual(before);
    expect((await explainRow(dbh.db, 'proj', R0))!.entries.map((e) => e.stage)).toEqual(['mapping', 'cleaning', 'preparation']);
  });

  it('skips an event whose artifact is missing or unreadable, records nothing for it, and keeps projecting', async () => {
    const lost = [id('lost-0'), id('lost-1')];
    const rejectedRef = await store.putJsonl(lost.map((row_id, i): RejectedRow => ({ row_id, source: src(i), reason: 'missing_field', detail: 'x' })));
    const gone: ArtifactRef = { uri: `artifact://sha256/${'0'.repeat(64)}`, sha256: '0'.repeat(64), bytes: 10, media_type: 'application/x-ndjson' };
    warnings.length = 0;
    const lostSeq = await publish(importEvent('imp-lost', gone, rejectedRef, 5, 2));

    // valid lines for more than one insert batch, then a line that is not JSON: the batch already written rolls back
    const good = Array.from({ length: 1_500 }, (_, i) => JSON.stringify(transformed(id(`torn-${i}`), i))).join('\n');
    const torn = await store.putBytes(`${good}\n{"row_id": "torn-end", "sou\n`, 'application/x-ndjson');
    await publish(importEvent('imp-torn', torn, rejectedRef, 1_501, 2));

    // an older cleaning_completed without lineage_ref: nothing to record
    await publish({ reason_code: 'cleaning_completed', project_id: 'proj', run_id: 'cln-old', summary: 'cleaned', payload: { rows_in: 1, rows_out: 1 } });

    const after = id('after-0');
    await publish(importEvent('imp-after', await store.putJsonl([transformed(after, 0)]), await store.putJsonl([]), 1, 0));

    expect(runner.position.checkpoint).toBeGreaterThanOrEqual(seqs['imp-after']!);
    expect(await lineageCounts(dbh.db, 'proj', 'imp-lost')).toEqual({});
    expect(await lineageCounts(dbh.db, 'proj', 'imp-torn')).toEqual({});
    expect(await lineageCounts(dbh.db, 'proj', 'cln-old')).toEqual({});
    expect(await explainRow(dbh.db, 'proj', lost[0]!)).toBeUndefined();
    expect(await explainRow(dbh.db, 'proj', id('torn-0'))).toBeUndefined();
    expect((await explainRow(dbh.db, 'proj', after))!.entries).toMatchObject([{ run_id: 'imp-after', outcome: 'accepted' }]);
    expect(warnings.map((w) => [w.msg, w.fields?.['run_id']])).toEqual([
      ['row lineage: artifact not in the store, event skipped', 'imp-lost'],
      ['row lineage: artifact unreadable, event skipped', 'imp-torn'],
    ]);

    // applied directly, the event with the missing artifact resolves too
    const event = (await collect(log, lostSeq))!;
    const version = (await activeVersion(dbh.db, 'row_lineage'))!;
    await expect(dbh.db.transaction().execute((trx) => projection.apply(trx, version, [{ seq: lostSeq, event }]))).resolves.toBeUndefined();
    expect(await lineageCounts(dbh.db, 'proj', 'imp-lost')).toEqual({});
  });

  it("records each row's tokenization when a training run is dispatched: tokens, trained tokens, truncation", async () => {
    const [a, b, c] = KEPT as [string, string, string];
    const train = await store.putJsonl([
      { row_id: a, input_ids: [5, 6, 7, 8, 9, 10], labels: [-100, -100, -100, -100, 9, 10], original_length: 6, truncated: false },
      { row_id: b, input_ids: [5, 6, 7, 8], labels: [-100, -100, 7, 8], original_length: 11, truncated: true },
    ]);
    const evalShard = await store.putJsonl([{ row_id: c, chosen: { input_ids: [1, 2, 3], labels: [-100, 2, 3], original_length: 3, truncated: false }, rejected: { input_ids: [1, 2, 4, 4], labels: [-100, 2, 4, 4], original_length: 4, truncated: false } }]);
    const planRef = await store.putBytes('{}', 'application/json');
    await publish({
      reason_code: 'training_dispatched',
      project_id: 'proj',
      run_id: 'train-1',
      summary: 'queued',
      payload: { plan_ref: planRef, engine: 'ort', total_steps: 3, method: 'lora', shards: { train: [train], eval: [evalShard] }, max_seq_len: 4 },
    });
    const training = async (row: string) => (await explainRow(dbh.db, 'proj', row))!.entries.filter((e) => e.stage === 'training');
    expect(await training(a)).toEqual([
      expect.objectContaining({ run_id: 'train-1', outcome: 'tokenized', reason: null, detail: { split: 'train', max_seq_len: 4, plan_ref: planRef.uri, tokens: 6, trained_tokens: 2, original_length: 6, truncated: false } }),
    ]);
    expect(await training(b)).toEqual([expect.objectContaining({ outcome: 'truncated', reason: 'longer_than_max_seq_len', detail: expect.objectContaining({ tokens: 4, trained_tokens: 2, original_length: 11, truncated: true }) })]);
    expect((await training(c))[0]?.detail).toMatchObject({ split: 'eval', chosen: { tokens: 3, trained_tokens: 2 }, rejected: { tokens: 4, trained_tokens: 3 } });
    expect(await lineageCounts(dbh.db, 'proj', 'train-1')).toEqual({ training: { tokenized: 2, truncated: 1 } });
  });
});

async function collect(log: EventLog, seq: number) {
  for await (const batch of log.read({ fromSeq: seq, follow: false, batchSize: 1 })) {
    const m = batch.find((b) => b.seq === seq);
    if (m?.decoded.ok) return m.decoded.event;
  }
  return undefined;
}
