import { sql, type Kysely } from 'kysely';
import type { ArtifactRef, RunEvent } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { getDataTask, listTrainingRuns, type TrainingRunRow } from '@distillery/data-views';
import { foldSlot } from '@distillery/deployments';
import { listFailureClusters, type FailureCluster } from '@distillery/failure-clusters';
import { RUN_EVENTS_VIEW, TIMELINE_VIEW, listTimeline, type RunEventRow, type TimelineRow } from '@distillery/timeline';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;

export interface SupportBundleScope {
  readonly project_id: string;
  /** A run of the project: the bundle covers it and its descendants. Absent: the whole project. */
  readonly run_id?: string;
}

export class SupportBundleScopeError extends Error {
  readonly code = 'SUPPORT_BUNDLE.SCOPE_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'SupportBundleScopeError';
  }
}

const PAGE = 1_000;
/** Largest recipe / manifest artifact read into a bundle; a bigger one is listed with a note instead. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/** The runs of the scope (timeline rows): the project's, or a run and its descendants. */
export async function scopeRuns(db: Db, scope: SupportBundleScope): Promise<TimelineRow[]> {
  const rows: TimelineRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTimeline(db, { project_id: scope.project_id, ...(scope.run_id ? { root_run_id: scope.run_id } : {}) }, cursor, PAGE);
    rows.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  if (rows.length === 0) {
    throw new SupportBundleScopeError(
      scope.run_id ? `no run '${scope.run_id}' in project '${scope.project_id}'` : `project '${scope.project_id}' has no events`,
    );
  }
  return rows;
}

/** Project summary: runs, events, time span, stages and severities over the whole project. */
export async function projectSummary(db: Db, projectId: string) {
  const r = await db
    .selectFrom(TIMELINE_VIEW)
    .select([
      sql<number>`count(*)`.as('runs'),
      sql<number>`coalesce(sum(event_count), 0)`.as('events'),
      sql<Date>`min(first_at)`.as('first_at'),
      sql<Date>`max(last_at)`.as('last_at'),
      sql<number>`coalesce(sum(info_count), 0)`.as('info'),
      sql<number>`coalesce(sum(warning_count), 0)`.as('warning'),
      sql<number>`coalesce(sum(error_count), 0)`.as('error'),
      sql<number>`coalesce(sum(critical_count), 0)`.as('critical'),
      sql<string[]>`coalesce(array(select distinct unnest(stages) from ${sql.table(TIMELINE_VIEW)} where project_id = ${projectId} order by 1), '{}')`.as('stages'),
    ])
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return {
    project_id: projectId,
    runs: Number(r.runs),
    events: Number(r.events),
    first_at: r.first_at ? iso(r.first_at) : null,
    last_at: r.last_at ? iso(r.last_at) : null,
    severities: { info: Number(r.info), warning: Number(r.warning), error: Number(r.error), critical: Number(r.critical) },
    stages: r.stages,
  };
}

const toEventRow = (r: RunEventRow): RunEventRow => ({ ...r, seq: Number(r.seq), occurred_at: iso(r.occurred_at) });

/**
 * Events of the project, or of the given runs, in log order, keyset-paged by seq. At most `max`; `truncated` says
 * when more were left out (never silently).
 */
export async function scopeEvents(db: Db, projectId: string, runIds: readonly string[] | undefined, max: number): Promise<{ events: RunEventRow[]; truncated: boolean }> {
  const events: RunEventRow[] = [];
  let after = 0;
  for (;;) {
    let q = db.selectFrom(RUN_EVENTS_VIEW).selectAll().where('project_id', '=', projectId).where('seq', '>', after);
    if (runIds) q = q.where('run_id', 'in', [...runIds]);
    const rows = (await q.orderBy('seq').limit(PAGE).execute()) as RunEventRow[];
    for (const r of rows) {
      if (events.length >= max) return { events, truncated: true };
      events.push(toEventRow(r));
    }
    if (rows.length < PAGE) return { events, truncated: false };
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** A JSON (or JSONL, or text) artifact as a value to put in the bundle, or a note saying why it is not there. */
export async function loadDocument(artifacts: FileArtifactStore, ref: ArtifactRef | undefined): Promise<{ ref: ArtifactRef | null; document: unknown; note?: string }> {
  if (!ref) return { ref: null, document: null, note: 'no artifact reference' };
  if (ref.bytes > MAX_MANIFEST_BYTES) return { ref, document: null, note: `artifact is ${ref.bytes} bytes, more than the ${MAX_MANIFEST_BYTES} a bundle includes` };
  let text: string;
  try {
    text = (await artifacts.readBytes(ref)).toString('utf8');
  } catch (err) {
    return { ref, document: null, note: `artifact unreadable: ${(err as Error).message}` };
  }
  try {
    return { ref, document: JSON.parse(text) as unknown };
  } catch {
    const lines = text.split('\n').filter((l) => l.trim());
    try {
      return { ref, document: lines.map((l) => JSON.parse(l) as unknown) };
    } catch {
      return { ref, document: text, note: 'not JSON: included as text' };
    }
  }
}

type Payload = Record<string, unknown>;
const payloadOf = (e: RunEventRow): Payload => (e.payload && typeof e.payload === 'object' ? (e.payload as Payload) : {});
const isRef = (v: unknown): v is ArtifactRef => !!v && typeof v === 'object' && typeof (v as ArtifactRef).uri === 'string' && typeof (v as ArtifactRef).sha256 === 'string';

/** A run's status for the bundle: the training read model's when it is a training run, else read off its events. */
function runStatus(t: TimelineRow, training: TrainingRunRow | undefined): string {
  if (training) return training.status;
  if (t.highest_severity === 'error' || t.highest_severity === 'critical') return 'failed';
  if (/(_completed|_prepared|_created|_promoted|_rolled_back|_rejected|_checked|_cancelled)$/.test(t.latest_reason_code) || t.latest_reason_code === 'dataset_import_run') return 'completed';
  return 'in_progress';
}

/**
 * The runs section: every run of the scope with its status and counts; training runs with their recipe (from
 * `training_requested`) and data manifest (the `manifest_ref` artifact, or the named prepare task's); prepare runs with
 * their manifest.
 */
export async function runsSection(db: Db, artifacts: FileArtifactStore, projectId: string, runs: readonly TimelineRow[], events: readonly RunEventRow[]) {
  const training = new Map((await listTrainingRuns(db, projectId)).map((r) => [r.run_id, r]));
  const byRun = new Map<string, RunEventRow[]>();
  for (const e of events) {
    const list = byRun.get(e.run_id) ?? [];
    list.push(e);
    byRun.set(e.run_id, list);
  }
  const out = [];
  for (const t of runs) {
    const own = byRun.get(t.run_id) ?? [];
    const tr = training.get(t.run_id);
    const item: Record<string, unknown> = {
      run_id: t.run_id,
      parent_run_id: t.parent_run_id,
      status: runStatus(t, tr),
      stages: t.stages,
      first_at: t.first_at,
      last_at: t.last_at,
      event_count: t.event_count,
      highest_severity: t.highest_severity,
      latest_reason_code: t.latest_reason_code,
      last_summary: t.last_summary,
    };
    if (tr) {
      item['training'] = { method: tr.method, engine: tr.engine, step: tr.step, total_steps: tr.total_steps, loss: tr.loss, eval_loss: tr.eval_loss, plan_ref: tr.plan_ref, model_ref: tr.model_ref, failure_code: tr.failure_code, failure_message: tr.failure_message };
    }
    const requested = own.find((e) => e.reason_code === 'training_requested');
    if (requested) {
      const p = payloadOf(requested);
      item['recipe'] = p['recipe'] ?? null;
      item['base_model'] = p['base_model'] ?? null;
      let ref = isRef(p['manifest_ref']) ? p['manifest_ref'] : undefined;
      if (!ref && typeof p['prepare_task_id'] === 'string') {
        const task = await getDataTask(db, projectId, p['prepare_task_id']);
        const r = task?.result?.['manifest_ref'];
        if (isRef(r)) ref = r;
      }
      const m = await loadDocument(artifacts, ref);
      item['manifest_ref'] = m.ref;
      item['manifest'] = m.document;
      if (m.note) item['manifest_note'] = m.note;
    }
    const prepared = own.filter((e) => e.reason_code === 'dataset_prepared').at(-1);
    if (prepared && !requested) {
      const ref = payloadOf(prepared)['manifest_ref'];
      const m = await loadDocument(artifacts, isRef(ref) ? ref : undefined);
      item['manifest_ref'] = m.ref;
      item['manifest'] = m.document;
      if (m.note) item['manifest_note'] = m.note;
    }
    out.push(item);
  }
  return out;
}

/** Failure clusters of the project, every page. */
export async function failureClustersSection(db: Db, projectId: string): Promise<FailureCluster[]> {
  const out: FailureCluster[] = [];
  let cursor: string | undefined;
  do {
    const page = await listFailureClusters(db, { project_id: projectId }, cursor, PAGE);
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/** Deployment slots of the project (every event of a slot is on the run `deploy-<slot>`), folded as the API folds them. */
export async function deploymentsSection(db: Db, projectId: string, maxEvents: number) {
  const slots = await db
    .selectFrom(RUN_EVENTS_VIEW)
    .select('run_id')
    .distinct()
    .where('project_id', '=', projectId)
    .where('stage', '=', 'deployment')
    .where('run_id', 'like', 'deploy-%')
    .orderBy('run_id')
    .execute();
  const out = [];
  for (const { run_id: runId } of slots as Array<{ run_id: string }>) {
    const slot = runId.slice('deploy-'.length);
    const { events, truncated } = await scopeEvents(db, projectId, [runId], maxEvents);
    const state = foldSlot(slot, events as unknown as ReadonlyArray<Pick<RunEvent, 'reason_code' | 'payload' | 'occurred_at'>>);
    out.push({
      slot,
      run_id: runId,
      live: state.live ?? null,
      versions: [...state.versions.values()].sort((a, b) => a.version - b.version),
      promotions: state.promotions,
      events: events.length,
      ...(truncated ? { truncated: true } : {}),
    });
  }
  return out;
}

const EXPORT_TERMINAL = ['export_completed', 'export_run_failed', 'export_artifact_missing', 'export_quantization_failed', 'export_parity_failed'];

/** Export runs (of the scope's events): the request, the outcome and its payload (bundle files, smoke, parity). */
export function exportsSection(events: readonly RunEventRow[]) {
  const runs = new Map<string, RunEventRow[]>();
  for (const e of events) {
    if (e.stage !== 'export') continue;
    const list = runs.get(e.run_id) ?? [];
    list.push(e);
    runs.set(e.run_id, list);
  }
  return [...runs.entries()].map(([runId, list]) => {
    const request = list.find((e) => e.reason_code === 'export_requested');
    const end = [...list].reverse().find((e) => EXPORT_TERMINAL.includes(e.reason_code));
    return {
      run_id: runId,
      parent_run_id: list[0]!.parent_run_id,
      status: end ? (end.reason_code === 'export_completed' ? 'completed' : 'failed') : 'running',
      requested_at: request?.occurred_at ?? null,
      request: request ? request.payload : null,
      outcome: end ? { reason_code: end.reason_code, severity: end.severity, summary: end.summary, occurred_at: end.occurred_at, payload: end.payload } : null,
    };
  });
}

/** PostgreSQL's own version string (`select version()`). */
export async function postgresVersion(db: Db): Promise<string> {
  try {
    const r = await sql<{ version: string }>`select version() as version`.execute(db);
    return r.rows[0]?.version ?? 'unknown';
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}
