import { sql, type Migration } from 'kysely';
import type { AnyDb, AnyTrx } from './projection.js';

/** Tables of the runtime itself: which version of each projection is live, and how far each version has read. */
export const runtimeMigrations: Record<string, Migration> = {
  '0001_projection_state': {
    async up(db) {
      await db.schema
        .createTable('projection_state')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('active_version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('projection_checkpoints')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('projection_checkpoints_pk', ['name', 'version'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('projection_checkpoints').ifExists().execute();
      await db.schema.dropTable('projection_state').ifExists().execute();
    },
  },
};

export class CheckpointConflictError extends Error {
  readonly code = 'PROJECTION.CHECKPOINT_CONFLICT';
  constructor(name: string, version: number, expected: number) {
    super(`checkpoint of ${name} v${version} is no longer at ${expected}: another runner advanced it or the version was retired`);
    this.name = 'CheckpointConflictError';
  }
}

export async function activeVersion(db: AnyDb, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('projection_state').select('active_version').where('name', '=', name).executeTakeFirst();
  return row?.active_version as number | undefined;
}

export async function readCheckpoint(db: AnyDb, name: string, version: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.last_seq);
}

/** Compare-and-set of a checkpoint inside the batch transaction: exactly-once application per stream sequence. */
export async function advanceCheckpoint(trx: AnyTrx, name: string, version: number, expected: number, next: number): Promise<void> {
  const r = await trx
    .updateTable('projection_checkpoints')
    .set({ last_seq: next, updated_at: sql`now()` })
    .where('name', '=', name)
    .where('version', '=', version)
    .where('last_seq', '=', expected)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new CheckpointConflictError(name, version, expected);
}
