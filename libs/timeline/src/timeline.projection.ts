import { sql } from 'kysely';
import type { AnyDb, AnyTrx, Projection, ProjectionAccumulator, StoredEvent } from '@distillery/projection-runtime';
import { foldInto, foldRuns, type RunDelta } from './timeline.fold.js';

export const TIMELINE_VIEW = 'timeline_runs';
const table = (v: number) => `timeline_runs_v${v}`;
const ROWS_PER_STATEMENT = 2_000;

/**
 * The run timeline: one row per run with its parent, first/last time, event counts per severity, highest severity,
 * latest reason code, stages present, and the summary and actor of its last event. Children, orphan flag and
 * duration are derived in the `timeline_runs` view over the active version.
 */
export const timelineProjection: Projection = {
  name: 'timeline',

  async createVersion(db: AnyDb, v: number) {
    await db.schema
      .createTable(table(v))
      .ifNotExists()
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('parent_run_id', 'text')
      .addColumn('first_at', 'timestamptz', (c) => c.notNull())
      .addColumn('last_at', 'timestamptz', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('info_count', 'integer', (c) => c.notNull())
      .addColumn('warning_count', 'integer', (c) => c.notNull())
      .addColumn('error_count', 'integer', (c) => c.notNull())
      .addColumn('critical_count', 'integer', (c) => c.notNull())
      .addColumn('highest_severity_rank', 'smallint', (c) => c.notNull())
      .addColumn('stages', sql`text[]`, (c) => c.notNull())
      .addColumn('latest_seq', 'bigint', (c) => c.notNull())
      .addColumn('latest_reason_code', 'text', (c) => c.notNull())
      .addColumn('latest_stage', 'text', (c) => c.notNull())
      .addColumn('last_summary', 'text', (c) => c.notNull())
      .addColumn('last_actor', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table(v)}_pk`, ['project_id', 'run_id'])
      // Room on each page for HOT updates: a run's row is updated many times and no indexed column changes.
      .modifyEnd(sql`with (fillfactor = 70)`)
      .execute();
    await db.schema.createIndex(`${table(v)}_parent`).ifNotExists().on(table(v)).columns(['project_id', 'parent_run_id']).execute();
    await db.schema.createIndex(`${table(v)}_first`).ifNotExists().on(table(v)).columns(['first_at', 'project_id', 'run_id']).execute();
    await db.schema.createIndex(`${table(v)}_run`).ifNotExists().on(table(v)).column('run_id').execute();
  },

  async activateVersion(trx: AnyTrx, v: number) {
    await sql`drop view if exists ${sql.id(TIMELINE_VIEW)}`.execute(trx);
    await sql`
      create view ${sql.id(TIMELINE_VIEW)} as
      select r.*,
        (array['info','warning','error','critical'])[r.highest_severity_rank + 1] as highest_severity,
        (extract(epoch from (r.last_at - r.first_at)) * 1000)::bigint as duration_ms,
        (r.parent_run_id is not null and p.run_id is null) as orphan,
        (select count(*) from ${sql.table(table(v))} c where c.project_id = r.project_id and c.parent_run_id = r.run_id)::int as children_count
      from ${sql.table(table(v))} r
      left join ${sql.table(table(v))} p on p.project_id = r.project_id and p.run_id = r.parent_run_id`.execute(trx);
  },

  async dropVersion(db: AnyDb, v: number) {
    await db.schema.dropTable(table(v)).ifExists().cascade().execute();
  },

  async apply(trx: AnyTrx, v: number, events: readonly StoredEvent[]) {
    await upsertAll(trx, v, foldRuns(events));
  },

  accumulator(): ProjectionAccumulator {
    let runs = new Map<string, RunDelta>();
    return {
      add: (events) => foldInto(runs, events),
      flush: async (trx, v) => {
        const deltas = [...runs.values()];
        runs = new Map();
        await upsertAll(trx, v, deltas);
      },
    };
  },
};

async function upsertAll(trx: AnyTrx, v: number, deltas: RunDelta[]): Promise<void> {
  for (let i = 0; i < deltas.length; i += ROWS_PER_STATEMENT) {
    await upsert(trx, v, deltas.slice(i, i + ROWS_PER_STATEMENT));
  }
}

async function upsert(trx: AnyTrx, v: number, rows: RunDelta[]): Promise<void> {
  const t = sql.table(table(v));
  const newer = (col: string) =>
    sql`case when excluded.latest_seq >= ${t}.latest_seq then excluded.${sql.ref(col)} else ${t}.${sql.ref(col)} end`;
  await trx
    .insertInto(table(v))
    .values(rows.map((r) => ({ ...r, stages: sql`${sql.val(r.stages)}::text[]` })))
    .onConflict((oc) =>
      oc.columns(['project_id', 'run_id']).doUpdateSet({
        parent_run_id: sql`coalesce(${t}.parent_run_id, excluded.parent_run_id)`,
        first_at: sql`least(${t}.first_at, excluded.first_at)`,
        last_at: sql`greatest(${t}.last_at, excluded.last_at)`,
        event_count: sql`${t}.event_count + excluded.event_count`,
        info_count: sql`${t}.info_count + excluded.info_count`,
        warning_count: sql`${t}.warning_count + excluded.warning_count`,
        error_count: sql`${t}.error_count + excluded.error_count`,
        critical_count: sql`${t}.critical_count + excluded.critical_count`,
        highest_severity_rank: sql`greatest(${t}.highest_severity_rank, excluded.highest_severity_rank)`,
        // Union of stages in first-seen order (deterministic, so a replay yields the same row): the stored ones, then
        // the new ones in the order this batch met them.
        stages: sql`${t}.stages || array(select s from unnest(excluded.stages) with ordinality u(s, i) where not (s = any(${t}.stages)) order by i)`,
        latest_seq: sql`greatest(${t}.latest_seq, excluded.latest_seq)`,
        latest_reason_code: newer('latest_reason_code'),
        latest_stage: newer('latest_stage'),
        last_summary: newer('last_summary'),
        last_actor: newer('last_actor'),
      }),
    )
    .execute();
}
