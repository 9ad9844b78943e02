import { sql, type Kysely } from 'kysely';
import { ROW_LINEAGE_VIEW } from './row-lineage.projection.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

/** One thing a stage did to a row. */
export interface RowLineageEntry {
  /** `mapping` | `cleaning` | `preparation` (later stages add theirs). */
  readonly stage: string;
  readonly run_id: string;
  /** mapping: accepted | rejected; cleaning: kept | removed; preparation: train | eval | gold. */
  readonly outcome: string;
  /** Why: the rejection reason, or the cleaning removal reason (pii_block, outlier:<kind>, exact_duplicate…). */
  readonly reason: string | null;
  /** Stage specific: source and mapper; PII / quality / outliers / dedup findings; the manifest. */
  readonly detail: Record<string, unknown>;
  readonly occurred_at: string;
  /** Stream sequence of the event that recorded it. */
  readonly seq: number;
}

/** A row's history, oldest first (by stream sequence, then entry). */
export interface RowExplanation {
  readonly row_id: string;
  readonly entries: RowLineageEntry[];
}

/** Outcome counts per stage, e.g. `{ mapping: { accepted: 60, rejected: 2 } }`. */
export type LineageCounts = Record<string, Record<string, number>>;

/** Shortest row id prefix `explainRow` resolves (hex). */
export const MIN_ROW_ID_PREFIX = 8;
const SHOWN_MATCHES = 5;

export class AmbiguousRowIdError extends Error {
  readonly code = 'LINEAGE.AMBIGUOUS_ROW_ID';
  constructor(
    readonly prefix: string,
    /** Up to 5 of the matching row ids, in order. */
    readonly matches: readonly string[],
    /** More rows match than are listed. */
    readonly more: boolean,
  ) {
    super(`row id prefix '${prefix}' matches several rows: ${matches.join(', ')}${more ? ', …' : ''}; give more of the id`);
    this.name = 'AmbiguousRowIdError';
  }
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const json = (v: unknown): Record<string, unknown> => (typeof v === 'string' ? JSON.parse(v) : ((v ?? {}) as Record<string, unknown>));

async function entriesOf(db: Db, projectId: string, rowId: string): Promise<RowLineageEntry[]> {
  const rows = await db
    .selectFrom(ROW_LINEAGE_VIEW)
    .select(['stage', 'run_id', 'outcome', 'reason', 'detail', 'occurred_at', 'seq'])
    .where('project_id', '=', projectId)
    .where('row_id', '=', rowId)
    .orderBy('seq')
    .orderBy('entry')
    .execute();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return rows.map((r: any) => ({
    stage: r.stage,
    run_id: r.run_id,
    outcome: r.outcome,
    reason: r.reason ?? null,
    detail: json(r.detail),
    occurred_at: iso(r.occurred_at),
    seq: Number(r.seq),
  }));
}

/**
 * What happened to a row of a project: every lineage entry, oldest first. Takes the full row id, or a prefix of
 * at least 8 hex characters that only one row of the project starts with (case does not matter). Returns
 * `undefined` when no row matches; throws AmbiguousRowIdError when several do.
 */
export async function explainRow(db: Db, projectId: string, rowIdOrPrefix: string): Promise<RowExplanation | undefined> {
  const wanted = rowIdOrPrefix.trim();
  if (!wanted) return undefined;
  const exact = await entriesOf(db, projectId, wanted);
  if (exact.length > 0) return { row_id: wanted, entries: exact };
  if (wanted.length < MIN_ROW_ID_PREFIX || !/^[0-9a-f]+$/i.test(wanted)) return undefined;
  const prefix = wanted.toLowerCase();
  // Hex only, so no LIKE wildcard can sneak in; row_id is collated "C", so this is a range scan of the primary key.
  const ids = await db
    .selectFrom(ROW_LINEAGE_VIEW)
    .select('row_id')
    .distinct()
    .where('project_id', '=', projectId)
    .where('row_id', 'like', `${prefix}%`)
    .orderBy('row_id')
    .limit(SHOWN_MATCHES + 1)
    .execute();
  if (ids.length === 0) return undefined;
  if (ids.length > 1) {
    throw new AmbiguousRowIdError(
      prefix,
      ids.slice(0, SHOWN_MATCHES).map((r) => String(r.row_id)),
      ids.length > SHOWN_MATCHES,
    );
  }
  const rowId = String(ids[0]!.row_id);
  return { row_id: rowId, entries: await entriesOf(db, projectId, rowId) };
}

/**
 * Outcome counts per stage for one run (an import, a cleaning, a prepare), to check that they add up with the
 * run's event: `mapping` accepted + rejected = rows_accepted + rows_rejected, `cleaning` kept = rows_out, etc.
 */
export async function lineageCounts(db: Db, projectId: string, runId: string): Promise<LineageCounts> {
  const rows = await db
    .selectFrom(ROW_LINEAGE_VIEW)
    .select(['stage', 'outcome', sql<number>`count(*)`.as('n')])
    .where('project_id', '=', projectId)
    .where('run_id', '=', runId)
    .groupBy(['stage', 'outcome'])
    .orderBy('stage')
    .orderBy('outcome')
    .execute();
  const out: LineageCounts = {};
  for (const r of rows) (out[String(r.stage)] ??= {})[String(r.outcome)] = Number(r.n);
  return out;
}
