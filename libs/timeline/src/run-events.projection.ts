import { sql } from 'kysely';
import type { AnyDb, AnyTrx, Projection, StoredEvent } from '@distillery/projection-runtime';

export const RUN_EVENTS_VIEW = 'run_events';
const table = (v: number) => `run_events_v${v}`;
const ROWS_PER_STATEMENT = 1_000;

/** Every RunEvent as a row, indexed for the filters of `GET /api/events` (and later the audit explorer). */
export const runEventsProjection: Projection = {
  name: 'run_events',

  async createVersion(db: AnyDb, v: number) {
    await db.schema
      .createTable(table(v))
      .ifNotExists()
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('parent_run_id', 'text')
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('reason_code', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('causation_id', 'text')
      .addColumn('trace_id', 'text')
      .addColumn('span_id', 'text')
      .addColumn('producer', 'text', (c) => c.notNull())
      .addColumn('schema_version', 'integer', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .execute();
    for (const cols of [['project_id', 'run_id', 'seq'], ['run_id', 'seq'], ['parent_run_id', 'seq'], ['reason_code', 'seq'], ['occurred_at']]) {
      await db.schema.createIndex(`${table(v)}_${cols.join('_')}`).ifNotExists().on(table(v)).columns(cols).execute();
    }
  },

  async activateVersion(trx: AnyTrx, v: number) {
    await sql`drop view if exists ${sql.id(RUN_EVENTS_VIEW)}`.execute(trx);
    await sql`create view ${sql.id(RUN_EVENTS_VIEW)} as select * from ${sql.table(table(v))}`.execute(trx);
  },

  async dropVersion(db: AnyDb, v: number) {
    await db.schema.dropTable(table(v)).ifExists().cascade().execute();
  },

  async apply(trx: AnyTrx, v: number, events: readonly StoredEvent[]) {
    for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
      const rows = events.slice(i, i + ROWS_PER_STATEMENT).map(({ seq, event: e }) => ({
        seq,
        id: e.id,
        project_id: e.project_id,
        run_id: e.run_id,
        parent_run_id: e.parent_run_id,
        stage: e.stage,
        reason_code: e.reason_code,
        severity: e.severity,
        actor: e.actor,
        summary: e.summary,
        occurred_at: e.occurred_at,
        correlation_id: e.correlation_id,
        causation_id: e.causation_id,
        trace_id: e.trace_id,
        span_id: e.span_id,
        producer: e.producer,
        schema_version: e.schema_version,
        payload: JSON.stringify(e.payload ?? null),
      }));
      // A duplicate that slipped past the dedup window has a new seq; a re-applied seq is skipped.
      await trx.insertInto(table(v)).values(rows).onConflict((oc) => oc.doNothing()).execute();
    }
  },
};
