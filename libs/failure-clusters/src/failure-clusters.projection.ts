import { sql } from 'kysely';
import type { AnyDb, AnyTrx, Projection, ProjectionAccumulator, StoredEvent } from '@distillery/projection-runtime';
import { EXEMPLARS_KEPT, foldClusters, foldFailures, type ClusterDelta } from './failure-clusters.fold.js';

export const FAILURE_CLUSTERS_VIEW = 'failure_clusters';
export const FAILURE_CLUSTER_RUNS_VIEW = 'failure_cluster_runs';
export const FAILURE_CLUSTER_EXEMPLARS_VIEW = 'failure_cluster_exemplars';

const clusters = (v: number) => `failure_clusters_v${v}`;
const runs = (v: number) => `failure_cluster_runs_v${v}`;
const exemplars = (v: number) => `failure_cluster_exemplars_v${v}`;
const ROWS_PER_STATEMENT = 1_000;

/**
 * Failure clusters: every error or critical RunEvent, grouped by (project, stage, reason code, signature of the
 * summary). Three tables per version:
 *  - `failure_clusters_v<n>`: one row per cluster — counts (events, error, critical, affected runs), first/last seen,
 *    the newest summary;
 *  - `failure_cluster_runs_v<n>`: one row per (cluster, run) — so affected runs are counted exactly and listed newest
 *    first without a bound on the table;
 *  - `failure_cluster_exemplars_v<n>`: the newest EXEMPLARS_KEPT events of each cluster.
 * The known-fix hint is not stored: it comes from the registry in @distillery/contracts when a cluster is read, so a
 * better hint shows without a rebuild.
 *
 * Every merge is order-free (sums, least/greatest, newest by sequence), so a rebuild by replay yields the same rows.
 * A batch applied twice (its checkpoint lost) changes nothing: a cluster or run row only takes a delta whose first
 * sequence is past its own last one, and exemplars are keyed by sequence.
 */
export const failureClustersProjection: Projection = {
  name: 'failure_clusters',

  async createVersion(db: AnyDb, v: number) {
    await db.schema
      .createTable(clusters(v))
      .ifNotExists()
      // Byte order ("C"): the primary key also serves short-id lookups (`cluster_id like 'prefix%'`).
      .addColumn('cluster_id', sql`text collate "C"`, (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('reason_code', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('error_count', 'integer', (c) => c.notNull())
      .addColumn('critical_count', 'integer', (c) => c.notNull())
      .addColumn('runs_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('first_seen', 'timestamptz', (c) => c.notNull())
      .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
      .addColumn('first_seq', 'bigint', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addColumn('last_summary', 'text', (c) => c.notNull())
      .addColumn('last_run_id', 'text', (c) => c.notNull())
      .execute();
    // The list: newest last_seen first, keyset-paged on (last_seen, cluster_id); per project for the common filter.
    await db.schema.createIndex(`${clusters(v)}_recent`).ifNotExists().on(clusters(v)).columns(['last_seen', 'cluster_id']).execute();
    await db.schema.createIndex(`${clusters(v)}_project`).ifNotExists().on(clusters(v)).columns(['project_id', 'last_seen']).execute();

    await db.schema
      .createTable(runs(v))
      .ifNotExists()
      .addColumn('cluster_id', sql`text collate "C"`, (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('first_seen', 'timestamptz', (c) => c.notNull())
      .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
      .addColumn('first_seq', 'bigint', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${runs(v)}_pk`, ['cluster_id', 'run_id'])
      .execute();
    await db.schema.createIndex(`${runs(v)}_recent`).ifNotExists().on(runs(v)).columns(['cluster_id', 'last_seq']).execute();

    await db.schema
      .createTable(exemplars(v))
      .ifNotExists()
      .addColumn('cluster_id', sql`text collate "C"`, (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${exemplars(v)}_pk`, ['cluster_id', 'seq'])
      .execute();
  },

  async activateVersion(trx: AnyTrx, v: number) {
    for (const [view, table] of [
      [FAILURE_CLUSTERS_VIEW, clusters(v)],
      [FAILURE_CLUSTER_RUNS_VIEW, runs(v)],
      [FAILURE_CLUSTER_EXEMPLARS_VIEW, exemplars(v)],
    ] as const) {
      await sql`drop view if exists ${sql.id(view)}`.execute(trx);
      await sql`create view ${sql.id(view)} as select * from ${sql.table(table)}`.execute(trx);
    }
  },

  async dropVersion(db: AnyDb, v: number) {
    for (const t of [exemplars(v), runs(v), clusters(v)]) await db.schema.dropTable(t).ifExists().cascade().execute();
  },

  async apply(trx: AnyTrx, v: number, events: readonly StoredEvent[]) {
    await writeDeltas(trx, v, foldClusters(events));
  },

  accumulator(): ProjectionAccumulator {
    let pending = new Map<string, ClusterDelta>();
    return {
      add: (events) => foldFailures(pending, events),
      flush: async (trx, v) => {
        const deltas = [...pending.values()];
        pending = new Map();
        await writeDeltas(trx, v, deltas);
      },
    };
  },
};

const chunks = <T>(xs: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += ROWS_PER_STATEMENT) out.push(xs.slice(i, i + ROWS_PER_STATEMENT));
  return out;
};

async function writeDeltas(trx: AnyTrx, v: number, deltas: readonly ClusterDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const c = sql.table(clusters(v));
  for (const part of chunks(deltas)) {
    await trx
      .insertInto(clusters(v))
      .values(
        part.map((d) => ({
          cluster_id: d.cluster_id,
          project_id: d.project_id,
          stage: d.stage,
          reason_code: d.reason_code,
          signature: d.signature,
          event_count: d.event_count,
          error_count: d.error_count,
          critical_count: d.critical_count,
          first_seen: d.first_seen,
          last_seen: d.last_seen,
          first_seq: d.first_seq,
          last_seq: d.last_seq,
          last_summary: d.last_summary,
          last_run_id: d.last_run_id,
        })),
      )
      .onConflict((oc) =>
        oc
          .column('cluster_id')
          .doUpdateSet({
            event_count: sql`${c}.event_count + excluded.event_count`,
            error_count: sql`${c}.error_count + excluded.error_count`,
            critical_count: sql`${c}.critical_count + excluded.critical_count`,
            first_seen: sql`least(${c}.first_seen, excluded.first_seen)`,
            last_seen: sql`greatest(${c}.last_seen, excluded.last_seen)`,
            last_seq: sql`excluded.last_seq`,
            last_summary: sql`excluded.last_summary`,
            last_run_id: sql`excluded.last_run_id`,
          })
          // Only a delta from later in the stream: re-applying a batch is a no-op.
          .where(sql<boolean>`${c}.last_seq < excluded.first_seq`),
      )
      .execute();
  }

  const r = sql.table(runs(v));
  const runRows = deltas.flatMap((d) => [...d.runs.values()].map((x) => ({ cluster_id: d.cluster_id, ...x })));
  for (const part of chunks(runRows)) {
    await trx
      .insertInto(runs(v))
      .values(part)
      .onConflict((oc) =>
        oc
          .columns(['cluster_id', 'run_id'])
          .doUpdateSet({
            event_count: sql`${r}.event_count + excluded.event_count`,
            first_seen: sql`least(${r}.first_seen, excluded.first_seen)`,
            last_seen: sql`greatest(${r}.last_seen, excluded.last_seen)`,
            last_seq: sql`excluded.last_seq`,
          })
          .where(sql<boolean>`${r}.last_seq < excluded.first_seq`),
      )
      .execute();
  }

  const exemplarRows = deltas.flatMap((d) => d.exemplars.map((x) => ({ cluster_id: d.cluster_id, ...x })));
  for (const part of chunks(exemplarRows)) {
    await trx.insertInto(exemplars(v)).values(part).onConflict((oc) => oc.columns(['cluster_id', 'seq']).doNothing()).execute();
  }

  const ids = deltas.map((d) => d.cluster_id);
  // Keep the newest EXEMPLARS_KEPT of each touched cluster.
  await sql`
    delete from ${sql.table(exemplars(v))} x
    using (
      select cluster_id, seq, row_number() over (partition by cluster_id order by seq desc) as rn
      from ${sql.table(exemplars(v))}
      where cluster_id = any(${ids}::text[])
    ) ranked
    where x.cluster_id = ranked.cluster_id and x.seq = ranked.seq and ranked.rn > ${EXEMPLARS_KEPT}
  `.execute(trx);
  // Affected runs, counted exactly from the run rows of each touched cluster.
  await sql`
    update ${c} set runs_count = (select count(*) from ${r} where ${r}.cluster_id = ${c}.cluster_id)
    where ${c}.cluster_id = any(${ids}::text[])
  `.execute(trx);
}
