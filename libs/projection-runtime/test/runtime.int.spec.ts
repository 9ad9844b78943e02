import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { RunEvent } from '@distillery/contracts';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { StoredMessage } from '@distillery/eventlog';
import { postgresService, uniqueName, type ServiceHandle } from '@distillery/testing';
import { applyBatch, CheckpointConflictError, ensureProjection, readCheckpoint, type Projection } from '../src/index.js';

/** A minimal projection: counts events per run. */
const counting: Projection = {
  name: 'counting',
  createVersion: async (db, v) =>
    void (await db.schema.createTable(`counting_v${v}`).ifNotExists().addColumn('run_id', 'text', (c) => c.primaryKey()).addColumn('n', 'integer').execute()),
  activateVersion: async (trx, v) => {
    await sql`drop view if exists counting`.execute(trx);
    await sql`create view counting as select * from ${sql.table(`counting_v${v}`)}`.execute(trx);
  },
  dropVersion: async (db, v) => void (await db.schema.dropTable(`counting_v${v}`).ifExists().execute()),
  apply: async (trx, v, events) => {
    for (const { event } of events) {
      await trx
        .insertInto(`counting_v${v}`)
        .values({ run_id: event.run_id, n: 1 })
        .onConflict((oc) => oc.column('run_id').doUpdateSet({ n: sql`${sql.table(`counting_v${v}`)}.n + 1` }))
        .execute();
    }
  },
};

const msg = (seq: number, run: string): StoredMessage => ({
  seq,
  subject: `x.p.${run}.demo.demo_run_started`,
  headers: undefined,
  pending: 0,
  decoded: { ok: true, event: { run_id: run } as RunEvent },
});
const bad = (seq: number): StoredMessage => ({
  seq,
  subject: 'x.p.r.demo.demo_run_started',
  headers: undefined,
  pending: 0,
  decoded: { ok: false, errors: ['not json'], rawBytes: 3, rawSha256: '0'.repeat(64), rawExcerpt: 'bad' },
});

describe('projection runtime checkpoints', () => {
  let pg: ServiceHandle;
  let h: DatabaseHandle;
  const schema = uniqueName('prt');

  beforeAll(async () => {
    pg = await postgresService();
    h = await openDatabase({ url: pg.url, schema });
  });
  afterAll(async () => {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(h.db);
    await h.close();
    await pg.stop();
  });

  const count = async () => (await h.db.selectFrom('counting').selectAll().orderBy('run_id').execute()).map((r) => [r.run_id, r.n]);

  it('creates version 1 once and activates it', async () => {
    expect(await ensureProjection(h.db, counting, schema)).toBe(1);
    expect(await ensureProjection(h.db, counting, schema)).toBe(1);
    expect(await readCheckpoint(h.db, 'counting', 1)).toBe(0);
  });

  it('applies a batch and moves the checkpoint in one transaction; invalid messages advance it without rows', async () => {
    expect(await applyBatch(h.db, counting, 1, 0, [msg(1, 'a'), bad(2), msg(3, 'a'), msg(4, 'b')])).toBe(4);
    expect(await readCheckpoint(h.db, 'counting', 1)).toBe(4);
    expect(await count()).toEqual([['a', 2], ['b', 1]]);
  });

  it('refuses a batch from a stale checkpoint (compare-and-set), leaving rows untouched', async () => {
    await expect(applyBatch(h.db, counting, 1, 0, [msg(1, 'a')])).rejects.toThrow(CheckpointConflictError);
    expect(await count()).toEqual([['a', 2], ['b', 1]]);
    expect(await readCheckpoint(h.db, 'counting', 1)).toBe(4);
  });

  it('rolls back rows and checkpoint together when applying fails', async () => {
    const failing: Projection = { ...counting, apply: async (trx, v, events) => {
      await counting.apply(trx, v, events);
      throw new Error('disk full');
    } };
    await expect(applyBatch(h.db, failing, 1, 4, [msg(5, 'c')])).rejects.toThrow('disk full');
    expect(await readCheckpoint(h.db, 'counting', 1)).toBe(4);
    expect(await count()).toEqual([['a', 2], ['b', 1]]);
  });
});
