/**
 * Fault test: SIGKILL the projector process while events flow, restart it, and compare the timeline with a clean
 * rebuild from sequence 0 — row for row. Also: nothing lost, nothing counted twice.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { EventLog } from '@distillery/eventlog';
import { readCheckpoint, activeVersion, rebuildProjection } from '@distillery/projection-runtime';
import { builtEntry, natsService, postgresService, spawnNode, waitFor, type ServiceHandle, type Spawned } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { dumpTimeline, timelineProjection } from '@distillery/timeline';

describe('projector crash and restart', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let spine: IsolatedSpine;
  let log: EventLog;
  let db: DatabaseHandle;
  const env: Record<string, string> = {};
  let projector: Spawned | undefined;

  beforeAll(async () => {
    nats = await natsService();
    pg = await postgresService();
    spine = await isolatedSpine('crash', nats, pg, { PORT: '0', LOG_LEVEL: 'warn', PROJECTOR_BATCH_SIZE: '50' });
    Object.assign(env, spine.env);
    log = spine.log;
    db = await openDatabase({ url: pg.url, schema: env['DATABASE_SCHEMA'] });
  });

  afterAll(async () => {
    await projector?.kill('SIGKILL');
    await db.close();
    await spine.cleanup();
    await pg.stop();
    await nats.stop();
  });

  const startProjector = () => spawnNode(builtEntry('apps/projector/src/main.js'), [], env);
  const checkpoint = async () => {
    const v = await activeVersion(db.db, 'timeline').catch(() => undefined);
    return v === undefined ? 0 : ((await readCheckpoint(db.db, 'timeline', v)) ?? 0);
  };

  it('ends identical, row for row, to a clean rebuild', async () => {
    projector = startProjector();
    await waitFor('projector to create its tables', async () => (await activeVersion(db.db, 'timeline').catch(() => undefined)) !== undefined, {
      timeoutMs: 60_000,
    });
    const pub = log.publisher({ app: 'crash-test', version: '1' });
    const total = 3_000;
    let published = 0;
    // The second half waits for the kill, so the kill lands mid-stream however slow the machine is (a loaded one
    // could otherwise publish everything before the projector reached the kill point).
    let killed!: () => void;
    const afterKill = new Promise<void>((resolve) => (killed = resolve));
    const publishAll = (async () => {
      const inflight: Promise<unknown>[] = [];
      for (let i = 0; i < total; i += 1) {
        if (i === total / 2) {
          await Promise.all(inflight.splice(0));
          await afterKill;
        }
        const run = `run-${i % 60}`;
        const parent = i % 60 >= 50 ? `run-${i % 10}` : null;
        const failing = i % 97 === 0;
        inflight.push(
          pub
            .publish(
              failing
                ? { reason_code: 'demo_run_failed', project_id: 'p', run_id: run, parent_run_id: parent, summary: `fail ${i}`, payload: { failure: { error_class: 'E', message: String(i) } } }
                : { reason_code: 'demo_run_progress', project_id: 'p', run_id: run, parent_run_id: parent, summary: `step ${i}`, payload: { step: i + 1, total } },
            )
            .then(() => (published += 1)),
        );
        if (inflight.length >= 10) {
          await Promise.all(inflight.splice(0));
          await new Promise((r) => setTimeout(r, 10)); // ~1,000 events/s: the kill lands mid-stream
        }
      }
      await Promise.all(inflight);
    })();

    await waitFor('projector to make progress', async () => (await checkpoint()) > 300, { timeoutMs: 60_000 });
    const before = await checkpoint();
    expect(projector.child.kill('SIGKILL')).toBe(true);
    expect(await projector.exited).toBe('SIGKILL');
    expect(published).toBeLessThan(total); // the kill happened while events were still flowing
    const atKill = await checkpoint();
    expect(atKill).toBeGreaterThanOrEqual(before);
    killed();

    projector = startProjector();
    await publishAll;
    const lastSeq = await log.lastSeq();
    expect(lastSeq).toBe(total);
    // A loaded CI machine (two test projects at once) can take a while; say where it stood if it never gets there.
    await waitFor('restarted projector to catch up', async () => (await checkpoint()) === lastSeq, { timeoutMs: 150_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}: timeline checkpoint ${await checkpoint()} of ${lastSeq}; projector output: ${projector?.output().slice(-2_000) ?? "(none)"}`);
    });
    // A reader the stall watchdog had to replace is recovered from, but worth seeing in the test log.
    const stalls = projector.output().split('\n').filter((l) => l.includes('projection reader stalled'));
    if (stalls.length > 0) console.warn(`the restarted projector replaced ${stalls.length} stalled reader(s):\n${stalls.join('\n')}`);
    expect(await projector.kill('SIGTERM')).toBe(0);

    const afterCrash = await dumpTimeline(db.db);
    // Nothing lost and nothing applied twice across the crash.
    expect(afterCrash.reduce((n, r) => n + r.event_count, 0)).toBe(total);
    expect(afterCrash).toHaveLength(60);
    const counted = await sql<{ n: number }>`select count(*)::int as n from timeline_runs where highest_severity = 'error'`.execute(db.db);
    expect(counted.rows[0]!.n).toBeGreaterThan(0);

    const rebuilt = await rebuildProjection(timelineProjection, { log, db: db.db, schema: db.schema });
    expect(rebuilt.events).toBe(total);
    expect(await dumpTimeline(db.db)).toEqual(afterCrash);
  });
});
