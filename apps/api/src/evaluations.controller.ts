import { Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ProjectId, RunId, type ArtifactRef } from '@distillery/contracts';
import { listTrainingRuns } from '@distillery/data-views';
import type { DatabaseHandle } from '@distillery/db';
import type { EventPublisher } from '@distillery/eventlog';
import { DATABASE, PUBLISHER } from '@distillery/platform-nest';
import { listEvents } from '@distillery/timeline';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { projectParams } from './imports.dto.js';
import { parseRequest } from './validation.js';

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
  })
  .strict();
const evalParams = z.object({ projectId: ProjectId, runId: RunId });

const TERMINAL = ['eval_completed', 'eval_runtime_error', 'eval_dataset_missing'];

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
  async request(@Param() params: unknown, @Body() body: unknown) {
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
      actor: 'user:local',
      summary: `evaluate ${trainingRunId}${b.split ? ` on the ${b.split} split` : ''}${b.pack ? ' with a custom eval pack' : ''}`,
      payload: {
        training_run_id: trainingRunId,
        ...(b.pack ? { pack: b.pack } : {}),
        ...(b.split ? { split: b.split } : {}),
        ...(b.max_rows ? { max_rows: b.max_rows } : {}),
        ...(b.compare_base !== undefined ? { compare_base: b.compare_base } : {}),
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
}
