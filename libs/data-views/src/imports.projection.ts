import { sql } from 'kysely';
import type { RunEvent } from '@distillery/contracts';
import type { AnyDb, AnyTrx, Projection, StoredEvent } from '@distillery/projection-runtime';

export const IMPORTS_VIEW = 'dataset_imports';
export const SAVED_MAPPINGS_VIEW = 'saved_mappings';
const imports = (v: number) => `dataset_imports_v${v}`;
const mappings = (v: number) => `saved_mappings_v${v}`;

/** Failure codes of an import, in the order the mapping service picks them. */
const IMPORT_FAILURES = new Set([
  'dataset_import_failed',
  'ingest_unsupported_format',
  'ingest_io_error',
  'ingest_validation_failed',
  'ingest_source_unreachable',
  'extension_load_failed',
  'extension_contract_invalid',
]);

/**
 * Imports per project (requested → running → completed | failed, with counts, rejections and artifacts) and saved
 * mappings with their last run — the read side of `distillery import` / `distillery mappings`.
 */
export const importsProjection: Projection = {
  name: 'imports',

  async createVersion(db: AnyDb, v: number) {
    await db.schema
      .createTable(imports(v))
      .ifNotExists()
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('locator', 'text', (c) => c.notNull())
      .addColumn('mapper_id', 'text', (c) => c.notNull())
      .addColumn('task_profile', 'text', (c) => c.notNull())
      .addColumn('selection', 'text', (c) => c.notNull())
      .addColumn('confidence', 'double precision')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .addColumn('rows_read', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('rows_accepted', 'bigint')
      .addColumn('rows_rejected', 'bigint')
      .addColumn('rows_duplicate', 'bigint')
      .addColumn('rejections', 'jsonb')
      .addColumn('accepted_ref', 'jsonb')
      .addColumn('rejected_ref', 'jsonb')
      .addColumn('dataset_id', 'text')
      .addColumn('saved_mapping_id', 'text')
      .addColumn('failure_code', 'text')
      .addColumn('failure_message', 'text')
      .addColumn('warnings', 'jsonb')
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${imports(v)}_pk`, ['project_id', 'run_id'])
      .execute();
    await db.schema
      .createTable(mappings(v))
      .ifNotExists()
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('saved_mapping_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('locator', 'text', (c) => c.notNull())
      .addColumn('mapper_id', 'text', (c) => c.notNull())
      .addColumn('field_map', 'jsonb', (c) => c.notNull())
      .addColumn('drop_reasons', 'jsonb', (c) => c.notNull())
      .addColumn('saved_at', 'timestamptz', (c) => c.notNull())
      .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_run_id', 'text')
      .addColumn('last_run_at', 'timestamptz')
      .addColumn('last_rows_accepted', 'bigint')
      .addColumn('last_rows_rejected', 'bigint')
      .addPrimaryKeyConstraint(`${mappings(v)}_pk`, ['project_id', 'saved_mapping_id'])
      .execute();
  },

  async activateVersion(trx: AnyTrx, v: number) {
    await sql`drop view if exists ${sql.id(IMPORTS_VIEW)}`.execute(trx);
    await sql`create view ${sql.id(IMPORTS_VIEW)} as select * from ${sql.table(imports(v))}`.execute(trx);
    await sql`drop view if exists ${sql.id(SAVED_MAPPINGS_VIEW)}`.execute(trx);
    await sql`create view ${sql.id(SAVED_MAPPINGS_VIEW)} as select * from ${sql.table(mappings(v))}`.execute(trx);
  },

  async dropVersion(db: AnyDb, v: number) {
    await db.schema.dropTable(imports(v)).ifExists().cascade().execute();
    await db.schema.dropTable(mappings(v)).ifExists().cascade().execute();
  },

  async apply(trx: AnyTrx, v: number, events: readonly StoredEvent[]) {
    for (const { seq, event } of events) await applyOne(trx, v, seq, event);
  },
};

async function applyOne(trx: AnyTrx, v: number, seq: number, e: RunEvent): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const key = (q: any) => q.where('project_id', '=', e.project_id).where('run_id', '=', e.run_id);
  switch (e.reason_code) {
    case 'dataset_import_requested': {
      const p = e.payload;
      await trx
        .insertInto(imports(v))
        .values({
          project_id: e.project_id,
          run_id: e.run_id,
          status: 'requested',
          locator: p.locator,
          mapper_id: p.mapper_id,
          task_profile: p.task_profile,
          selection: p.selection,
          confidence: p.confidence ?? null,
          actor: e.actor,
          requested_at: e.occurred_at,
          saved_mapping_id: p.saved_mapping_id ?? null,
          last_seq: seq,
        })
        .onConflict((oc) => oc.columns(['project_id', 'run_id']).doNothing())
        .execute();
      return;
    }
    case 'dataset_import_progress':
      await key(trx.updateTable(imports(v)).set({ status: 'running', rows_read: e.payload.rows_read, last_seq: seq }))
        .where('status', 'in', ['requested', 'running'])
        .execute();
      return;
    case 'dataset_import_run': {
      const p = e.payload;
      await key(
        trx.updateTable(imports(v)).set({
          status: 'completed',
          finished_at: e.occurred_at,
          rows_read: p.rows_read,
          rows_accepted: p.rows_accepted,
          rows_rejected: p.rows_rejected,
          rows_duplicate: p.rows_duplicate,
          rejections: JSON.stringify(p.rejections),
          accepted_ref: JSON.stringify(p.accepted_ref),
          rejected_ref: JSON.stringify(p.rejected_ref),
          dataset_id: p.dataset_id,
          saved_mapping_id: p.saved_mapping_id ?? null,
          warnings: JSON.stringify(p.warnings ?? []),
          last_seq: seq,
        }),
      ).execute();
      if (p.saved_mapping_id) {
        await trx
          .updateTable(mappings(v))
          .set({
            runs: sql`runs + 1`,
            last_run_id: e.run_id,
            last_run_at: e.occurred_at,
            last_rows_accepted: p.rows_accepted,
            last_rows_rejected: p.rows_rejected,
          })
          .where('project_id', '=', e.project_id)
          .where('saved_mapping_id', '=', p.saved_mapping_id)
          .execute();
      }
      return;
    }
    case 'mapping_saved': {
      const p = e.payload;
      await trx
        .insertInto(mappings(v))
        .values({
          project_id: e.project_id,
          saved_mapping_id: p.saved_mapping_id,
          name: p.name,
          locator: p.locator,
          mapper_id: p.mapper_id,
          field_map: JSON.stringify(p.field_map),
          drop_reasons: JSON.stringify(p.drop_reasons),
          saved_at: e.occurred_at,
        })
        .onConflict((oc) =>
          oc.columns(['project_id', 'saved_mapping_id']).doUpdateSet({
            locator: sql`excluded.locator`,
            mapper_id: sql`excluded.mapper_id`,
            field_map: sql`excluded.field_map`,
            drop_reasons: sql`excluded.drop_reasons`,
            saved_at: sql`excluded.saved_at`,
          }),
        )
        .execute();
      return;
    }
    default:
      if (IMPORT_FAILURES.has(e.reason_code) && e.stage !== 'demo') {
        const failure = (e.payload as { failure?: { message?: string } }).failure;
        await key(
          trx.updateTable(imports(v)).set({
            status: 'failed',
            finished_at: e.occurred_at,
            failure_code: e.reason_code,
            failure_message: failure?.message ?? e.summary,
            last_seq: seq,
          }),
        ).execute();
      }
  }
}
