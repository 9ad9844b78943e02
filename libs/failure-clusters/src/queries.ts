import { sql, type Kysely } from 'kysely';
import { knownFixOf, type KnownFix, type Stage } from '@distillery/contracts';
import type { Exemplar, FailureSeverity } from './failure-clusters.fold.js';
import { FAILURE_CLUSTER_EXEMPLARS_VIEW, FAILURE_CLUSTER_RUNS_VIEW, FAILURE_CLUSTERS_VIEW } from './failure-clusters.projection.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export interface FailureClusterFilters {
  readonly project_id?: string;
  readonly stage?: readonly Stage[];
  readonly reason_code?: readonly string[];
  /** Clusters seen at or after this time (last_seen ≥ since). */
  readonly since?: string;
  /** Clusters seen before this time (first_seen < until). */
  readonly until?: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Opaque; pass back as `cursor` for the next page. `null` on the last page. */
  readonly next_cursor: string | null;
}

/** Run ids a list item shows (the newest); the detail shows AFFECTED_RUNS_SHOWN with their counts. */
export const RECENT_RUNS_IN_LIST = 5;
export const AFFECTED_RUNS_SHOWN = 20;
/** Shortest cluster id prefix `getFailureCluster` resolves (hex). */
export const MIN_CLUSTER_ID_PREFIX = 8;
const SHOWN_MATCHES = 5;

export interface FailureCluster {
  readonly cluster_id: string;
  readonly project_id: string;
  readonly stage: string;
  readonly reason_code: string;
  readonly signature: string;
  /** Failure events in the cluster. */
  readonly count: number;
  /** `critical` when any of its events was critical. */
  readonly severity: FailureSeverity;
  readonly counts: { readonly error: number; readonly critical: number };
  readonly first_seen: string;
  readonly last_seen: string;
  /** Stream sequence of the newest event. */
  readonly last_seq: number;
  readonly last_summary: string;
  readonly last_run_id: string;
  /** Distinct runs with an event in the cluster. */
  readonly runs_count: number;
  /** The newest of them (at most RECENT_RUNS_IN_LIST), newest first. */
  readonly recent_run_ids: string[];
  /** What usually causes this reason code and what to try; null for a code without one (not a failure code). */
  readonly known_fix: KnownFix | null;
}

export interface AffectedRun {
  readonly run_id: string;
  readonly count: number;
  readonly first_seen: string;
  readonly last_seen: string;
}

export interface FailureClusterDetail extends FailureCluster {
  /** The newest affected runs (at most AFFECTED_RUNS_SHOWN), newest first; runs_count has them all. */
  readonly affected_runs: AffectedRun[];
  /** The newest events of the cluster, newest first. */
  readonly exemplars: Exemplar[];
}

export class InvalidClusterCursorError extends Error {
  readonly code = 'QUERY.INVALID_CURSOR';
  constructor() {
    super('cursor: not a cursor returned by this endpoint');
    this.name = 'InvalidClusterCursorError';
  }
}

export class AmbiguousClusterIdError extends Error {
  readonly code = 'FAILURES.AMBIGUOUS_CLUSTER_ID';
  constructor(
    readonly prefix: string,
    /** Up to 5 of the matching cluster ids, in order. */
    readonly matches: readonly string[],
    readonly more: boolean,
  ) {
    super(`cluster id prefix '${prefix}' matches several clusters: ${matches.join(', ')}${more ? ', …' : ''}; give more of the id`);
    this.name = 'AmbiguousClusterIdError';
  }
}

type Cursor = { l: string; i: string };
const isCursor = (v: unknown): v is Cursor =>
  typeof v === 'object' && v !== null && typeof (v as Cursor).l === 'string' && typeof (v as Cursor).i === 'string' && !Number.isNaN(Date.parse((v as Cursor).l));
const encode = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');
function decode(cursor: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (isCursor(v)) return v;
  } catch {
    /* fall through */
  }
  throw new InvalidClusterCursorError();
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toCluster(r: any, recent: string[]): FailureCluster {
  const critical = Number(r.critical_count);
  return {
    cluster_id: r.cluster_id,
    project_id: r.project_id,
    stage: r.stage,
    reason_code: r.reason_code,
    signature: r.signature,
    count: Number(r.event_count),
    severity: critical > 0 ? 'critical' : 'error',
    counts: { error: Number(r.error_count), critical },
    first_seen: iso(r.first_seen),
    last_seen: iso(r.last_seen),
    last_seq: Number(r.last_seq),
    last_summary: r.last_summary,
    last_run_id: r.last_run_id,
    runs_count: Number(r.runs_count),
    recent_run_ids: recent,
    known_fix: knownFixOf(r.reason_code) ?? null,
  };
}

/** The newest runs of each cluster, newest first: one query for a whole page. */
async function recentRuns(db: Db, ids: readonly string[], perCluster: number): Promise<Map<string, AffectedRun[]>> {
  const out = new Map<string, AffectedRun[]>();
  if (ids.length === 0) return out;
  const rows = await sql<{ cluster_id: string; run_id: string; event_count: number; first_seen: unknown; last_seen: unknown }>`
    select cluster_id, run_id, event_count, first_seen, last_seen from (
      select r.*, row_number() over (partition by cluster_id order by last_seq desc, run_id) as rn
      from ${sql.table(FAILURE_CLUSTER_RUNS_VIEW)} r where cluster_id = any(${[...ids]}::text[])
    ) ranked
    where rn <= ${perCluster}
    order by cluster_id, rn`.execute(db);
  for (const r of rows.rows) {
    const list = out.get(r.cluster_id) ?? [];
    list.push({ run_id: r.run_id, count: Number(r.event_count), first_seen: iso(r.first_seen), last_seen: iso(r.last_seen) });
    out.set(r.cluster_id, list);
  }
  return out;
}

/** Clusters, newest last_seen first, keyset-paged. A cluster that fails again between two pages moves to the front. */
export async function listFailureClusters(db: Db, f: FailureClusterFilters, cursor: string | undefined, limit: number): Promise<Page<FailureCluster>> {
  let q = db.selectFrom(FAILURE_CLUSTERS_VIEW).selectAll();
  if (f.project_id) q = q.where('project_id', '=', f.project_id);
  if (f.stage?.length) q = q.where('stage', 'in', [...f.stage]);
  if (f.reason_code?.length) q = q.where('reason_code', 'in', [...f.reason_code]);
  if (f.since) q = q.where('last_seen', '>=', f.since);
  if (f.until) q = q.where('first_seen', '<', f.until);
  if (cursor) {
    const c = decode(cursor);
    q = q.where(sql<boolean>`(last_seen, cluster_id) < (${c.l}::timestamptz, ${c.i})`);
  }
  const rows = await q.orderBy('last_seen', 'desc').orderBy('cluster_id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const recent = await recentRuns(
    db,
    page.map((r) => String(r.cluster_id)),
    RECENT_RUNS_IN_LIST,
  );
  const items = page.map((r) => toCluster(r, (recent.get(String(r.cluster_id)) ?? []).map((x) => x.run_id)));
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encode({ l: last.last_seen, i: last.cluster_id }) : null };
}

async function clusterRow(db: Db, id: string) {
  return db.selectFrom(FAILURE_CLUSTERS_VIEW).selectAll().where('cluster_id', '=', id).executeTakeFirst();
}

/** Resolves a full cluster id or a unique prefix of at least 8 hex characters (any case). */
async function resolveId(db: Db, idOrPrefix: string): Promise<string | undefined> {
  const wanted = idOrPrefix.trim().toLowerCase();
  if (!wanted) return undefined;
  if (await clusterRow(db, wanted)) return wanted;
  if (wanted.length < MIN_CLUSTER_ID_PREFIX || !/^[0-9a-f]+$/.test(wanted)) return undefined;
  // Hex only, so no LIKE wildcard can sneak in; cluster_id is collated "C", so this is a range scan of the key.
  const ids = await db
    .selectFrom(FAILURE_CLUSTERS_VIEW)
    .select('cluster_id')
    .where('cluster_id', 'like', `${wanted}%`)
    .orderBy('cluster_id')
    .limit(SHOWN_MATCHES + 1)
    .execute();
  if (ids.length > 1) {
    throw new AmbiguousClusterIdError(
      wanted,
      ids.slice(0, SHOWN_MATCHES).map((r) => String(r.cluster_id)),
      ids.length > SHOWN_MATCHES,
    );
  }
  return ids[0] ? String(ids[0].cluster_id) : undefined;
}

/**
 * One cluster with its newest exemplars, its newest affected runs and the known-fix hint. Takes the full id or a
 * unique prefix of 8+ hex characters; `undefined` when none matches, AmbiguousClusterIdError when several do.
 */
export async function getFailureCluster(db: Db, idOrPrefix: string): Promise<FailureClusterDetail | undefined> {
  const id = await resolveId(db, idOrPrefix);
  if (!id) return undefined;
  const row = await clusterRow(db, id);
  if (!row) return undefined;
  const runs = (await recentRuns(db, [id], AFFECTED_RUNS_SHOWN)).get(id) ?? [];
  const ex = await db.selectFrom(FAILURE_CLUSTER_EXEMPLARS_VIEW).selectAll().where('cluster_id', '=', id).orderBy('seq', 'desc').execute();
  return {
    ...toCluster(
      row,
      runs.slice(0, RECENT_RUNS_IN_LIST).map((r) => r.run_id),
    ),
    affected_runs: runs,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    exemplars: ex.map((x: any) => ({
      seq: Number(x.seq),
      event_id: x.event_id,
      run_id: x.run_id,
      summary: x.summary,
      severity: x.severity,
      occurred_at: iso(x.occurred_at),
    })),
  };
}

/** Every row of the three tables in a stable order, for comparing two builds row for row. */
export async function dumpFailureClusters(db: Db) {
  const norm = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v])));
  return {
    clusters: norm(await db.selectFrom(FAILURE_CLUSTERS_VIEW).selectAll().orderBy('cluster_id').execute()),
    runs: norm(await db.selectFrom(FAILURE_CLUSTER_RUNS_VIEW).selectAll().orderBy('cluster_id').orderBy('run_id').execute()),
    exemplars: norm(await db.selectFrom(FAILURE_CLUSTER_EXEMPLARS_VIEW).selectAll().orderBy('cluster_id').orderBy('seq').execute()),
  };
}
