import { sql } from 'kysely';
import type { RunEvent } from '@distillery/contracts';
import type { AnyTrx, AnyDb, Projection, StoredEvent } from '@distillery/projection-runtime';

export const DATA_TASKS_VIEW = 'data_tasks';
const tasks = (v: number) => `data_tasks_v${v}`;

export type DataTaskKind = 'clean' | 'prepare';

/** Which events move a clean / prepare task, and where. */
const REQUESTED: Readonly<Record<string, DataTaskKind>> = { cleaning_requested: 'clean', dataset_prep_requested: 'prepare' };
const PROGRESS = new Set(['cleaning_progress', 'dataset_prep_progress']);
const COMPLETED = new Set(['cleaning_completed', 'dataset_prepared']);
const FAILED = new Set(['cleaning_failed', 'cleaning_pii_block', 'dataset_prep_failed']);
/** Findings that do not end a task (a warning-level leakage or outlier report), unless they are errors. */
const FINDINGS = new Set(['cleaning_outlier_threshold_exceeded', 'dataset_leakage_detected']);

/**
 * Clean and prepare jobs per project — the task a user polls: requested → running (phase, rows done of total) →
 * completed (the completion payload: refs, counts) | failed (the code and message that ended it). Findings on the
 * way (outlier share, leakage) are kept as a list of {code, severity, summary}.
 */
export const dataTasksProjection: Projection = {
  name: 'data_tasks',

  async createVersion(db: AnyDb, v: number) {
    await db.schema
      .createTable(tasks(v))
      .ifNotExists()
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('phase', 'text')
      .addColumn('rows_done', 'bigint')
      .addColumn('rows_total', 'bigint')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .addColumn('request', 'jsonb', (c) => c.notNull())
      .addColumn('result', 'jsonb')
      .addColumn('findings', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('summary', 'text')
      .addColumn('failure_code', 'text')
      .addColumn('failure_message', 'text')
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${tasks(v)}_pk`, ['project_id', 'task_id'])
      .execute();
    await db.schema.createIndex(`${tasks(v)}_kind`).ifNotExists().on(tasks(v)).columns(['project_id', 'kind', 'status']).execute();
  },

  async activateVersion(trx: AnyTrx, v: number) {
    await sql`drop view if exists ${sql.id(DATA_TASKS_VIEW)}`.execute(trx);
    await sql`create view ${sql.id(DATA_TASKS_VIEW)} as select * from ${sql.table(tasks(v))}`.execute(trx);
  },

  async dropVersion(db: AnyDb, v: number) {
    await db.schema.dropTable(tasks(v)).ifExists().cascade().execute();
  },

  async apply(trx: AnyTrx, v: number, events: readonly StoredEvent[]) {
    for (const { seq, event } of events) await applyOne(trx, v, seq, event);
  },
};

async function applyOne(trx: AnyTrx, v: number, seq: number, e: RunEvent): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const key = (q: any) => q.where('project_id', '=', e.project_id).where('task_id', '=', e.run_id);
  const open = ['requested', 'running'];
  const kind = REQUESTED[e.reason_code];
  if (kind) {
    await trx
      .insertInto(tasks(v))
      .values({
        project_id: e.project_id,
        task_id: e.run_id,
        kind,
        status: 'requested',
        actor: e.actor,
        requested_at: e.occurred_at,
        updated_at: e.occurred_at,
        request: JSON.stringify(e.payload),
        summary: e.summary,
        last_seq: seq,
      })
      .onConflict((oc) => oc.columns(['project_id', 'task_id']).doNothing())
      .execute();
    return;
  }
  if (PROGRESS.has(e.reason_code)) {
    const p = e.payload as { phase: string; rows_done: number; rows_total: number };
    await key(trx.updateTable(tasks(v)).set({ status: 'running', phase: p.phase, rows_done: p.rows_done, rows_total: p.rows_total, updated_at: e.occurred_at, summary: e.summary, last_seq: seq }))
      .where('status', 'in', open)
      .execute();
    return;
  }
  if (COMPLETED.has(e.reason_code)) {
    await key(
      trx.updateTable(tasks(v)).set({ status: 'completed', finished_at: e.occurred_at, updated_at: e.occurred_at, result: JSON.stringify(e.payload), summary: e.summary, last_seq: seq }),
    )
      .where('status', 'in', open)
      .execute();
    return;
  }
  const ends = FAILED.has(e.reason_code) || (FINDINGS.has(e.reason_code) && e.severity === 'error') || (e.reason_code === 'event_handler_failed' && e.stage === 'system');
  if (FINDINGS.has(e.reason_code)) {
    const finding = JSON.stringify([{ code: e.reason_code, severity: e.severity, summary: e.summary }]);
    await key(trx.updateTable(tasks(v)).set({ findings: sql`findings || ${finding}::jsonb`, updated_at: e.occurred_at, last_seq: seq })).execute();
  }
  if (ends) {
    const failure = (e.payload as { failure?: { message?: string } }).failure;
    await key(
      trx.updateTable(tasks(v)).set({
        status: 'failed',
        finished_at: e.occurred_at,
        updated_at: e.occurred_at,
        result: JSON.stringify(e.payload),
        summary: e.summary,
        failure_code: e.reason_code,
        failure_message: failure?.message ?? e.summary,
        last_seq: seq,
      }),
    )
      .where('status', 'in', open)
      .execute();
  }
}
