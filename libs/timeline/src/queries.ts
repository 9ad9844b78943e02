import { sql, type Kysely } from 'kysely';
import { SEVERITIES, SEVERITY_RANK, type RunEvent, type Severity, type Stage } from '@distillery/contracts';
import { RUN_EVENTS_VIEW } from './run-events.projection.js';
import { foldRuns } from './timeline.fold.js';
import { TIMELINE_VIEW } from './timeline.projection.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export interface EventFilters {
  readonly project_id?: string;
  readonly run_id?: string;
  readonly parent_run_id?: string;
  readonly stage?: readonly Stage[];
  readonly severity?: readonly Severity[];
  readonly reason_code?: readonly string[];
  readonly since?: string;
  readonly until?: string;
  /** Time travel: only what had happened by then (occurred_at ≤ as_of). */
  readonly as_of?: string;
  /** Who caused the events (`user:alice`, `service:training`). */
  readonly actor?: readonly string[];
  /** Free text, case-insensitive, anywhere in the summary. */
  readonly q?: string;
  /** Anchor on a subtree: this run and every descendant. */
  readonly root_run_id?: string;
}

export type TimelineFilters = Omit<EventFilters, 'actor' | 'q' | 'as_of'>;

export interface Page<T> {
  readonly items: T[];
  /** Opaque; pass back as `cursor` for the next page. `null` when this is the last page (never a silent cut). */
  readonly next_cursor: string | null;
}

export class InvalidCursorError extends Error {
  readonly code = 'QUERY.INVALID_CURSOR';
  constructor() {
    super('cursor: not a cursor returned by this endpoint');
    this.name = 'InvalidCursorError';
  }
}

const encode = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function decode<T>(cursor: string, check: (v: unknown) => v is T): T {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (check(v)) return v;
  } catch {
    /* fall through */
  }
  throw new InvalidCursorError();
}

export interface RunEventRow {
  seq: number;
  id: string;
  project_id: string;
  run_id: string;
  parent_run_id: string | null;
  stage: string;
  reason_code: string;
  severity: string;
  actor: string;
  summary: string;
  occurred_at: string;
  correlation_id: string;
  causation_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  producer: string;
  schema_version: number;
  payload: unknown;
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/** `(project_id, run_id) in <the run and its descendants>`, over the timeline's one row per run. */
const subtree = (root: string, project: string | undefined) =>
  sql<boolean>`(project_id, run_id) in (with recursive tree(project_id, run_id) as (
          select project_id, run_id from ${sql.table(TIMELINE_VIEW)} where run_id = ${root} ${project ? sql`and project_id = ${project}` : sql``}
          union
          select c.project_id, c.run_id from ${sql.table(TIMELINE_VIEW)} c join tree t on c.project_id = t.project_id and c.parent_run_id = t.run_id
        ) select project_id, run_id from tree)`;

/** A LIKE pattern matching `text` literally anywhere (its %, _ and \ escaped). */
const containing = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * RunEvents in log order, filtered by project, run, parent, subtree, stage, severity, reason code, actor, time window
 * (`since` ≤ occurred_at < `until`, or everything up to `as_of`) and free text in the summary; cursor-paged by seq.
 */
export async function listEvents(db: Db, f: EventFilters, cursor: string | undefined, limit: number): Promise<Page<RunEventRow>> {
  const after = cursor ? decode(cursor, (v): v is { s: number } => typeof (v as { s?: unknown })?.s === 'number').s : 0;
  let q = db.selectFrom(RUN_EVENTS_VIEW).selectAll().where('seq', '>', after);
  if (f.root_run_id) q = q.where(subtree(f.root_run_id, f.project_id));
  if (f.actor?.length) q = q.where('actor', 'in', [...f.actor]);
  if (f.q) q = q.where(sql<boolean>`summary ilike ${containing(f.q)} escape '\\'`);
  if (f.as_of) q = q.where('occurred_at', '<=', f.as_of);
  if (f.project_id) q = q.where('project_id', '=', f.project_id);
  if (f.run_id) q = q.where('run_id', '=', f.run_id);
  if (f.parent_run_id) q = q.where('parent_run_id', '=', f.parent_run_id);
  if (f.stage?.length) q = q.where('stage', 'in', [...f.stage]);
  if (f.severity?.length) q = q.where('severity', 'in', [...f.severity]);
  if (f.reason_code?.length) q = q.where('reason_code', 'in', [...f.reason_code]);
  if (f.since) q = q.where('occurred_at', '>=', f.since);
  if (f.until) q = q.where('occurred_at', '<', f.until);
  const rows = (await q.orderBy('seq').limit(limit + 1).execute()) as RunEventRow[];
  const items = rows.slice(0, limit).map((r) => ({ ...r, seq: Number(r.seq), occurred_at: iso(r.occurred_at) }));
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encode({ s: last.seq }) : null };
}

export interface TimelineRow {
  project_id: string;
  run_id: string;
  parent_run_id: string | null;
  children_count: number;
  orphan: boolean;
  first_at: string;
  last_at: string;
  duration_ms: number;
  event_count: number;
  counts: Record<Severity, number>;
  highest_severity: Severity;
  latest_reason_code: string;
  latest_stage: string;
  latest_seq: number;
  stages: string[];
  last_summary: string;
  last_actor: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toTimelineRow(r: any): TimelineRow {
  return {
    project_id: r.project_id,
    run_id: r.run_id,
    parent_run_id: r.parent_run_id,
    children_count: Number(r.children_count),
    orphan: Boolean(r.orphan),
    first_at: iso(r.first_at),
    last_at: iso(r.last_at),
    duration_ms: Number(r.duration_ms),
    event_count: Number(r.event_count),
    counts: { info: r.info_count, warning: r.warning_count, error: r.error_count, critical: r.critical_count },
    highest_severity: r.highest_severity,
    latest_reason_code: r.latest_reason_code,
    latest_stage: r.latest_stage,
    latest_seq: Number(r.latest_seq),
    stages: r.stages,
    last_summary: r.last_summary,
    last_actor: r.last_actor,
  };
}

type TimelineCursor = { f: string; p: string; r: string };
const isTimelineCursor = (v: unknown): v is TimelineCursor =>
  typeof v === 'object' && v !== null && ['f', 'p', 'r'].every((k) => typeof (v as Record<string, unknown>)[k] === 'string');

/** Runs in order of their first event; filters as for events, plus a subtree anchor. */
export async function listTimeline(db: Db, f: TimelineFilters, cursor: string | undefined, limit: number): Promise<Page<TimelineRow>> {
  let q = db.selectFrom(TIMELINE_VIEW).selectAll();
  if (f.root_run_id) q = q.where(subtree(f.root_run_id, f.project_id));
  if (f.project_id) q = q.where('project_id', '=', f.project_id);
  if (f.run_id) q = q.where('run_id', '=', f.run_id);
  if (f.parent_run_id) q = q.where('parent_run_id', '=', f.parent_run_id);
  if (f.stage?.length) q = q.where(sql<boolean>`stages && ${sql.val([...f.stage])}::text[]`);
  if (f.severity?.length) q = q.where('highest_severity_rank', 'in', f.severity.map((s) => SEVERITY_RANK[s]));
  if (f.reason_code?.length) q = q.where('latest_reason_code', 'in', [...f.reason_code]);
  if (f.since) q = q.where('last_at', '>=', f.since);
  if (f.until) q = q.where('first_at', '<', f.until);
  if (cursor) {
    const c = decode(cursor, isTimelineCursor);
    q = q.where(sql<boolean>`(first_at, project_id, run_id) > (${c.f}::timestamptz, ${c.p}, ${c.r})`);
  }
  const rows = await q.orderBy('first_at').orderBy('project_id').orderBy('run_id').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map(toTimelineRow);
  const last = items[items.length - 1];
  return {
    items,
    next_cursor: rows.length > limit && last ? encode({ f: last.first_at, p: last.project_id, r: last.run_id }) : null,
  };
}

export async function getRun(db: Db, runId: string, projectId?: string): Promise<TimelineRow | undefined> {
  let q = db.selectFrom(TIMELINE_VIEW).selectAll().where('run_id', '=', runId);
  if (projectId) q = q.where('project_id', '=', projectId);
  const r = await q.executeTakeFirst();
  return r ? toTimelineRow(r) : undefined;
}

/** The stored row of a RunEvent as the RunEvent it was (the read model keeps every field). */
export const asRunEvent = (r: RunEventRow): RunEvent =>
  ({
    id: r.id,
    schema_version: r.schema_version,
    project_id: r.project_id,
    run_id: r.run_id,
    parent_run_id: r.parent_run_id,
    stage: r.stage,
    reason_code: r.reason_code,
    severity: r.severity,
    actor: r.actor,
    summary: r.summary,
    occurred_at: r.occurred_at,
    correlation_id: r.correlation_id,
    causation_id: r.causation_id,
    trace_id: r.trace_id,
    span_id: r.span_id,
    producer: r.producer,
    payload: r.payload,
  }) as RunEvent;

/** Every event of one run (and project) that had happened by `asOf`, in log order. */
export async function runEventsAsOf(db: Db, runId: string, projectId: string | undefined, asOf: string): Promise<RunEventRow[]> {
  const out: RunEventRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await listEvents(db, { run_id: runId, ...(projectId ? { project_id: projectId } : {}), as_of: asOf }, cursor, 1_000);
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * Time travel: a run's timeline row as it stood at `asOf`, folded from the log's events up to then with the same fold
 * the timeline projection uses (so "now" equals the live row). `undefined` when the run had no event yet.
 */
export async function getRunAsOf(db: Db, runId: string, projectId: string | undefined, asOf: string): Promise<(TimelineRow & { as_of: string }) | undefined> {
  const rows = await runEventsAsOf(db, runId, projectId, asOf);
  const projects = new Set(rows.map((r) => r.project_id));
  if (projects.size > 1) throw new AmbiguousRunError(runId, [...projects]);
  const [d] = foldRuns(rows.map((r) => ({ seq: r.seq, event: asRunEvent(r) })));
  if (!d) return undefined;
  const children = await db
    .selectFrom(RUN_EVENTS_VIEW)
    .select(sql<number>`count(distinct run_id)`.as('n'))
    .where('project_id', '=', d.project_id)
    .where('parent_run_id', '=', d.run_id)
    .where('run_id', '!=', d.run_id)
    .where('occurred_at', '<=', asOf)
    .executeTakeFirst();
  const parentSeen = d.parent_run_id === null ? true : (await db.selectFrom(RUN_EVENTS_VIEW).select('seq').where('project_id', '=', d.project_id).where('run_id', '=', d.parent_run_id).where('occurred_at', '<=', asOf).limit(1).executeTakeFirst()) !== undefined;
  return {
    project_id: d.project_id,
    run_id: d.run_id,
    parent_run_id: d.parent_run_id,
    children_count: Number(children?.n ?? 0),
    orphan: !parentSeen,
    first_at: iso(d.first_at),
    last_at: iso(d.last_at),
    duration_ms: Date.parse(d.last_at) - Date.parse(d.first_at),
    event_count: d.event_count,
    counts: { info: d.info_count, warning: d.warning_count, error: d.error_count, critical: d.critical_count },
    highest_severity: SEVERITIES[d.highest_severity_rank] as Severity,
    latest_reason_code: d.latest_reason_code,
    latest_stage: d.latest_stage,
    latest_seq: d.latest_seq,
    stages: d.stages,
    last_summary: d.last_summary,
    last_actor: d.last_actor,
    as_of: asOf,
  };
}

export class AmbiguousRunError extends Error {
  readonly code = 'QUERY.AMBIGUOUS_RUN';
  constructor(runId: string, projects: readonly string[]) {
    super(`run '${runId}' exists in several projects (${projects.join(', ')}): name one with project_id`);
    this.name = 'AmbiguousRunError';
  }
}

/** Every timeline row in a stable order, for comparing two builds row for row. */
export async function dumpTimeline(db: Db): Promise<TimelineRow[]> {
  const rows = await db.selectFrom(TIMELINE_VIEW).selectAll().orderBy('project_id').orderBy('run_id').execute();
  return rows.map(toTimelineRow);
}
