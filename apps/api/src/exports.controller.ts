import { Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ProjectId, RunId } from '@distillery/contracts';
import { listTrainingRuns } from '@distillery/data-views';
import type { DatabaseHandle } from '@distillery/db';
import type { EventPublisher } from '@distillery/eventlog';
import { DATABASE, PUBLISHER } from '@distillery/platform-nest';
import { listEvents } from '@distillery/timeline';
import { projectParams } from './imports.dto.js';
import { parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

export const exportBody = z
  .object({
    format: z.enum(['hf', 'peft', 'onnx', 'gguf']),
    /** gguf only: f32 | f16 (default) | q8_0 | q4_0 | q4_k_m. */
    quantization: z.enum(['f32', 'f16', 'q8_0', 'q4_0', 'q4_k_m']).optional(),
    /** The training run to export (default: the project's latest completed run). */
    training_run_id: RunId.optional(),
    /** Gold prompts the smoke and parity checks run. */
    check_rows: z.number().int().positive().max(1_000).optional(),
  })
  .strict()
  .refine((b) => b.quantization === undefined || b.format === 'gguf', { message: 'quantization applies to gguf exports only', path: ['quantization'] });
const exportParams = z.object({ projectId: ProjectId, runId: RunId });

const TERMINAL = ['export_completed', 'export_run_failed', 'export_artifact_missing', 'export_quantization_failed', 'export_parity_failed'];

/** Exports: a request goes out as `export_requested`; the result (bundle, smoke, parity) comes from the run's events. */
@Controller('api/projects/:projectId/exports')
export class ExportsController {
  constructor(
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DATABASE) private readonly db: DatabaseHandle,
  ) {}

  @Post()
  @HttpCode(202)
  async request(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const b = parseRequest(exportBody, body ?? {}, 'body');
    let trainingRunId = b.training_run_id;
    if (!trainingRunId) {
      const done = (await listTrainingRuns(this.db.db, projectId)).filter((r) => r.status === 'completed');
      trainingRunId = done.sort((x, y) => (x.finished_at ?? '').localeCompare(y.finished_at ?? '')).at(-1)?.run_id;
      if (!trainingRunId) throw new ConflictException({ error: 'not_trained', message: `project '${projectId}' has no completed training run: run distillery train first` });
    }
    const runId = `export-${uuidv7().slice(-12)}`;
    const r = await this.publisher.publish({
      reason_code: 'export_requested',
      project_id: projectId,
      run_id: runId,
      parent_run_id: trainingRunId,
      actor,
      summary: `export ${trainingRunId} as ${b.format}${b.quantization ? ` ${b.quantization}` : ''}`,
      payload: { format: b.format, training_run_id: trainingRunId, ...(b.quantization ? { quantization: b.quantization } : {}), ...(b.check_rows ? { check_rows: b.check_rows } : {}) },
    });
    return { project_id: projectId, run_id: runId, training_run_id: trainingRunId, event_id: r.event.id, links: { export: `/api/projects/${projectId}/exports/${runId}`, stream: `/api/runs/${runId}/stream?project_id=${projectId}` } };
  }

  /** Status of an export; once finished, the outcome event's payload (bundle, files, smoke and parity results). */
  @Get(':runId')
  async one(@Param() params: unknown) {
    const { projectId, runId } = parseRequest(exportParams, params, 'path');
    const events = (await listEvents(this.db.db, { project_id: projectId, run_id: runId }, undefined, 1_000)).items;
    if (events.length === 0) throw new NotFoundException({ error: 'not_found', message: `no export '${runId}' in project '${projectId}'` });
    const end = [...events].reverse().find((e) => TERMINAL.includes(e.reason_code));
    if (!end) return { run_id: runId, status: 'running' };
    return { run_id: runId, status: end.reason_code === 'export_completed' ? 'completed' : 'failed', reason_code: end.reason_code, summary: end.summary, payload: end.payload };
  }
}
