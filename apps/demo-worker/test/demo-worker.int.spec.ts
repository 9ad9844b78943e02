/**
 * The worker redoes a run after a crash between its work and its ack (the message is redelivered): every event it
 * publishes again carries the same Nats-Msg-Id, so the log holds each event once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEvent, RunEventOf } from '@distillery/contracts';
import { planDemoRun } from '@distillery/demo-run';
import type { EventLog, HandlerContext } from '@distillery/eventlog';
import type { RunningApp } from '@distillery/platform-nest';
import { createLogger } from '@distillery/telemetry';
import { natsService, waitFor, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { DemoWorkerService, parseDemoWorkerConfig, startDemoWorker } from '../src/index.js';

describe('demo-worker', () => {
  let nats: ServiceHandle;
  let spine: IsolatedSpine;
  let log: EventLog;
  let app: RunningApp;
  const env: Record<string, string> = {};

  const all = async (): Promise<RunEvent[]> => {
    const out: RunEvent[] = [];
    for await (const b of log.read({ fromSeq: 1, follow: false })) for (const m of b) if (m.decoded.ok) out.push(m.decoded.event);
    return out;
  };

  beforeAll(async () => {
    nats = await natsService();
    spine = await isolatedSpine('dw', nats, undefined, { DEMO_STEP_DELAY_MS: '0', PORT: '0' });
    Object.assign(env, spine.env);
    log = spine.log;
    app = await startDemoWorker({ config: parseDemoWorkerConfig(env), logger: createLogger('dw-test', 'error'), eventLog: log, http: true });
  });

  afterAll(async () => {
    await app.stop();
    await spine.cleanup();
    await nats.stop();
  });

  it('runs a requested demo run and publishes its plan once, even when the run is redone', async () => {
    const pub = log.publisher({ app: 'api', version: '1' });
    const { event } = await pub.publish({
      reason_code: 'demo_run_requested',
      project_id: 'p',
      run_id: 'demo-redo',
      summary: 'redo me',
      payload: { steps: 2, children: 1 },
    });
    const request = event as RunEventOf<'demo_run_requested'>;
    const plan = planDemoRun(request);
    await waitFor('the run to complete', async () => (await all()).some((e) => e.run_id === 'demo-redo' && e.reason_code === 'demo_run_completed'));
    const before = await all();
    expect(before).toHaveLength(1 + plan.length);

    // Redo the work as a redelivery after a crash would: same causing event, same dedup keys.
    const worker = app.context.get(DemoWorkerService);
    const publisher = log.publisher({ app: 'demo-worker', version: '0.1.0' });
    let duplicates = 0;
    const ctx = {
      publish: async (draft, opts) => {
        const r = await publisher.publish(draft, { ...opts, causedBy: request });
        if (r.duplicate) duplicates += 1;
        return r;
      },
    } as HandlerContext;
    await worker.run(request, ctx);
    expect(duplicates).toBe(plan.length);
    const after = await all();
    expect(after.map((e) => e.id)).toEqual(before.map((e) => e.id));
    expect(after.every((e) => e.reason_code === 'demo_run_requested' || e.causation_id === request.id)).toBe(true);
  });

  it('serves health endpoints in standalone mode', async () => {
    const ready = await fetch(`${app.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).toHaveProperty('nats');
  });
});
