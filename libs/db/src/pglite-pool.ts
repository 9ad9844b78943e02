import type { PGlite } from '@electric-sql/pglite';

/**
 * Presents one embedded PGlite instance as a single-connection `pg.Pool` for Kysely's PostgresDialect.
 * PGlite is one session: without the mutex, concurrent transactions interleave on it (kysely-pglite 0.6 loses
 * updates this way, see notes/dependencies.md §3). Each `connect()` waits for the previous client's `release()`.
 */
export class PGlitePool {
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly pglite: PGlite) {}

  async connect() {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const pglite = this.pglite;
    return {
      async query(sql: string, params?: readonly unknown[]) {
        const r = await pglite.query(sql, params as unknown[] | undefined);
        return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length, command: sql.trimStart().split(/\s/, 1)[0]?.toUpperCase() };
      },
      release() {
        release();
      },
    };
  }

  async end(): Promise<void> {
    await this.tail;
    await this.pglite.close();
  }
}
