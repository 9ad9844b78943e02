/**
 * The audit explorer's queries on both dialects: actor, free text, run subtree, as_of filters on the run_events read
 * model, cursor paging across pages with filters, and time travel of a run (the same fold as the live timeline).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, EventPublisher, PublishResult } from '@distillery/eventlog';
import { ProjectionRunner } from '@distillery/projection-runtime';
import { getRun, getRunAsOf, listEvents, runEventsProjection, timelineProjection, type EventFilters } from '../src/index.js';
import { projectionBench, type ProjectionBench } from '@distillery/testing-spine';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['postgres', 'pglite'] as const)('audit queries on %s', (dialect) => {
  let bench: ProjectionBench;
  let log: EventLog;
  let dbh: DatabaseHandle;
  let pub: EventPublisher;
  let runners: ProjectionRunner[] = [];
  const marks: string[] = [];
  let last: PublishResult;

  const emit = (run: string, parent: string | null, actor: string, summary: string, failed = false) =>
    pub.publish(
      failed
        ? { reason_code: 'demo_run_failed', project_id: 'p', run_id: run, parent_run_id: parent, actor, summary, payload: { failure: { error_class: 'Boom', message: summary } } }
        : { reason_code: 'demo_run_started', project_id: 'p', run_id: run, parent_run_id: parent, actor, summary, payload: { steps: 1 } },
    );

  beforeAll(async () => {
    bench = await projectionBench('audit', dialect);
    ({ log, pub, dbh } = bench);
    runners = [timelineProjection, runEventsProjection].map((p) => new ProjectionRunner(p, { log, db: dbh.db, schema: dbh.schema }));
    for (const r of runners) await r.start();
    // root ─ child ─ grandchild, and a sibling tree; three actors; summaries with LIKE wildcards in them.
    await emit('root', null, 'user:alice', 'import of tickets.csv started');
    await sleep(25);
    marks.push(new Date().toISOString()); // after root's first event
    await sleep(25);
    await emit('child', 'root', 'user:bob', 'clean 100% done');
    await emit('grandchild', 'child', 'service:training', 'training step_1 of 10');
    await sleep(25);
    marks.push(new Date().toISOString()); // before root fails
    await sleep(25);
    await emit('root', null, 'user:alice', 'OOM at step 1200', true);
    await emit('other', null, 'user:carol', 'import of other.csv started');
    last = await emit('other-child', 'other', 'user:bob', 'clean 50_percent');
    for (const r of runners) await r.waitFor(last.seq);
  }, 60_000);

  afterAll(async () => {
    for (const r of runners) await r.stop();
    await bench.stop();
  });

  const runsOf = async (f: EventFilters) => (await listEvents(dbh.db, { project_id: 'p', ...f }, undefined, 100)).items.map((e) => `${e.run_id}:${e.reason_code}`);

  it('filters by actor (one or several)', async () => {
    expect(await runsOf({ actor: ['user:bob'] })).toEqual(['child:demo_run_started', 'other-child:demo_run_started']);
    expect(await runsOf({ actor: ['user:alice', 'user:carol'] })).toEqual(['root:demo_run_started', 'root:demo_run_failed', 'other:demo_run_started']);
  });

  it('free text in the summary: case-insensitive, and % _ are literal characters, not wildcards', async () => {
    expect(await runsOf({ q: 'IMPORT OF' })).toEqual(['root:demo_run_started', 'other:demo_run_started']);
    expect(await runsOf({ q: '100%' })).toEqual(['child:demo_run_started']);
    expect(await runsOf({ q: '50_p' })).toEqual(['other-child:demo_run_started']);
    expect(await runsOf({ q: 'step_1' })).toEqual(['grandchild:demo_run_started']);
    expect(await runsOf({ q: 'step%1' })).toEqual([]);
  });

  it('a run subtree: the run and every descendant, not its siblings; combined with other filters', async () => {
    expect(await runsOf({ root_run_id: 'root' })).toEqual(['root:demo_run_started', 'child:demo_run_started', 'grandchild:demo_run_started', 'root:demo_run_failed']);
    expect(await runsOf({ root_run_id: 'child' })).toEqual(['child:demo_run_started', 'grandchild:demo_run_started']);
    expect(await runsOf({ root_run_id: 'root', actor: ['user:bob'] })).toEqual(['child:demo_run_started']);
    expect(await runsOf({ root_run_id: 'root', severity: ['error'] })).toEqual(['root:demo_run_failed']);
  });

  it('pages through a filtered result with a cursor, every match once, the last page saying so', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listEvents(dbh.db, { project_id: 'p', q: 'import' }, cursor, 1);
      seen.push(...page.items.map((e) => e.run_id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toEqual(['root', 'other']);
    expect(pages).toBe(2);
  });

  it('time travel: a run as it stood at three instants, and "now" equals the live timeline row', async () => {
    expect(await getRunAsOf(dbh.db, 'root', 'p', '2000-01-01T00:00:00.000Z')).toBeUndefined();
    const early = await getRunAsOf(dbh.db, 'root', 'p', marks[0]!);
    expect(early).toMatchObject({ event_count: 1, children_count: 0, highest_severity: 'info', latest_reason_code: 'demo_run_started' });
    const middle = await getRunAsOf(dbh.db, 'root', 'p', marks[1]!);
    expect(middle).toMatchObject({ event_count: 1, children_count: 1, highest_severity: 'info' });
    const now = await getRunAsOf(dbh.db, 'root', 'p', new Date(Date.now() + 60_000).toISOString());
    expect(now).toMatchObject({ event_count: 2, children_count: 1, highest_severity: 'error', latest_reason_code: 'demo_run_failed', last_summary: 'OOM at step 1200' });
    const { as_of: _asOf, ...folded } = now!;
    expect(folded).toEqual(await getRun(dbh.db, 'root', 'p'));
    // A child whose parent had not started yet at that time would be an orphan then; here the parent came first.
    expect((await getRunAsOf(dbh.db, 'grandchild', 'p', marks[1]!))!.orphan).toBe(false);
    expect(await listEvents(dbh.db, { project_id: 'p', as_of: marks[0]! }, undefined, 100)).toMatchObject({ items: [expect.objectContaining({ run_id: 'root' })], next_cursor: null });
  });
});
