import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, EventPublisher } from '@distillery/eventlog';
import { ProjectionRunner, rebuildProjection, readCheckpoint } from '@distillery/projection-runtime';
import { uniqueName, waitFor } from '@distillery/testing';
import { dumpTimeline, getRun, listEvents, listTimeline, runEventsProjection, timelineProjection } from '../src/index.js';
import { projectionBench, type ProjectionBench } from '@distillery/testing-spine';

describe.each(['postgres', 'pglite'] as const)('timeline projection on %s', (dialect) => {
  let bench: ProjectionBench;
  let log: EventLog;
  let dbh: DatabaseHandle;
  let pub: EventPublisher;
  let timeline: ProjectionRunner;
  let events: ProjectionRunner;
  const prefix = uniqueName('tl');

  beforeAll(async () => {
    bench = await projectionBench('timeline', dialect, { subjectPrefix: prefix });
    ({ log, pub, dbh } = bench);
    timeline = new ProjectionRunner(timelineProjection, { log, db: dbh.db, schema: dbh.schema, publisher: pub });
    events = new ProjectionRunner(runEventsProjection, { log, db: dbh.db, schema: dbh.schema });
    await timeline.start();
    await events.start();
  }, 60_000);

  afterAll(async () => {
    await timeline.stop();
    await events.stop();
    await bench.stop();
  });

  const publish = (run: string, parent: string | null, code: 'demo_run_started' | 'demo_run_failed' | 'demo_run_progress', i = 0) =>
    pub.publish(
      code === 'demo_run_failed'
        ? { reason_code: code, project_id: 'proj', run_id: run, parent_run_id: parent, summary: `${run} failed`, payload: { failure: { error_class: 'Boom', message: 'x' } } }
        : code === 'demo_run_started'
          ? { reason_code: code, project_id: 'proj', run_id: run, parent_run_id: parent, summary: `${run} started`, payload: { steps: 2 } }
          : { reason_code: code, project_id: 'proj', run_id: run, parent_run_id: parent, summary: `${run} step ${i}`, payload: { step: i, total: 2 } },
    );

  it('projects a run tree: parent and children, orphan flag, counts, highest severity, latest code', async () => {
    await publish('root', null, 'demo_run_started');
    await publish('child-a', 'root', 'demo_run_started');
    await publish('child-a', 'root', 'demo_run_progress', 1);
    await publish('child-b', 'root', 'demo_run_started');
    await publish('child-b', 'root', 'demo_run_failed');
    await publish('grandchild', 'child-a', 'demo_run_started');
    const last = await publish('lost', 'never-seen', 'demo_run_started');
    await log.js.publish(`${prefix}.other.junk.demo.demo_run_progress`, 'garbage');
    await timeline.waitFor(last.seq + 1);
    await events.waitFor(last.seq + 1);

    const root = await getRun(dbh.db, 'root', 'proj');
    expect(root).toMatchObject({ children_count: 2, orphan: false, event_count: 1, highest_severity: 'info', stages: ['demo'] });
    const b = await getRun(dbh.db, 'child-b');
    expect(b).toMatchObject({
      parent_run_id: 'root',
      event_count: 2,
      counts: { info: 1, warning: 0, error: 1, critical: 0 },
      highest_severity: 'error',
      latest_reason_code: 'demo_run_failed',
      last_summary: 'child-b failed',
      last_actor: 'service:test',
    });
    expect(b!.duration_ms).toBeGreaterThanOrEqual(0);
    expect((await getRun(dbh.db, 'lost'))!.orphan).toBe(true);

    const subtree = await listTimeline(dbh.db, { root_run_id: 'child-a' }, undefined, 50);
    expect(subtree.items.map((r) => r.run_id).sort()).toEqual(['child-a', 'grandchild']);
    const failed = await listTimeline(dbh.db, { project_id: 'proj', severity: ['error'] }, undefined, 50);
    expect(failed.items.map((r) => r.run_id)).toEqual(['child-b']);
  });

  it('dead-letters a message that is not a RunEvent and keeps projecting', async () => {
    const dead = await waitFor('dead letter projected', async () =>
      (await listEvents(dbh.db, { reason_code: ['event_schema_invalid'] }, undefined, 10)).items[0],
    );
    expect([dead.project_id, dead.run_id]).toEqual(['other', 'junk']);
    expect(dead.payload).toMatchObject({ consumer: 'projector:timeline', errors: [expect.stringMatching(/not UTF-8 JSON/)] });
  });

  it('pages with a cursor and never truncates silently', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listTimeline(dbh.db, { project_id: 'proj' }, cursor, 2);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.run_id));
      cursor = page.next_cursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(['child-a', 'child-b', 'grandchild', 'lost', 'root']);

    const all = await listEvents(dbh.db, { run_id: 'child-a' }, undefined, 1);
    expect(all.items).toHaveLength(1);
    expect(all.next_cursor).not.toBeNull();
    const next = await listEvents(dbh.db, { run_id: 'child-a' }, all.next_cursor!, 1);
    expect(next.items[0]!.seq).toBeGreaterThan(all.items[0]!.seq);
    expect(next.next_cursor).toBeNull();
    await expect(listEvents(dbh.db, {}, 'not-a-cursor', 5)).rejects.toThrow(/cursor/);
  });

  it('rebuilds into a new version from sequence 0 and switches over with identical rows', async () => {
    // The dead letter of the junk message is published by a projector and may still be on its way to the timeline.
    await waitFor('the dead letter in the timeline', () => getRun(dbh.db, 'junk', 'other'));
    const before = await dumpTimeline(dbh.db);
    const result = await rebuildProjection(timelineProjection, { log, db: dbh.db, schema: dbh.schema });
    expect(result.fromVersion).toBe(1);
    expect(result.toVersion).toBe(2);
    expect(result.events).toBe(await log.lastSeq());
    expect(await dumpTimeline(dbh.db)).toEqual(before);
    // The live runner follows the switch and keeps projecting into version 2.
    const r = await publish('after-rebuild', null, 'demo_run_started');
    await waitFor('live runner on v2', async () => (await readCheckpoint(dbh.db, 'timeline', 2)) ?? 0 >= r.seq);
    await waitFor('new run visible', () => getRun(dbh.db, 'after-rebuild'));
    expect(timeline.position.version).toBe(2);
  });
});
