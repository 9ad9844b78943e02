/**
 * The training service on real NATS: a `training_requested` event becomes `preflight_passed` + `training_dispatched`,
 * `training_dispatch_error` naming every blocker, or `training_oom` when the memory estimate does not fit the trainers
 * — as events, through the service's own consumer, not by calling the planner.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { eventSubject, type ArtifactRef, type ReasonCode, type RunEvent } from '@distillery/contracts';
import type { RunningApp } from '@distillery/platform-nest';
import { createLogger } from '@distillery/telemetry';
import { natsService, waitFor, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { parseTrainingConfig, startTraining } from '../src/index.js';
import { sentimentManifest, tinyModelFolder } from './support.js';

describe('the training service', () => {
  let nats: ServiceHandle;
  let spine: IsolatedSpine;
  let app: RunningApp;
  let manifestRef: ArtifactRef;
  const dataDir = mkdtempSync(join(tmpdir(), 'training-svc-'));
  const store = new FileArtifactStore(join(dataDir, 'artifacts'));

  beforeAll(async () => {
    nats = await natsService();
    const modelDir = await tinyModelFolder();
    spine = await isolatedSpine('train-svc', nats, undefined, { DISTILLERY_DATA_DIR: dataDir, DISTILLERY_BASE_MODEL: `file:${modelDir}`, PORT: '0' });
    manifestRef = await sentimentManifest(store);
    app = await startTraining({ config: parseTrainingConfig(spine.env), logger: createLogger('training-test', 'error'), eventLog: spine.log, http: false });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await spine.cleanup();
    await nats.stop();
  });

  const request = (runId: string, payload: Record<string, unknown>) =>
    spine.log.publisher({ app: 'training-test', version: '0' }).publish({ reason_code: 'training_requested', project_id: 'p', run_id: runId, summary: 'test request', payload: { manifest_ref: manifestRef, ...payload } });
  const eventsOf = async (runId: string): Promise<RunEvent[]> => {
    const out: RunEvent[] = [];
    for await (const batch of spine.log.read({ fromSeq: 1, follow: false, filterSubject: `${spine.log.subjectPrefix}.p.${runId}.>` })) for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event);
    return out;
  };
  const outcome = (runId: string, codes: readonly ReasonCode[]) =>
    waitFor(`an outcome of ${runId}`, async () => (await eventsOf(runId)).find((e) => codes.includes(e.reason_code as ReasonCode)), { timeoutMs: 60_000 });
  const OUTCOMES = ['training_dispatched', 'training_dispatch_error', 'training_oom'] as const;

  it('plans a LoRA run with autopilot: preflight_passed with its checks, then training_dispatched with the plan', async () => {
    await request('svc-ok', { autopilot: true, one_click: true, preflight_mode: 'strict' });
    const e = await outcome('svc-ok', OUTCOMES);
    expect(e.reason_code).toBe('training_dispatched');
    expect(e.payload).toMatchObject({ engine: 'ort', method: 'lora', total_steps: expect.any(Number) });
    const passed = (await eventsOf('svc-ok')).find((x) => x.reason_code === 'preflight_passed');
    expect((passed?.payload as { checks: string[] }).checks.join('\n')).toMatch(/^ok memory: /m);
    const planRef = (e.payload as { plan_ref: ArtifactRef }).plan_ref;
    expect(JSON.parse((await store.readBytes(planRef)).toString('utf8'))).toMatchObject({ run_id: 'svc-ok', engine: 'ort' });
  }, 90_000);

  it('a recipe whose estimated peak memory exceeds the trainers’ is blocked with training_oom, before any trainer sees it', async () => {
    // Full fine-tune, 4,096 sequences of 8,192 tokens per step: terabytes of logits alone.
    await request('svc-oom', { recipe: { recipe_version: 1, method: 'full', batch: { per_device: 4096 }, max_seq_len: 8192 }, preflight_mode: 'strict' });
    const e = await outcome('svc-oom', OUTCOMES);
    expect(e.reason_code).toBe('training_oom');
    expect(e.severity).toBe('error');
    expect(e.summary).toMatch(/^blocked before start: estimated peak memory \d+ MiB exceeds the \d+ MiB available$/);
    expect((e.payload as { failure: { error_class: string } }).failure.error_class).toBe('PredictedOutOfMemory');
    expect(eventSubject(spine.log.subjectPrefix, e)).toMatch(/\.svc-oom\.training\.training_oom$/);
  }, 90_000);

  it('a bad recipe is refused with training_dispatch_error naming every bad field', async () => {
    await request('svc-bad', { recipe: { recipe_version: 1, method: 'lora', optim: { learning_rate: -1 }, batch: { per_device: 0 } }, preflight_mode: 'strict' });
    const e = await outcome('svc-bad', OUTCOMES);
    expect(e.reason_code).toBe('training_dispatch_error');
    const blockers = (e.payload as { blockers: string[] }).blockers.join('\n');
    expect(blockers).toMatch(/optim\.learning_rate/);
    expect(blockers).toMatch(/batch\.per_device/);
  }, 90_000);

  it('strict mode blocks an unsupported precision; fail-open dispatches it with preflight_warning', async () => {
    await request('svc-strict', { recipe: { recipe_version: 1, method: 'lora', precision: 'bf16' }, preflight_mode: 'strict' });
    await request('svc-open', { recipe: { recipe_version: 1, method: 'lora', precision: 'bf16' }, preflight_mode: 'fail_open' });
    const strict = await outcome('svc-strict', OUTCOMES);
    expect(strict.reason_code).toBe('training_dispatch_error');
    expect((strict.payload as { blockers: string[] }).blockers.join()).toMatch(/precision bf16 is not supported by the ort engine/);
    const open = await outcome('svc-open', OUTCOMES);
    expect(open.reason_code).toBe('training_dispatched');
    const warning = (await eventsOf('svc-open')).find((x) => x.reason_code === 'preflight_warning');
    expect((warning?.payload as { warnings: string[] }).warnings.join()).toMatch(/precision/);
  }, 90_000);
});
