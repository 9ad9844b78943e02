import { Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ProjectId, RunId, type ArtifactRef } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventPublisher } from '@distillery/eventlog';
import { getTrainingRun, latestCompletedTask, listTrainingRuns } from '@distillery/data-views';
import { DATABASE, PUBLISHER } from '@distillery/platform-nest';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { projectParams } from './imports.dto.js';
import { parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

export const trainBody = z
  .object({
    /** A recipe document (libs/recipes); validated by the training service, which names every error. */
    recipe: z.record(z.string(), z.unknown()).optional(),
    autopilot: z.boolean().default(false),
    /** With autopilot: one call from a prepared dataset to a finished run (no confirmation step). */
    one_click: z.boolean().default(false),
    base_model: z.string().min(1).max(2_000).optional(),
    preflight_mode: z.enum(['strict', 'fail_open']).optional(),
    /** Train on this prepare task's dataset instead of the latest. */
    prepare_task_id: RunId.optional(),
  })
  .strict()
  .refine((b) => b.autopilot || b.recipe, { message: 'give a recipe, or set autopilot: true', path: ['recipe'] });
const runParams = z.object({ projectId: ProjectId, runId: RunId });
const cancelBody = z.object({ reason: z.string().max(500).optional() }).strict();

/** Training runs: requests go out as events; status, loss curves and results come from the training_runs read model. */
@Controller('api/projects/:projectId/training')
export class TrainingController {
  constructor(
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DATABASE) private readonly db: DatabaseHandle,
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
  ) {}

  @Post('run')
  @HttpCode(202)
  async run(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const b = parseRequest(trainBody, body, 'body');
    const prepared = await latestCompletedTask(this.db.db, projectId, 'prepare');
    if (!prepared || (b.prepare_task_id && prepared.task_id !== b.prepare_task_id)) {
      throw new ConflictException({ error: 'not_prepared', message: `project '${projectId}' has no prepared dataset${b.prepare_task_id ? ` from '${b.prepare_task_id}'` : ''}: run distillery prepare first` });
    }
    const manifestRef = (prepared.result as { manifest_ref?: ArtifactRef } | null)?.manifest_ref;
    if (!manifestRef) throw new ConflictException({ error: 'not_prepared', message: `prepare task '${prepared.task_id}' has no manifest` });
    const runId = `train-${uuidv7().slice(-12)}`;
    const r = await this.publisher.publish({
      reason_code: 'training_requested',
      project_id: projectId,
      run_id: runId,
      actor,
      summary: `train on ${prepared.task_id} (${b.autopilot ? 'autopilot' : 'recipe'}${b.one_click ? ', one click' : ''})`,
      payload: {
        manifest_ref: manifestRef,
        prepare_task_id: prepared.task_id,
        autopilot: b.autopilot,
        ...(b.recipe ? { recipe: b.recipe } : {}),
        ...(b.base_model ? { base_model: b.base_model } : {}),
        ...(b.preflight_mode ? { preflight_mode: b.preflight_mode } : {}),
      },
    });
    return { project_id: projectId, run_id: runId, event_id: r.event.id, prepare_task_id: prepared.task_id, links: { run: `/api/projects/${projectId}/training/${runId}`, stream: `/api/runs/${runId}/stream?project_id=${projectId}` } };
  }

  @Get()
  async list(@Param() params: unknown) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    return { items: await listTrainingRuns(this.db.db, projectId) };
  }

  @Get(':runId')
  async one(@Param() params: unknown) {
    const { projectId, runId } = parseRequest(runParams, params, 'path');
    const row = await getTrainingRun(this.db.db, projectId, runId);
    if (!row) throw new NotFoundException({ error: 'not_found', message: `no training run '${runId}' in project '${projectId}'` });
    return row;
  }

  /** The per-step trace (step, loss, lr, grad_norm, tokens, eval_loss) of a finished run: the loss curve. */
  @Get(':runId/trace')
  async trace(@Param() params: unknown) {
    const { projectId, runId } = parseRequest(runParams, params, 'path');
    const row = await getTrainingRun(this.db.db, projectId, runId);
    if (!row?.trace_ref) throw new NotFoundException({ error: 'no_trace', message: `training run '${runId}' has no trace yet (${row?.status ?? 'not found'})` });
    const items: unknown[] = [];
    for await (const line of this.options.artifacts.readJsonl(row.trace_ref)) items.push(line);
    return { items };
  }

  @Post(':runId/cancel')
  @HttpCode(202)
  async cancel(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId, runId } = parseRequest(runParams, params, 'path');
    const b = parseRequest(cancelBody, body ?? {}, 'body');
    const row = await getTrainingRun(this.db.db, projectId, runId);
    if (!row) throw new NotFoundException({ error: 'not_found', message: `no training run '${runId}' in project '${projectId}'` });
    if (['completed', 'failed', 'cancelled'].includes(row.status)) throw new ConflictException({ error: 'finished', message: `training run '${runId}' already ${row.status}` });
    const r = await this.publisher.publish({ reason_code: 'training_cancel_requested', project_id: projectId, run_id: runId, actor, summary: `cancel requested${b.reason ? `: ${b.reason}` : ''}`, payload: { ...(b.reason ? { reason: b.reason } : {}) } });
    return { project_id: projectId, run_id: runId, event_id: r.event.id };
  }
}
