import { sql } from 'kysely';
import type { RunEvent } from '@distillery/contracts';
import type { AnyDb, AnyTrx, Projection, StoredEvent } from '@distillery/projection-runtime';

export const TRAINING_RUNS_VIEW = 'training_runs';
const runs = (v: number) => `training_runs_v${v}`;

const TERMINAL: Readonly<Record<string, string>> = {
  training_completed: 'completed',
  training_dispatch_error: 'failed',
  training_oom: 'failed',
  training_runtime_error: 'failed',
  training_timeout: 'failed',
  training_cancelled: 'cancelled',
};

/**
 * Training runs per project — what `distillery train` polls and the UI lists: requested → planned (preflight) →
 * running (step of total, loss, eval loss, tokens/s, resumes) → completed (model and trace) | failed (code, message,
 * blockers) | cancelled.
 */
export const trainingRunsProjection: Projection = {
  name: 'training_runs',

  async createVersion(db: AnyDb, v: number) {
    await db.schema
      .createTable(runs(v))
      .ifNotExists()
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .addColumn('autopilot', 'boolean')
      .addColumn('plan_ref', 'jsonb')
      .addColumn('method', 'text')
      .addColumn('engine', 'text')
      .addColumn('checks', 'jsonb')
      .addColumn('warnings', 'jsonb')
      .addColumn('blockers', 'jsonb')
      .addColumn('step', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('total_steps', 'integer')
      .addColumn('loss', 'double precision')
      .addColumn('eval_loss', 'double precision')
      .addColumn('tokens_per_s', 'double precision')
      .addColumn('resumes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_checkpoint_step', 'integer')
      .addColumn('model_ref', 'jsonb')
      .addColumn('trace_ref', 'jsonb')
      .addColumn('failure_code', 'text')
      .addColumn('failure_message', 'text')
      .addColumn('summary', 'text')
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${runs(v)}_pk`, ['project_id', 'run_id'])
      .execute();
  },

  async activateVersion(trx: AnyTrx, v: number) {
    await sql`drop view if exists ${sql.id(TRAINING_RUNS_VIEW)}`.execute(trx);
    await sql`create view ${sql.id(TRAINING_RUNS_VIEW)} as select * from ${sql.table(runs(v))}`.execute(trx);
  },

  async dropVersion(db: AnyDb, v: number) {
    await db.schema.dropTable(runs(v)).ifExists().cascade().execute();
  },

  async apply(trx: AnyTrx, v: number, events: readonly StoredEvent[]) {
    for (const { seq, event } of events) if (event.stage === 'training') await applyOne(trx, v, seq, event);
  },
};

async function applyOne(trx: AnyTrx, v: number, seq: number, e: RunEvent): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const key = (q: any) => q.where('project_id', '=', e.project_id).where('run_id', '=', e.run_id);
  const open = ['requested', 'planned', 'running'];
  const common = { updated_at: e.occurred_at, summary: e.summary, last_seq: seq };
  switch (e.reason_code) {
    case 'training_requested':
      await trx
        .insertInto(runs(v))
        .values({ project_id: e.project_id, run_id: e.run_id, status: 'requested', requested_at: e.occurred_at, autopilot: e.payload.autopilot ?? null, ...common })
        .onConflict((oc) => oc.columns(['project_id', 'run_id']).doNothing())
        .execute();
      return;
    case 'preflight_passed':
      await key(trx.updateTable(runs(v)).set({ status: 'planned', plan_ref: JSON.stringify(e.payload.plan_ref ?? null), checks: JSON.stringify(e.payload.checks), ...common })).where('status', 'in', open).execute();
      return;
    case 'preflight_warning':
      await key(trx.updateTable(runs(v)).set({ status: 'planned', plan_ref: JSON.stringify(e.payload.plan_ref ?? null), warnings: JSON.stringify(e.payload.warnings), ...common })).where('status', 'in', open).execute();
      return;
    case 'training_dispatched':
      await key(trx.updateTable(runs(v)).set({ status: 'planned', method: e.payload.method, engine: e.payload.engine, total_steps: e.payload.total_steps, ...common })).where('status', 'in', open).execute();
      return;
    case 'training_started':
      await key(
        trx.updateTable(runs(v)).set({
          status: 'running',
          engine: e.payload.engine,
          ...(e.payload.total_steps ? { total_steps: e.payload.total_steps } : {}),
          ...(e.payload.resumed_from_step !== undefined ? { resumes: sql`resumes + 1`, step: e.payload.resumed_from_step } : {}),
          ...common,
        }),
      )
        .where('status', 'in', open)
        .execute();
      return;
    case 'training_progress': {
      const p = e.payload;
      await key(
        trx.updateTable(runs(v)).set({
          status: 'running',
          step: p.step,
          ...(p.total_steps ? { total_steps: p.total_steps } : {}),
          ...(p.loss !== undefined ? { loss: p.loss } : {}),
          ...(p.eval_loss !== undefined ? { eval_loss: p.eval_loss } : {}),
          ...(p.tokens_per_s !== undefined ? { tokens_per_s: p.tokens_per_s } : {}),
          ...common,
        }),
      )
        .where('status', 'in', open)
        .execute();
      return;
    }
    case 'training_checkpoint_saved':
      await key(trx.updateTable(runs(v)).set({ last_checkpoint_step: e.payload.step, ...common })).execute();
      return;
    default: {
      const status = TERMINAL[e.reason_code];
      if (!status) return;
      const p = e.payload as { model_ref?: unknown; trace_ref?: unknown; final_loss?: number; final_eval_loss?: number; blockers?: string[]; failure?: { message?: string }; steps?: number };
      await key(
        trx.updateTable(runs(v)).set({
          status,
          finished_at: e.occurred_at,
          ...(p.model_ref ? { model_ref: JSON.stringify(p.model_ref) } : {}),
          ...(p.trace_ref ? { trace_ref: JSON.stringify(p.trace_ref) } : {}),
          ...(p.final_loss !== undefined ? { loss: p.final_loss } : {}),
          ...(p.final_eval_loss !== undefined ? { eval_loss: p.final_eval_loss } : {}),
          ...(p.steps !== undefined ? { step: p.steps } : {}),
          ...(p.blockers ? { blockers: JSON.stringify(p.blockers) } : {}),
          ...(status !== 'completed' ? { failure_code: e.reason_code, failure_message: p.failure?.message ?? e.summary } : {}),
          ...common,
        }),
      )
        .where('status', 'in', open)
        .execute();
    }
  }
}
