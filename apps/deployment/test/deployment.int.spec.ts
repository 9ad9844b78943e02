/**
 * The deployment service and its built-in runner on real NATS, a tiny model and a LoRA adapter trained on the
 * bundled sentiment rows. Requests go in as events (as the api publishes them), answers are read back from the
 * slot's run, and the runner is called over HTTP:
 * create v1 (peft adapter) with its eval / smoke / parity checks → promote → the runner answers chat completions
 * (plain and streamed) → create v2 (merged hf model) → promote (v1 superseded) → roll back under load with no failed
 * request → rollback without predecessor refused → a version failing its eval gate is refused promotion → reject →
 * drift checks: in-distribution traffic does not drift, shifted traffic does, a tight baseline is a metric drift.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, ReasonCode, RunEvent, RunEventDraft } from '@distillery/contracts';
import { buildTopology, EventLog, SERVICE_CONSUMERS } from '@distillery/eventlog';
import { classificationPrompt } from '@distillery/tasks';
import { createLogger } from '@distillery/telemetry';
import { natsService, waitFor, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { DEPLOYMENT_CONSUMERS, OpenAiClient, parseDeploymentConfig, sseEvents, startDeployment, type ChatCompletionResponse, type RunningDeployment } from '../src/index.js';
import { buildFixture, type Fixture } from './support.js';

const P = 'shop';
const SLOT_RUN = 'deploy-default';

describe('the deployment service and its runner', () => {
  let nats: ServiceHandle;
  let spine: IsolatedSpine;
  let log: EventLog;
  let app: RunningDeployment;
  let fx: Fixture;
  let client: OpenAiClient;
  let config: ReturnType<typeof parseDeploymentConfig>;
  const dataDir = mkdtempSync(join(tmpdir(), 'deploy-svc-'));
  const store = new FileArtifactStore(join(dataDir, 'artifacts'));

  const publish = <C extends ReasonCode>(draft: RunEventDraft<C>) => log.publisher({ app: 'deploy-test', version: '0' }).publish(draft);
  const eventsOf = async (runId: string): Promise<RunEvent[]> => {
    const out: RunEvent[] = [];
    for await (const batch of log.read({ fromSeq: 1, follow: false, filterSubject: `${log.subjectPrefix}.${P}.${runId}.>` })) for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event);
    return out;
  };
  /** The answers to a request: the slot events it caused (once `code` is among them). */
  const answersTo = (requestId: string, code: ReasonCode, timeoutMs = 90_000) =>
    waitFor(
      `${code} caused by ${requestId}`,
      async () => {
        const caused = (await eventsOf(SLOT_RUN)).filter((e) => e.causation_id === requestId);
        return caused.some((e) => e.reason_code === code) ? caused : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  const request = async <C extends ReasonCode>(code: C, payload: RunEventDraft<C>['payload']) => (await publish({ reason_code: code, project_id: P, run_id: SLOT_RUN, summary: `test ${code}`, payload } as RunEventDraft<C>)).event.id;
  const servedBy = (alias: string) => waitFor(`the runner serving ${alias}`, async () => (await client.models()).data.find((m) => m.id === alias)?.root, { timeoutMs: 60_000 });
  const goldMessages = (text: string) => [
    { role: 'system' as const, content: classificationPrompt(['0', '1']) },
    { role: 'user' as const, content: text },
  ];

  /** Publishes what the training and evaluation services would: a plan, a completed run, and its evaluation. */
  async function trainingRun(runId: string, modelRef: ArtifactRef, evalRunId: string, verdict: { promotable: boolean; blocking?: string[]; accuracy: { value: number; ci: [number, number] } }) {
    const planRef = await store.put([JSON.stringify({ run_id: runId, project_id: P, task_profile: 'classification', manifest: fx.manifestRef, base_model: { locator: `file:${fx.baseDir}` } })], 'application/vnd.distillery.train-plan+json');
    await publish({ reason_code: 'training_dispatched', project_id: P, run_id: runId, summary: 'plan', payload: { plan_ref: planRef, engine: 'ort', total_steps: 60, method: 'lora' } });
    await publish({ reason_code: 'training_completed', project_id: P, run_id: runId, summary: 'done', payload: { model_ref: modelRef, engine: 'ort', method: 'lora', steps: 60 } });
    await evaluation(runId, evalRunId, verdict);
  }
  async function evaluation(trainingRunId: string, evalRunId: string, v: { promotable: boolean; blocking?: string[]; accuracy: { value: number; ci: [number, number] } }) {
    const reportRef = await store.put([JSON.stringify({ schema_version: 1, task_profile: 'classification', metrics: { accuracy: { ...v.accuracy, n: 60 }, macro_f1: { value: 0.5, ci: null, n: 60 } } })], 'application/vnd.distillery.eval-report+json');
    await publish({
      reason_code: 'eval_completed',
      project_id: P,
      run_id: evalRunId,
      parent_run_id: trainingRunId,
      summary: 'eval',
      payload: { metrics: { accuracy: v.accuracy.value }, promotable: v.promotable, blocking: v.blocking ?? [], report_ref: reportRef, training_run_id: trainingRunId, task_profile: 'classification', rows: 60 },
    });
  }

  beforeAll(async () => {
    nats = await natsService();
    spine = await isolatedSpine('deploy', nats);
    // The deployment consumers are not in libs/eventlog's SERVICE_CONSUMERS yet: this test's stream gets them here.
    log = await EventLog.connect({ url: nats.url, name: 'deploy-test', topology: buildTopology({ streamName: spine.env['DISTILLERY_STREAM'], subjectPrefix: spine.env['DISTILLERY_SUBJECT_PREFIX'], consumers: [...SERVICE_CONSUMERS, ...DEPLOYMENT_CONSUMERS] }) });
    await log.applyTopology();
    fx = await buildFixture(store, dataDir);
    await trainingRun('train-1', fx.adapterRef, 'eval-1', { promotable: true, accuracy: { value: 0.5, ci: [0, 1] } });
    await trainingRun('train-2', fx.mergedRef, 'eval-2', { promotable: true, accuracy: { value: 0.5, ci: [0, 1] } });
    config = parseDeploymentConfig({ ...spine.env, DISTILLERY_DATA_DIR: dataDir, PORT: '0', RUNNER_PORT: '0', RUNNER_HOST: '127.0.0.1', SMOKE_PROMPTS: '8', DRIFT_MAX_ROWS: '60', DRIFT_MIN_REQUESTS: '20', RUNNER_RECENT_REQUESTS: '40' });
    app = await startDeployment({ config, logger: createLogger('deploy-test', 'error'), eventLog: log, http: false });
    client = new OpenAiClient(app.runnerUrl);
  }, 300_000);

  afterAll(async () => {
    await app?.stop();
    await log?.close();
    await spine?.cleanup();
    await nats?.stop();
  });

  it('creates v1 from a training run with its checks recorded, promotes it, and the runner answers chat completions, plain and streamed', async () => {
    const created = await answersTo(await request('deployment_requested', { target: 'runner', slot: 'default', training_run_id: 'train-1' }), 'deployment_created');
    expect(created.map((e) => e.reason_code)).toEqual(['deployment_created']);
    const p = created[0]!.payload as Record<string, unknown>;
    expect(p).toMatchObject({ version: 1, slot: 'default', target: 'runner', training_run_id: 'train-1', bundle_ref: fx.adapterRef, eval: { run_id: 'eval-1', promotable: true, blocking: [] } });
    expect(p['smoke']).toEqual({ passed: true, detail: expect.stringMatching(/^8\/8 gold prompts answered with text that stopped/) });
    expect(p['parity']).toEqual({ passed: true, detail: expect.stringMatching(/^by construction: .* training run train-1's own output/) });
    expect(p['endpoint']).toBe(`${app.runnerUrl}/v1`);
    // The candidate was unloaded after its smoke check: nothing is served before promotion.
    expect((await client.models()).data).toEqual([]);

    const promoted = await answersTo(await request('deployment_promote_requested', { slot: 'default', version: 1 }), 'deployment_promoted');
    expect(promoted[0]!.payload).toEqual({ version: 1, slot: 'default' });
    expect(await servedBy('shop/default')).toBe('shop/default@v1');

    const row = fx.gold[0]!;
    const plain = await client.chat('shop/default', goldMessages(String(row.record['text'])), { temperature: 0, max_tokens: 32 });
    expect(plain.object).toBe('chat.completion');
    expect(plain.model).toBe('shop/default@v1');
    expect(plain.choices).toHaveLength(1);
    expect(plain.choices[0]!.finish_reason).toBe('stop');
    const content = plain.choices[0]!.message.content ?? '';
    expect(content.trim()).not.toBe('');
    expect(plain.usage!.total_tokens).toBe(plain.usage!.prompt_tokens + plain.usage!.completion_tokens);
    expect(plain.usage!.prompt_tokens).toBeGreaterThan(10);

    const res = await fetch(`${app.runnerUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'shop/default', messages: goldMessages(String(row.record['text'])), temperature: 0, max_tokens: 32, stream: true, stream_options: { include_usage: true } }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: string[] = [];
    for await (const e of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) events.push(e);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; model: string; choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>; usage?: ChatCompletionResponse['usage'] });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'shop/default@v1')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(content);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]!.finish_reason)).toEqual(['stop']);
    expect(chunks.at(-1)!.usage).toEqual(plain.usage);

    const text = await client.completion('shop/default', 'The food was', { temperature: 0, max_tokens: 5 });
    expect(text.object).toBe('text_completion');
    expect(text.usage!.completion_tokens).toBeLessThanOrEqual(5);
    if (process.env['DEPLOY_REPORT'] !== undefined) await report();
  }, 180_000);

  /** DEPLOY_REPORT=1: latency of label answers and decode throughput of the runner on this machine. */
  async function report() {
    const ms: number[] = [];
    for (const r of fx.gold.slice(0, 20)) {
      const t0 = performance.now();
      await client.chat('shop/default', goldMessages(String(r.record['text'])), { temperature: 0, max_tokens: 16 });
      ms.push(performance.now() - t0);
    }
    let tokens = 0;
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) tokens += (await client.completion('shop/default', 'The food was', { temperature: 1, seed: i, max_tokens: 128 })).usage!.completion_tokens;
    const s = (performance.now() - t0) / 1000;
    ms.sort((a, b) => a - b);
    console.log(`runner: chat p50 ${ms[10]!.toFixed(1)} ms, p95 ${ms[18]!.toFixed(1)} ms (20 gold prompts); text ${tokens} tokens in ${s.toFixed(2)} s = ${(tokens / s).toFixed(0)} tokens/s (5 sequential requests)`);
  }

  it('answers bad requests in OpenAI error shape: 400 naming the field, 404 for an unknown model or route, 400 for a body that is not JSON', async () => {
    const post = (body: string) => fetch(`${app.runnerUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const n2 = await post(JSON.stringify({ model: 'shop/default', messages: [{ role: 'user', content: 'hi' }], n: 2 }));
    expect(n2.status).toBe(400);
    expect(await n2.json()).toEqual({ error: { message: expect.stringMatching(/n=2 is not supported/), type: 'invalid_request_error', param: 'n', code: 'unsupported_value' } });
    const unknown = await post(JSON.stringify({ model: 'shop/nope', messages: [{ role: 'user', content: 'hi' }] }));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: 'model_not_found', param: 'model' });
    const broken = await post('{"model": ');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    const route = await fetch(`${app.runnerUrl}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(route.status).toBe(404);
    expect(((await route.json()) as { error: { code: string } }).error.code).toBe('not_found');
  }, 30_000);

  it('creates v2 from the merged model and promotes it: v1 is superseded and the runner switches', async () => {
    const created = await answersTo(await request('deployment_requested', { target: 'runner', slot: 'default', training_run_id: 'train-2' }), 'deployment_created');
    expect(created[0]!.payload).toMatchObject({ version: 2, bundle_ref: fx.mergedRef, eval: { run_id: 'eval-2', promotable: true }, smoke: { passed: true }, parity: { passed: true } });
    const promoted = await answersTo(await request('deployment_promote_requested', { slot: 'default', version: 2 }), 'deployment_promoted');
    expect(promoted[0]!.payload).toEqual({ version: 2, slot: 'default', superseded: 1 });
    expect(promoted[0]!.summary).toBe('v2 is live (v1 superseded)');
    await waitFor('v2 served', async () => (await servedBy('shop/default')) === 'shop/default@v2', { timeoutMs: 60_000 });
    expect((await client.chat('shop/default', goldMessages('Great food.'), { temperature: 0, max_tokens: 8 })).model).toBe('shop/default@v2');
  }, 180_000);

  it('rolls back under load without a failed request: the served model id changes from v2 to v1', async () => {
    const results: Array<{ ok: boolean; model?: string; error?: string }> = [];
    let stop = false;
    const texts = fx.gold.map((r) => String(r.record['text']));
    const loop = async (k: number) => {
      for (let i = k; !stop; i += 4) {
        try {
          const r = await client.chat('shop/default', goldMessages(texts[i % texts.length]!), { temperature: 0, max_tokens: 16 });
          results.push({ ok: r.choices[0]?.finish_reason !== undefined, model: r.model });
        } catch (err) {
          results.push({ ok: false, error: String(err) });
        }
      }
    };
    const loops = [0, 1, 2, 3].map(loop);
    await waitFor('traffic on v2', async () => results.filter((r) => r.model === 'shop/default@v2').length >= 8, { timeoutMs: 30_000 });
    const rolled = await answersTo(await request('deployment_rollback_requested', { slot: 'default', reason: 'test' }), 'deployment_rolled_back');
    expect(rolled[0]!.payload).toEqual({ from_version: 2, to_version: 1, slot: 'default' });
    const switchedAt = await waitFor('traffic on v1', async () => {
      const i = results.findIndex((r) => r.model === 'shop/default@v1');
      return i >= 0 ? i : undefined;
    }, { timeoutMs: 60_000 });
    await waitFor('more traffic on v1', async () => results.length >= switchedAt + 12, { timeoutMs: 30_000 });
    stop = true;
    await Promise.all(loops);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(new Set(results.map((r) => r.model))).toEqual(new Set(['shop/default@v2', 'shop/default@v1']));
    expect(results.slice(-4).every((r) => r.model === 'shop/default@v1')).toBe(true);
    // v2 left the runner once its in-flight requests were done.
    await waitFor('v2 unloaded', async () => !(await client.models()).data.some((m) => m.id === 'shop/default@v2'), { timeoutMs: 30_000 });
    expect((await client.models()).data.map((m) => [m.id, m.root])).toEqual([
      ['shop/default', 'shop/default@v1'],
      ['shop/default@v1', 'shop/default@v1'],
    ]);
  }, 180_000);

  it('a rollback with no earlier live version is refused with deployment_rollback_no_predecessor', async () => {
    const answer = await answersTo(await request('deployment_rollback_requested', { slot: 'default' }), 'deployment_rollback_no_predecessor');
    expect(answer.map((e) => e.reason_code)).toEqual(['deployment_rollback_no_predecessor']);
    expect(answer[0]!.payload).toEqual({ version: 1, slot: 'default' });
    expect(answer[0]!.severity).toBe('error');
    expect(await servedBy('shop/default')).toBe('shop/default@v1');
  }, 60_000);

  it('refuses to promote a version whose eval gate failed, naming the gates; rejects it; an unknown version is an invalid request', async () => {
    const blocking = ['accuracy ≥ 0.99: accuracy 0.62 < 0.99', 'macro_f1 ≥ 0.9: macro_f1 0.55 < 0.9'];
    await trainingRun('train-3', fx.adapterRef, 'eval-3', { promotable: false, blocking, accuracy: { value: 0.62, ci: [0.5, 0.74] } });
    const created = await answersTo(await request('deployment_requested', { target: 'runner', slot: 'default', training_run_id: 'train-3' }), 'deployment_created');
    expect(created[0]!.payload).toMatchObject({ version: 3, eval: { run_id: 'eval-3', promotable: false, blocking } });
    const blocked = await answersTo(await request('deployment_promote_requested', { slot: 'default', version: 3 }), 'deployment_promote_blocked');
    expect(blocked.map((e) => e.reason_code)).toEqual(['deployment_promote_blocked']);
    expect(blocked[0]!.payload).toEqual({ version: 3, slot: 'default', failed_gates: blocking.map((b) => `eval: ${b}`) });
    expect(blocked[0]!.summary).toBe(`promotion of v3 refused: ${blocking.map((b) => `eval: ${b}`).join('; ')}`);
    expect(await servedBy('shop/default')).toBe('shop/default@v1');

    const rejected = await answersTo(await request('deployment_reject_requested', { slot: 'default', version: 3, reason: 'fails its gates' }), 'deployment_rejected');
    expect(rejected[0]!.payload).toEqual({ version: 3, reason: 'fails its gates', slot: 'default' });
    const invalid = await answersTo(await request('deployment_promote_requested', { slot: 'default', version: 9 }), 'deployment_request_invalid');
    expect(invalid[0]!.payload).toEqual({ request: 'deployment_promote_requested', slot: 'default', version: 9, message: expect.stringMatching(/has no version 9 \(versions: 1, 2, 3\)/) });
  }, 180_000);

  it('drift: in-distribution prompts do not drift in length or vocabulary, shifted prompts do (deployment_drift_detected), a tight baseline is a metric drift', async () => {
    const gold = fx.gold.map((r) => ({ text: String(r.record['text']), label: String(r.record['label']) }));
    // The live metric, computed here from the runner's own answers (greedy, so the service sees the same ones).
    let correct = 0;
    for (const g of gold) if ((await client.chat('shop/default', goldMessages(g.text), { temperature: 0, max_tokens: 32 })).choices[0]!.message.content!.trim() === g.label) correct++;
    const accuracy = correct / gold.length;

    for (const g of gold.slice(0, 40)) await client.chat('shop/default', goldMessages(g.text), { temperature: 0, max_tokens: 8 });
    const calm = await answersTo(await request('deployment_drift_check_requested', { slot: 'default' }), 'deployment_drift_checked');
    const calmPayload = calm.find((e) => e.reason_code === 'deployment_drift_checked')!.payload as { metrics: Record<string, number>; drifted: string[]; version: number; details: string[] };
    expect(calmPayload.version).toBe(1);
    expect(calmPayload.metrics['accuracy']).toBeCloseTo(accuracy, 10);
    expect(calmPayload.metrics['gold.rows']).toBe(60);
    expect(calmPayload.metrics['input.requests']).toBe(40);
    // The tiny model answers nearly every row with the same label, so the predicted-label distribution may drift
    // from the training labels' 50/50 (a true finding); prompt length and vocabulary must not.
    expect(calmPayload.drifted.filter((d) => d !== 'input:labels')).toEqual([]);
    expect(calmPayload.metrics['input.oov_increase']).toBeLessThan(0.1);
    expect(calmPayload.details.join('\n')).toMatch(/^metric: accuracy .* ≥ the baseline's lower bound 0\.0000/m);

    const shifted = 'Quarterly EBITDA reconciliation variance exceeded the consolidated forecast because depreciation schedules for leased semiconductor fabrication equipment were amortized inconsistently across subsidiaries in Singapore, Rotterdam and Querétaro during fiscal year twenty twenty four';
    for (let i = 0; i < 40; i++) await client.chat('shop/default', [{ role: 'user', content: `${shifted} ledger ${i}` }], { temperature: 0, max_tokens: 4 });
    const drifted = await answersTo(await request('deployment_drift_check_requested', { slot: 'default' }), 'deployment_drift_detected');
    const detected = drifted.find((e) => e.reason_code === 'deployment_drift_detected')!;
    const d = detected.payload as { drifted: string[]; metrics: Record<string, number> };
    expect(d.drifted).toEqual(expect.arrayContaining(['input:length', 'input:vocabulary']));
    expect(d.drifted).not.toContain('metric:accuracy');
    expect(detected.severity).toBe('warning');
    expect(d.metrics['input.oov_increase']).toBeGreaterThan(0.1);
    expect(drifted.some((e) => e.reason_code === 'deployment_drift_checked')).toBe(true);

    // A newer evaluation of the live version with a tight interval above the live accuracy: the drop is beyond it.
    await evaluation('train-1', 'eval-1', { promotable: true, accuracy: { value: 0.995, ci: [0.99, 1] } });
    const metric = await answersTo(await request('deployment_drift_check_requested', { slot: 'default' }), accuracy < 0.99 ? 'deployment_drift_detected' : 'deployment_drift_checked');
    const m = metric.find((e) => e.reason_code === 'deployment_drift_checked')!.payload as { drifted: string[]; metrics: Record<string, number> };
    expect(m.metrics['accuracy.bound']).toBe(0.99);
    expect(m.drifted.includes('metric:accuracy')).toBe(accuracy < 0.99);
    if (accuracy < 0.99) {
      const detected = metric.find((e) => e.reason_code === 'deployment_drift_detected')!;
      expect(detected.severity).toBe('error');
      expect(detected.summary).toMatch(/metric: accuracy \d\.\d{4} < the baseline's lower bound 0\.9900/);
    }
  }, 240_000);

  it('a restarted app serves the live version again as soon as it has started: the runner follows the slot events in the log', async () => {
    await app.stop();
    app = await startDeployment({ config, logger: createLogger('deploy-test', 'error'), eventLog: log, http: false });
    client = new OpenAiClient(app.runnerUrl);
    expect((await client.models()).data.map((m) => [m.id, m.root])).toEqual([
      ['shop/default', 'shop/default@v1'],
      ['shop/default@v1', 'shop/default@v1'],
    ]);
    expect((await client.chat('shop/default', goldMessages('Loved it.'), { temperature: 0, max_tokens: 8 })).model).toBe('shop/default@v1');
  }, 120_000);
});
