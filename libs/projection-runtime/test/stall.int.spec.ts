/**
 * Fault test of the runner's stall watchdog: the first reader of the real log delivers a few batches and then
 * goes silent (as a stalled ordered consumer does; its pending next() never settles, not even on abort) although
 * more events are in the log. The runner must drop it without waiting for it, read again from its checkpoint, and end
 * with every event applied exactly once. An idle runner (nothing new in the log) must not be restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import { EventLog, buildTopology, type ReadOptions, type StoredMessage } from '@distillery/eventlog';
import { natsService, postgresService, uniqueName, type ServiceHandle } from '@distillery/testing';
import { ProjectionRunner, type Projection } from '../src/index.js';

const counting: Projection = {
  name: 'stall_counting',
  createVersion: async (db, v) => void (await db.schema.createTable(`stall_counting_v${v}`).ifNotExists().addColumn('seq', 'bigint', (c) => c.primaryKey()).execute()),
  activateVersion: async (trx, v) => {
    await sql`drop view if exists stall_counting`.execute(trx);
    await sql`create view stall_counting as select * from ${sql.table(`stall_counting_v${v}`)}`.execute(trx);
  },
  dropVersion: async (db, v) => void (await db.schema.dropTable(`stall_counting_v${v}`).ifExists().execute()),
  // Inserting each seq under its primary key: a double application would fail the batch, not pass silently.
  apply: async (trx, v, events) => void (await trx.insertInto(`stall_counting_v${v}`).values(events.map((e) => ({ seq: e.seq }))).execute()),
};

describe('the projection runner’s stall watchdog', () => {
  let nats: ServiceHandle;
  let pg: ServiceHandle;
  let log: EventLog;
  let dbh: DatabaseHandle;
  const topology = buildTopology({ streamName: uniqueName('STALL').toUpperCase(), subjectPrefix: uniqueName('stall'), consumers: [] });
  const schema = uniqueName('stall');

  beforeAll(async () => {
    nats = await natsService();
    pg = await postgresService();
    log = await EventLog.connect({ url: nats.url, name: 'stall-test', topology });
    await log.applyTopology();
    dbh = await openDatabase({ url: pg.url, schema });
  }, 60_000);

  afterAll(async () => {
    await dbh.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await dbh.close();
    await log.jsm.streams.delete(topology.stream.name).catch(() => undefined);
    await log.close();
    await pg.stop();
    await nats.stop();
  });

  it('replaces a reader that goes silent with events still unread, and applies every event once', async () => {
    const pub = log.publisher({ app: 'test', version: '1' });
    for (let i = 0; i < 30; i++) await pub.publish({ reason_code: 'demo_run_progress', project_id: 'p', run_id: `r${i % 3}`, summary: `step ${i}`, payload: { step: i + 1, total: 30 } });
    let reads = 0;
    // The log as the runner sees it: the first read stalls after 10 events (never yields again until aborted).
    const stallingLog = new Proxy(log, {
      get(target, prop, receiver) {
        if (prop !== 'read') return Reflect.get(target, prop, receiver);
        return (opts: ReadOptions) => {
          reads += 1;
          const inner = target.read(opts);
          if (reads > 1) return inner;
          return (async function* (): AsyncGenerator<StoredMessage[]> {
            let delivered = 0;
            for await (const batch of inner) {
              const room = 10 - delivered;
              if (room > 0) {
                const part = batch.slice(0, room);
                delivered += part.length;
                yield part;
              }
              if (delivered >= 10) {
                // Stalled for good: this next() never settles, abort or not (the real reader under it is closed by
                // the abort signal it shares). The runner must not wait for it.
                await new Promise<void>(() => undefined);
                return;
              }
            }
          })();
        };
      },
    }) as EventLog;
    const runner = new ProjectionRunner(counting, { log: stallingLog, db: dbh.db, schema, batchSize: 4, stallMs: 600 });
    await runner.start();
    try {
      await runner.waitFor(30, 15_000);
      expect(runner.stalls).toBe(1);
      expect(reads).toBe(2);
      const rows = await sql<{ n: number }>`select count(*)::int as n from stall_counting`.execute(dbh.db);
      expect(rows.rows[0]!.n).toBe(30);
      // Idle now (nothing past the checkpoint): the watchdog leaves the reader alone.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(runner.stalls).toBe(1);
      expect(reads).toBe(2);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
