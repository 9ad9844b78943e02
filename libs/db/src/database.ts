import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Pool } from 'pg';
import { PGlitePool } from './pglite-pool.js';

/** `pg` loads on first use, so telemetry started earlier in the process can instrument it. */
async function loadPg() {
  const { default: pg } = await import('pg');
  // bigint (int8) columns come back as JS numbers: stream sequences stay far below 2^53.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  return pg;
}

export interface DatabaseOptions {
  /** PostgreSQL URL. When absent, an embedded PGlite database under `dataDir` is used. */
  readonly url?: string;
  /** Where the embedded database lives (`<dataDir>/pglite`). Ignored with `url`. `memory://` for in-memory. */
  readonly dataDir?: string;
  /** Postgres schema for every table (tests isolate by schema). Created if missing. */
  readonly schema?: string;
  readonly poolSize?: number;
}

export interface DatabaseHandle {
  // Each projection owns its tables and types its own queries; the shared handle is untyped on purpose.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly dialect: 'postgres' | 'pglite';
  readonly schema: string;
  check(): Promise<{ ok: boolean; detail: string }>;
  serverVersion(): Promise<string>;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class DatabaseInUseError extends Error {
  readonly code = 'DB.IN_USE';
  constructor(dir: string, pid: number) {
    super(
      `the embedded database at ${dir} is in use by process ${pid} (a running \`distillery up\`?). ` +
        'Stop it, or set DATABASE_URL to share a PostgreSQL server between processes.',
    );
    this.name = 'DatabaseInUseError';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Opens Kysely on PostgreSQL (DATABASE_URL) or on embedded PGlite (one process at a time, guarded by a lock file). */
export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  const schema = opts.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name '${schema}'`);
  if (opts.url) {
    const pg = await loadPg();
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      ...(schema !== 'public' ? { options: `-c search_path=${schema}` } : {}),
    });
    const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    try {
      if (schema !== 'public') await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      else await sql`select 1`.execute(db);
    } catch (err) {
      await db.destroy();
      const where = opts.url.replace(/\/\/[^@/]*@/, '//***@');
      throw new Error(`cannot reach PostgreSQL at ${where}: ${(err as Error).message}`, { cause: err });
    }
    return handle(db, 'postgres', schema, async () => {});
  }
  const { PGlite } = await import('@electric-sql/pglite');
  let release = async () => {};
  let dataDir: string | undefined;
  if (opts.dataDir && opts.dataDir !== 'memory://') {
    dataDir = join(opts.dataDir, 'pglite');
    mkdirSync(dataDir, { recursive: true });
    const lock = join(opts.dataDir, 'pglite.lock');
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, 'utf8'));
      if (pid && pid !== process.pid && pidAlive(pid)) throw new DatabaseInUseError(dataDir, pid);
    }
    writeFileSync(lock, String(process.pid));
    release = async () => rmSync(lock, { force: true });
  }
  const pglite = await PGlite.create(dataDir ? { dataDir } : {});
  const db = new Kysely({ dialect: new PostgresDialect({ pool: new PGlitePool(pglite) as unknown as Pool }) });
  if (schema !== 'public') {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    await sql`set search_path to ${sql.id(schema)}`.execute(db);
  }
  return handle(db, 'pglite', schema, release);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function handle(db: Kysely<any>, dialect: DatabaseHandle['dialect'], schema: string, release: () => Promise<void>): DatabaseHandle {
  return {
    db,
    dialect,
    schema,
    async check() {
      try {
        await sql`select 1`.execute(db);
        return { ok: true, detail: `${dialect} reachable` };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
    async serverVersion() {
      const r = await sql<{ server_version: string }>`show server_version`.execute(db);
      return `${dialect} ${r.rows[0]?.server_version ?? '?'}`;
    },
    async close() {
      await db.destroy();
      await release();
    },
  };
}
