import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { ArtifactRef, DeploymentSlot, ProjectId, RunId, type RunEvent } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import { foldSlot } from '@distillery/deployments';
import type { EventPublisher } from '@distillery/eventlog';
import { DATABASE, PUBLISHER } from '@distillery/platform-nest';
import { listEvents, type RunEventRow } from '@distillery/timeline';
import { projectParams } from './imports.dto.js';
import { parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

/** Every event of a slot lives on the run `deploy-<slot>` (apps/deployment slot-ids.ts). */
const slotRunId = (slot: string): string => `deploy-${slot}`;

export const deployBody = z
  .object({
    /** The training run whose output is deployed (its latest evaluation gates promotion). */
    training_run_id: RunId.optional(),
    /** Or an export run (its bundle and parity result), or a bundle directly. */
    export_run_id: RunId.optional(),
    bundle_ref: ArtifactRef.optional(),
    slot: DeploymentSlot.default('default'),
    /** `runner` (built in, default) or an external OpenAI-compatible server: vllm | llama-cpp | ollama (needs `endpoint`). */
    target: z.enum(['runner', 'vllm', 'llama-cpp', 'ollama']).default('runner'),
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** The evaluation that gates promotion (default: the training run's latest). */
    eval_run_id: RunId.optional(),
  })
  .strict()
  .refine((b) => b.training_run_id || b.export_run_id || b.bundle_ref, { message: 'give training_run_id, export_run_id or bundle_ref', path: ['training_run_id'] })
  .refine((b) => b.target === 'runner' || b.endpoint, { message: 'an external target needs the endpoint its OpenAI-compatible API answers on', path: ['endpoint'] });
const slotParams = z.object({ projectId: ProjectId, slot: DeploymentSlot });
const slotQuery = z.object({ at: z.iso.datetime({ offset: true, error: 'at: expected an ISO 8601 time such as 2026-11-22T10:00:00Z' }).optional() }).strict();
const promoteBody = z.object({ version: z.number().int().positive() }).strict();
const rollbackBody = z.object({ reason: z.string().min(1).max(500).optional() }).strict();
const rejectBody = z.object({ version: z.number().int().positive(), reason: z.string().min(1).max(500) }).strict();
const driftBody = z.object({}).strict();

const MAX_EVENTS = 10_000;
const PAGE = 1_000;

/**
 * Deployments: requests go out as events on the slot's run (`deploy-<slot>`) and are answered by the deployment
 * service; a slot's state is the fold of its events from the run_events read model (libs/deployments foldSlot).
 */
@Controller('api/projects/:projectId/deployments')
export class DeploymentsController {
  constructor(
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DATABASE) private readonly db: DatabaseHandle,
  ) {}

  private links(projectId: string, slot: string) {
    return { slot: `/api/projects/${projectId}/deployments/${slot}`, stream: `/api/runs/${slotRunId(slot)}/stream?project_id=${projectId}` };
  }

  @Post()
  @HttpCode(202)
  async deploy(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const b = parseRequest(deployBody, body ?? {}, 'body');
    const what = b.training_run_id ?? b.export_run_id ?? `bundle ${b.bundle_ref?.sha256.slice(0, 12)}`;
    const r = await this.publisher.publish({
      reason_code: 'deployment_requested',
      project_id: projectId,
      run_id: slotRunId(b.slot),
      actor,
      summary: `deploy ${what} to slot ${b.slot} (${b.target})`,
      payload: {
        target: b.target,
        slot: b.slot,
        ...(b.training_run_id ? { training_run_id: b.training_run_id } : {}),
        ...(b.export_run_id ? { export_run_id: b.export_run_id } : {}),
        ...(b.bundle_ref ? { bundle_ref: b.bundle_ref } : {}),
        ...(b.endpoint ? { endpoint: b.endpoint } : {}),
        ...(b.eval_run_id ? { eval_run_id: b.eval_run_id } : {}),
      },
    });
    return { project_id: projectId, slot: b.slot, run_id: slotRunId(b.slot), event_id: r.event.id, links: this.links(projectId, b.slot) };
  }

  @Post(':slot/promote')
  @HttpCode(202)
  async promote(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId, slot } = parseRequest(slotParams, params, 'path');
    const b = parseRequest(promoteBody, body ?? {}, 'body');
    const r = await this.publisher.publish({ reason_code: 'deployment_promote_requested', project_id: projectId, run_id: slotRunId(slot), actor, summary: `promote v${b.version} of slot ${slot}`, payload: { slot, version: b.version } });
    return { project_id: projectId, slot, event_id: r.event.id, links: this.links(projectId, slot) };
  }

  @Post(':slot/rollback')
  @HttpCode(202)
  async rollback(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId, slot } = parseRequest(slotParams, params, 'path');
    const b = parseRequest(rollbackBody, body ?? {}, 'body');
    const r = await this.publisher.publish({ reason_code: 'deployment_rollback_requested', project_id: projectId, run_id: slotRunId(slot), actor, summary: `roll back slot ${slot}${b.reason ? `: ${b.reason}` : ''}`, payload: { slot, ...(b.reason ? { reason: b.reason } : {}) } });
    return { project_id: projectId, slot, event_id: r.event.id, links: this.links(projectId, slot) };
  }

  @Post(':slot/reject')
  @HttpCode(202)
  async reject(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId, slot } = parseRequest(slotParams, params, 'path');
    const b = parseRequest(rejectBody, body ?? {}, 'body');
    const r = await this.publisher.publish({ reason_code: 'deployment_reject_requested', project_id: projectId, run_id: slotRunId(slot), actor, summary: `reject v${b.version} of slot ${slot}: ${b.reason}`, payload: { slot, version: b.version, reason: b.reason } });
    return { project_id: projectId, slot, event_id: r.event.id, links: this.links(projectId, slot) };
  }

  @Post(':slot/drift-check')
  @HttpCode(202)
  async driftCheck(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId, slot } = parseRequest(slotParams, params, 'path');
    parseRequest(driftBody, body ?? {}, 'body');
    const r = await this.publisher.publish({ reason_code: 'deployment_drift_check_requested', project_id: projectId, run_id: slotRunId(slot), actor, summary: `drift check of slot ${slot}`, payload: { slot } });
    return { project_id: projectId, slot, event_id: r.event.id, links: this.links(projectId, slot) };
  }

  /**
   * The slot: its versions with their checks and status, what is live, the promotion history and the latest outcomes.
   * `?at=<time>`: the slot as it stood then (time travel: the same fold over the events that had happened by then).
   */
  @Get(':slot')
  async one(@Param() params: unknown, @Query() query: unknown) {
    const { projectId, slot } = parseRequest(slotParams, params, 'path');
    const { at } = parseRequest(slotQuery, query, 'query');
    const events: RunEventRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEvents(this.db.db, { project_id: projectId, run_id: slotRunId(slot), ...(at ? { as_of: at } : {}) }, cursor, PAGE);
      events.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && events.length < MAX_EVENTS);
    if (events.length === 0) throw new NotFoundException({ error: 'not_found', message: at ? `deployment slot '${slot}' of project '${projectId}' had no events yet at ${at}` : `no deployment slot '${slot}' in project '${projectId}'` });
    // The read model holds events that passed validation on publish: their codes are registered ones.
    const state = foldSlot(slot, events as unknown as ReadonlyArray<Pick<RunEvent, 'reason_code' | 'payload' | 'occurred_at'>>);
    const last = (codes: readonly string[]) => {
      const e = [...events].reverse().find((x) => codes.includes(x.reason_code));
      return e ? { reason_code: e.reason_code, severity: e.severity, summary: e.summary, occurred_at: e.occurred_at, payload: e.payload } : null;
    };
    return {
      project_id: projectId,
      slot,
      live: state.live ?? null,
      promotions: state.promotions,
      versions: [...state.versions.values()].sort((a, b) => a.version - b.version),
      last_outcome: last(['deployment_promoted', 'deployment_promote_blocked', 'deployment_rolled_back', 'deployment_rollback_no_predecessor', 'deployment_rejected', 'deployment_request_invalid', 'deployment_smoke_failed']),
      last_drift_check: last(['deployment_drift_checked']),
      events: events.length,
      ...(at ? { as_of: at } : {}),
      links: this.links(projectId, slot),
    };
  }
}
