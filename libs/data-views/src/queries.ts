import type { Kysely } from 'kysely';
import type { ArtifactRef } from '@distillery/contracts';
import { IMPORTS_VIEW, SAVED_MAPPINGS_VIEW } from './imports.projection.js';
import { DATA_TASKS_VIEW, type DataTaskKind } from './tasks.projection.js';
import { TRAINING_RUNS_VIEW } from './training.projection.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export interface ImportRow {
  project_id: string;
  run_id: string;
  status: 'requested' | 'running' | 'completed' | 'failed';
  locator: string;
  mapper_id: string;
  task_profile: string;
  selection: string;
  confidence: number | null;
  actor: string;
  requested_at: string;
  finished_at: string | null;
  rows_read: number;
  rows_accepted: number | null;
  rows_rejected: number | null;
  rows_duplicate: number | null;
  rejections: Record<string, number> | null;
  accepted_ref: ArtifactRef | null;
  rejected_ref: ArtifactRef | null;
  dataset_id: string | null;
  saved_mapping_id: string | null;
  failure_code: string | null;
  failure_message: string | null;
  warnings: string[] | null;
}

export interface SavedMappingRow {
  project_id: string;
  saved_mapping_id: string;
  name: string;
  locator: string;
  mapper_id: string;
  field_map: Record<string, string>;
  drop_reasons: string[];
  saved_at: string;
  runs: number;
  last_run_id: string | null;
  last_run_at: string | null;
  last_rows_accepted: number | null;
  last_rows_rejected: number | null;
}

const iso = (v: unknown): string | null => (v == null ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const num = (v: unknown): number | null => (v == null ? null : Number(v));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toImport(r: any): ImportRow {
  return {
    ...r,
    requested_at: iso(r.requested_at)!,
    finished_at: iso(r.finished_at),
    rows_read: Number(r.rows_read),
    rows_accepted: num(r.rows_accepted),
    rows_rejected: num(r.rows_rejected),
    rows_duplicate: num(r.rows_duplicate),
    confidence: num(r.confidence),
    last_seq: undefined,
  };
}

export async function listImports(db: Db, projectId: string): Promise<ImportRow[]> {
  const rows = await db.selectFrom(IMPORTS_VIEW).selectAll().where('project_id', '=', projectId).orderBy('requested_at').orderBy('run_id').execute();
  return rows.map(toImport);
}

export async function getImport(db: Db, runId: string, projectId?: string): Promise<ImportRow | undefined> {
  let q = db.selectFrom(IMPORTS_VIEW).selectAll().where('run_id', '=', runId);
  if (projectId) q = q.where('project_id', '=', projectId);
  const r = await q.executeTakeFirst();
  return r ? toImport(r) : undefined;
}

export async function listSavedMappings(db: Db, projectId: string): Promise<SavedMappingRow[]> {
  const rows = await db.selectFrom(SAVED_MAPPINGS_VIEW).selectAll().where('project_id', '=', projectId).orderBy('name').execute();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return rows.map((r: any) => ({
    ...r,
    saved_at: iso(r.saved_at)!,
    last_run_at: iso(r.last_run_at),
    last_rows_accepted: num(r.last_rows_accepted),
    last_rows_rejected: num(r.last_rows_rejected),
  }));
}

export async function getSavedMapping(db: Db, projectId: string, idOrName: string): Promise<SavedMappingRow | undefined> {
  return (await listSavedMappings(db, projectId)).find((m) => m.saved_mapping_id === idOrName || m.name === idOrName);
}

export interface DataTaskRow {
  project_id: string;
  task_id: string;
  kind: DataTaskKind;
  status: 'requested' | 'running' | 'completed' | 'failed';
  phase: string | null;
  rows_done: number | null;
  rows_total: number | null;
  actor: string;
  requested_at: string;
  updated_at: string;
  finished_at: string | null;
  request: Record<string, unknown>;
  result: Record<string, unknown> | null;
  findings: Array<{ code: string; severity: string; summary: string }>;
  summary: string | null;
  failure_code: string | null;
  failure_message: string | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toTask(r: any): DataTaskRow {
  const { last_seq: _seq, ...rest } = r;
  return {
    ...rest,
    rows_done: num(r.rows_done),
    rows_total: num(r.rows_total),
    requested_at: iso(r.requested_at)!,
    updated_at: iso(r.updated_at)!,
    finished_at: iso(r.finished_at),
  };
}

export async function getDataTask(db: Db, projectId: string, taskId: string): Promise<DataTaskRow | undefined> {
  const r = await db.selectFrom(DATA_TASKS_VIEW).selectAll().where('project_id', '=', projectId).where('task_id', '=', taskId).executeTakeFirst();
  return r ? toTask(r) : undefined;
}

export async function listDataTasks(db: Db, projectId: string, kind?: DataTaskKind): Promise<DataTaskRow[]> {
  let q = db.selectFrom(DATA_TASKS_VIEW).selectAll().where('project_id', '=', projectId);
  if (kind) q = q.where('kind', '=', kind);
  return (await q.orderBy('requested_at').orderBy('task_id').execute()).map(toTask);
}

/** The most recent completed task of a kind (the cleaning a prepare starts from). */
export async function latestCompletedTask(db: Db, projectId: string, kind: DataTaskKind): Promise<DataTaskRow | undefined> {
  const r = await db
    .selectFrom(DATA_TASKS_VIEW)
    .selectAll()
    .where('project_id', '=', projectId)
    .where('kind', '=', kind)
    .where('status', '=', 'completed')
    .orderBy('finished_at', 'desc')
    .orderBy('last_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r ? toTask(r) : undefined;
}

export interface TrainingRunRow {
  project_id: string;
  run_id: string;
  status: 'requested' | 'planned' | 'running' | 'completed' | 'failed' | 'cancelled';
  requested_at: string;
  updated_at: string;
  finished_at: string | null;
  autopilot: boolean | null;
  plan_ref: ArtifactRef | null;
  method: string | null;
  engine: string | null;
  checks: string[] | null;
  warnings: string[] | null;
  blockers: string[] | null;
  step: number;
  total_steps: number | null;
  loss: number | null;
  eval_loss: number | null;
  tokens_per_s: number | null;
  resumes: number;
  last_checkpoint_step: number | null;
  model_ref: ArtifactRef | null;
  trace_ref: ArtifactRef | null;
  failure_code: string | null;
  failure_message: string | null;
  summary: string | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toTrainingRun(r: any): TrainingRunRow {
  const { last_seq: _seq, ...rest } = r;
  return { ...rest, requested_at: iso(r.requested_at)!, updated_at: iso(r.updated_at)!, finished_at: iso(r.finished_at) };
}

export async function getTrainingRun(db: Db, projectId: string, runId: string): Promise<TrainingRunRow | undefined> {
  const r = await db.selectFrom(TRAINING_RUNS_VIEW).selectAll().where('project_id', '=', projectId).where('run_id', '=', runId).executeTakeFirst();
  return r ? toTrainingRun(r) : undefined;
}

export async function listTrainingRuns(db: Db, projectId: string): Promise<TrainingRunRow[]> {
  return (await db.selectFrom(TRAINING_RUNS_VIEW).selectAll().where('project_id', '=', projectId).orderBy('requested_at').orderBy('run_id').execute()).map(toTrainingRun);
}
