import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Migration } from 'kysely';
import { postgresService, uniqueName } from '@distillery/testing';
import { DatabaseInUseError, migrate, openDatabase, type DatabaseHandle } from '../src/index.js';

const counterMigrations: Record<string, Migration> = {
  '0001_counter': {
    up: async (db) => {
      await db.schema.createTable('counter').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('n', 'integer').execute();
      await db.insertInto('counter').values({ id: 1, n: 0 }).execute();
    },
    down: async (db) => void (await db.schema.dropTable('counter').execute()),
  },
};

/** 20 concurrent read-modify-write transactions: a correct single-session adapter ends at 20, not less. */
async function concurrentIncrements(h: DatabaseHandle): Promise<number> {
  await Promise.all(
    Array.from({ length: 20 }, () =>
      h.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('counter').select('n').where('id', '=', 1).executeTakeFirstOrThrow();
        await new Promise((r) => setTimeout(r, 1));
        await trx.updateTable('counter').set({ n: Number(row.n) + 1 }).where('id', '=', 1).execute();
      }),
    ),
  );
  const r = await h.db.selectFrom('counter').select('n').executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('openDatabase', () => {
  const handles: DatabaseHandle[] = [];
  afterAll(async () => {
    for (const h of handles) await h.close();
  });

  it('embedded PGlite serialises transactions (no lost updates) and rolls back failed ones', async () => {
    const h = await openDatabase({ dataDir: 'memory://' });
    handles.push(h);
    expect(h.dialect).toBe('pglite');
    expect(await migrate(h.db, 'counter', counterMigrations)).toEqual(['0001_counter']);
    expect(await migrate(h.db, 'counter', counterMigrations)).toEqual([]);
    expect(await concurrentIncrements(h)).toBe(20);
    await expect(
      h.db.transaction().execute(async (trx) => {
        await trx.updateTable('counter').set({ n: 999 }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(Number((await h.db.selectFrom('counter').select('n').executeTakeFirstOrThrow()).n)).toBe(20);
  });

  it('refuses a second opener of the same embedded data dir while the first process lives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distillery-db-'));
    writeFileSync(join(dir, 'pglite.lock'), String(process.ppid));
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DatabaseInUseError);
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/in use by process \d+.*DATABASE_URL/);
    writeFileSync(join(dir, 'pglite.lock'), '999999999'); // a dead pid: stale lock is taken over
    const h = await openDatabase({ dataDir: dir });
    await h.close();
  }, 60_000);

  it('PostgreSQL: isolates by schema and keeps migrations per owner', async () => {
    const pg = await postgresService();
    const schema = uniqueName('dbt');
    const h = await openDatabase({ url: pg.url, schema });
    handles.push(h);
    expect(h.dialect).toBe('postgres');
    expect(await migrate(h.db, 'counter', counterMigrations, schema)).toEqual(['0001_counter']);
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} order by 1`.execute(h.db);
    expect(tables.rows.map((r) => r.table_name)).toEqual(['counter', 'kysely_migration__counter', 'kysely_migration_lock__counter']);
    expect((await h.check()).ok).toBe(true);
    expect(await h.serverVersion()).toMatch(/^postgres \d+/);
    await sql`drop schema ${sql.id(schema)} cascade`.execute(h.db);
    await pg.stop();
  });

  it('names the unreachable server without leaking its password', async () => {
    await expect(openDatabase({ url: 'postgres://u:secret@127.0.0.1:1/x' })).rejects.toThrow(/cannot reach PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/x/);
  });
});
