import { Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { DeploymentSlot, ProjectId, RunId, type ArtifactRef } from '@distillery/contracts';
import { listTrainingRuns } from '@distillery/data-views';
import type { DatabaseHandle } from '@distillery/db';
import type { EventPublisher } from '@distillery/eventlog';
import { DATABASE, PUBLISHER } from '@distillery/platform-nest';
import { listEvents } from '@distillery/timeline';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { projectParams } from './imports.dto.js';
import { parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

export const evalBody = z
  .object({
    /** The training run to evaluate (default: the project's latest completed run). */
    training_run_id: RunId.optional(),
    /** An eval pack as YAML or JSON text (default: the task profile's default pack). */
    pack: z.string().min(1).max(100_000).optional(),
    split: z.enum(['gold', 'eval']).optional(),
    max_rows: z.number().int().positive().max(100_000).optional(),
    /** Also evaluate the base model on the same rows and report the lift (default true). */
    compare_base: z.boolean().optional(),
    /** Also run the built-in safety suite (attack prompts per category): refusal / compliance pass rates. */
    safety_suite: z.boolean().optional(),
    /** The deployment slot whose live version is the champion (default: `default`, when it has a live version). */
    slot: DeploymentSlot.optional(),
  })
  .strict();
const evalParams = z.object({ projectId: ProjectId, runId: RunId });

/** `GET …/evaluations/:runId/predictions`: a page of the per-row predictions, from an offset cursor. */
export const predictionsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** The row index to read from (the previous page's `next_cursor`). */
    cursor: z
      .string()
      .regex(/^\d{1,9}$/, 'a row offset (the next_cursor of the previous page)')
      .transform(Number)
      .default(0),
    /** `wrong`: rows whose prediction matches no reference; `right`: rows that match one; `all` (default). */
    only: z.enum(['wrong', 'right', 'all']).default('all'),
  })
  .strict();

/** A stored prediction row (apps/evaluation writes one JSON object per evaluated row). */
interface PredictionRow {
  readonly row_id: string;
  readonly references: readonly string[];
  readonly prediction: string | null;
  readonly [key: string]: unknown;
}

const normalise = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Whether a row's prediction is right: a preference row when the chosen response won; any other row when the
 * prediction equals one of its references (whitespace and case aside). Null when there is nothing to compare with
 * (language modelling rows have no reference).
 */
export function isCorrect(row: PredictionRow, taskProfile?: string): boolean | null {
  if (taskProfile === 'dpo') return row.prediction === null ? null : row.prediction === 'chosen';
  const safety = (row as { safety?: { expected?: unknown; refused?: unknown } }).safety;
  if (safety && typeof safety.refused === 'boolean') return safety.refused === (safety.expected === 'refuse');
  if (!Array.isArray(row.references) || row.references.length === 0) return null;
  if (row.prediction === null || row.prediction === undefined) return false;
  const p = normalise(String(row.prediction));
  return row.references.some((r) => normalise(String(r)) === p);
}

const TERMINAL = ['eval_completed', 'eval_runtime_error', 'eval_dataset_missing'];
const predictionsRef = (payload: unknown): ArtifactRef | undefined => (payload as { predictions_ref?: ArtifactRef } | null)?.predictions_ref;

/** Evaluations: a request goes out as `eval_requested`; status and the report come from the run's events. */
@Controller('api/projects/:projectId/evaluations')
export class EvaluationsController {
  constructor(
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DATABASE) private readonly db: DatabaseHandle,
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
  ) {}

  @Post()
  @HttpCode(202)
  async request(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const b = parseRequest(evalBody, body ?? {}, 'body');
    let trainingRunId = b.training_run_id;
    if (!trainingRunId) {
      const done = (await listTrainingRuns(this.db.db, projectId)).filter((r) => r.status === 'completed');
      trainingRunId = done.sort((x, y) => (x.finished_at ?? '').localeCompare(y.finished_at ?? '')).at(-1)?.run_id;
      if (!trainingRunId) throw new ConflictException({ error: 'not_trained', message: `project '${projectId}' has no completed training run: run distillery train first` });
    }
    const runId = `eval-${uuidv7().slice(-12)}`;
    const r = await this.publisher.publish({
      reason_code: 'eval_requested',
      project_id: projectId,
      run_id: runId,
      parent_run_id: trainingRunId,
      actor,
      summary: `evaluate ${trainingRunId}${b.split ? ` on the ${b.split} split` : ''}${b.pack ? ' with a custom eval pack' : ''}`,
      payload: {
        training_run_id: trainingRunId,
        ...(b.pack ? { pack: b.pack } : {}),
        ...(b.split ? { split: b.split } : {}),
        ...(b.max_rows ? { max_rows: b.max_rows } : {}),
        ...(b.compare_base !== undefined ? { compare_base: b.compare_base } : {}),
        ...(b.safety_suite ? { safety_suite: true } : {}),
        ...(b.slot ? { slot: b.slot } : {}),
      },
    });
    return { project_id: projectId, run_id: runId, training_run_id: trainingRunId, event_id: r.event.id, links: { evaluation: `/api/projects/${projectId}/evaluations/${runId}`, stream: `/api/runs/${runId}/stream?project_id=${projectId}` } };
  }

  /** Status of an evaluation, and once it completed its full report (metrics with intervals, lifts, verdict, confusion). */
  @Get(':runId')
  async one(@Param() params: unknown) {
    const { projectId, runId } = parseRequest(evalParams, params, 'path');
    const events = (await listEvents(this.db.db, { project_id: projectId, run_id: runId }, undefined, 1_000)).items;
    if (events.length === 0) throw new NotFoundException({ error: 'not_found', message: `no evaluation '${runId}' in project '${projectId}'` });
    const end = [...events].reverse().find((e) => TERMINAL.includes(e.reason_code));
    const progress = [...events].reverse().find((e) => e.reason_code === 'eval_progress');
    if (!end) return { run_id: runId, status: progress ? 'running' : 'requested', progress: progress?.payload ?? null };
    if (end.reason_code !== 'eval_completed') return { run_id: runId, status: 'failed', reason_code: end.reason_code, summary: end.summary, payload: end.payload };
    const p = end.payload as { report_ref?: ArtifactRef; predictions_ref?: ArtifactRef; promotable?: boolean; metrics: Record<string, number> };
    const report = p.report_ref && (await this.options.artifacts.has(p.report_ref)) ? (JSON.parse((await this.options.artifacts.readBytes(p.report_ref)).toString('utf8')) as unknown) : null;
    return { run_id: runId, status: 'completed', summary: end.summary, promotable: p.promotable ?? null, metrics: p.metrics, report_ref: p.report_ref ?? null, predictions_ref: p.predictions_ref ?? null, report };
  }

  /**
   * The per-row predictions of a completed evaluation, a page at a time: each row's references, prediction, whether
   * it is right, and what the evaluation stored with it (base / champion prediction, label log-probs, judge rating).
   * `only=wrong|right` filters; `next_cursor` is the offset to ask for next (null: no more rows).
   */
  @Get(':runId/predictions')
  async predictions(@Param() params: unknown, @Query() query: unknown) {
    const { projectId, runId } = parseRequest(evalParams, params, 'path');
    const q = parseRequest(predictionsQuery, query, 'query');
    const events = (await listEvents(this.db.db, { project_id: projectId, run_id: runId }, undefined, 1_000)).items;
    if (events.length === 0) throw new NotFoundException({ error: 'not_found', message: `no evaluation '${runId}' in project '${projectId}'` });
    const end = [...events].reverse().find((e) => TERMINAL.includes(e.reason_code));
    if (!end || end.reason_code !== 'eval_completed') throw new ConflictException({ error: 'not_completed', message: `evaluation '${runId}' has ${end ? `failed (${end.reason_code})` : 'not completed yet'}: no predictions` });
    const ref = predictionsRef(end.payload);
    if (!ref || !(await this.options.artifacts.has(ref))) throw new NotFoundException({ error: 'predictions_missing', message: `the predictions of evaluation '${runId}' are not in the artifact store` });
    const profile = (end.payload as { task_profile?: string }).task_profile;
    const items: Array<Record<string, unknown>> = [];
    let index = -1;
    let next: number | null = null;
    for await (const row of this.options.artifacts.readJsonl<PredictionRow>(ref)) {
      index++;
      if (index < q.cursor) continue;
      const correct = isCorrect(row, profile);
      if (q.only !== 'all' && correct !== (q.only === 'right')) continue;
      if (items.length === q.limit) {
        next = index;
        break;
      }
      items.push({ index, ...row, correct });
    }
    return { run_id: runId, task_profile: profile ?? null, only: q.only, cursor: q.cursor, limit: q.limit, next_cursor: next, predictions_ref: ref, items };
  }
}
