import { createHash } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import type { EventPublisher } from '@distillery/eventlog';
import { PUBLISHER } from '@distillery/platform-nest';
import { demoRunBody } from './dto.js';
import { parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

@Controller('api')
export class DemoRunsController {
  constructor(@Inject(PUBLISHER) private readonly publisher: EventPublisher) {}

  /**
   * Publishes `demo_run_requested`; the demo worker runs it. With an `Idempotency-Key` header a retried request
   * names the same run and is stored once.
   */
  @Post('demo-runs')
  @HttpCode(202)
  async create(@Body() body: unknown, @RequestActor() actor: string, @Headers('idempotency-key') idempotencyKey?: string) {
    const input = parseRequest(demoRunBody, body, 'body');
    const key = idempotencyKey?.trim() || undefined;
    const runId =
      input.run_id ??
      `demo-${key ? createHash('sha256').update(`${input.project_id}\u0000${key}`).digest('hex').slice(0, 12) : uuidv7().slice(-12)}`;
    const r = await this.publisher.publish(
      {
        reason_code: 'demo_run_requested',
        project_id: input.project_id,
        run_id: runId,
        summary: `demo run requested: ${input.steps} steps, ${input.children} child runs${input.fail_child ? ', one failing' : ''}`,
        actor,
        payload: { steps: input.steps, children: input.children, fail_child: input.fail_child },
      },
      key ? { dedupKey: key } : {},
    );
    const base = `/api`;
    return {
      project_id: input.project_id,
      run_id: runId,
      event_id: r.event.id,
      seq: r.seq,
      duplicate: r.duplicate,
      trace_id: r.event.trace_id,
      links: {
        run: `${base}/runs/${runId}?project_id=${input.project_id}`,
        timeline: `${base}/timeline?project_id=${input.project_id}&root_run_id=${runId}`,
        events: `${base}/events?project_id=${input.project_id}&run_id=${runId}`,
        stream: `${base}/runs/${runId}/stream?project_id=${input.project_id}`,
      },
    };
  }
}
