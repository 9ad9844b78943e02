/**
 * The trainer worker on real NATS with a real (tiny) model and real rows: a SIGKILLed trainer's run is redelivered and
 * resumes from its last checkpoint (not step 0) with a loss curve that continues; a cancel request stops a run and
 * keeps its checkpoint; max_duration stops a run with training_timeout; a plan whose data is gone ends in
 * training_runtime_error. Every failure code of the trainer is caused here, not asserted in the abstract.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { eventSubject, type ArtifactRef, type PreparedManifest, type ReasonCode, type RunEvent } from '@distillery/contracts';
import { readModelFolder } from '@distillery/models';
import { buildTrainPlan, parseRecipe, type TrainPlan } from '@distillery/recipes';
import { handlerFor, tokenizeRendered, type ChatTokenizer, type TokenizedExample } from '@distillery/tasks';
import { builtEntry, natsService, repoRoot, spawnNode, waitFor, type ServiceHandle, type Spawned } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { makeTinyModel } from '../src/index.js';

describe('trainer worker', () => {
  let nats: ServiceHandle;
  let spine: IsolatedSpine;
  const dataDir = mkdtempSync(join(tmpdir(), 'trainer-e2e-'));
  const store = new FileArtifactStore(join(dataDir, 'artifacts'));
  const workers: Spawned[] = [];
  let modelDir = '';
  let shard: ArtifactRef & { rows: number };
  let evalShard: ArtifactRef & { rows: number };
  let manifest: PreparedManifest;
  let manifestRef: ArtifactRef;

  const startWorker = () => {
    const w = spawnNode(builtEntry('apps/trainer/src/main.js'), [], { ...spine.env, DISTILLERY_DATA_DIR: dataDir, PORT: '0', PROGRESS_EVERY_MS: '0', LOG_LEVEL: 'warn', TRAINER_THREADS: '1' });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    nats = await natsService();
    spine = await isolatedSpine('trainer', nats, undefined, {});
    modelDir = (await makeTinyModel({ corpusPath: join(repoRoot, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt'), outDir: join(dataDir, 'tiny'), steps: 5 })).dir;
    const folder = await readModelFolder(modelDir);
    const tok = folder.tokenizer;
    const chat: ChatTokenizer = {
      encode: (t) => tok.encode(t, { addSpecialTokens: false }),
      decode: (ids) => tok.decode([...ids]),
      renderChat: (m, o) => tok.renderChat(m.map((x) => ({ role: x.role, content: x.content })), o),
      eosTokenId: tok.eos!.id,
      eosToken: tok.eos!.content,
    };
    // The bundled Yelp sentences, rendered and tokenized by the classification handler.
    const lines = readFileSync(join(repoRoot, 'examples', 'datasets', 'uci-sentiment', 'yelp_labelled.txt'), 'utf8').trim().split('\n');
    const examples: TokenizedExample[] = lines.map((l, i) => {
      const [text, label] = l.split('\t');
      return tokenizeRendered(`r${i}`, handlerFor('classification').render(`r${i}`, { text: text!.trim(), label: label!.trim() }, { label_set: ['0', '1'] }), chat, { max_seq_len: 64 }) as TokenizedExample;
    });
    await folder.close();
    shard = { ...(await store.putJsonl(examples.slice(0, 480))), rows: 480 };
    evalShard = { ...(await store.putJsonl(examples.slice(480))), rows: 20 };
    const empty = await store.putJsonl([]);
    manifest = {
      schema_version: 1,
      project_id: 'shop',
      dataset_id: 'ds-shop',
      created_at: '2026-11-22T00:00:00.000Z',
      task_profile: 'classification',
      output_schema: { fields: { text: 'string', label: 'string' }, scoring_mode: 'label_likelihood' },
      label_set: ['0', '1'],
      split: { strategy: { kind: 'random', seed: 1 }, ratios: { train: 0.96, eval: 0.04, gold: 0 } },
      counts: { train: 480, eval: 20, gold: 0, dropped: 0 },
      artifacts: { train: empty, eval: empty, gold: empty },
      source_lineage: [{ locator: 'tsv:yelp', mapper_id: 'label_to_classification', rows: 500 }],
    };
    manifestRef = await store.put([JSON.stringify(manifest)], 'application/json');
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.kill('SIGTERM');
    await spine.cleanup();
    await nats.stop();
  });

  async function dispatch(runId: string, recipe: Record<string, unknown>, shards?: { train: Array<ArtifactRef & { rows: number }> }): Promise<TrainPlan> {
    const r = parseRecipe({ recipe_version: 1, base_model: `file:${modelDir}`, method: 'lora', batch: { per_device: 8 }, max_seq_len: 64, ...recipe });
    const plan = buildTrainPlan({
      run_id: runId,
      project_id: 'shop',
      recipe: r,
      manifest,
      manifest_ref: manifestRef,
      resolved_revision: 'test',
      model: { parameters: 217_664, hidden_size: 64, layers: 4, heads: 4, vocab: 512, intermediate_size: 176 },
      hardware: { cpu_cores: 2, memory_bytes: 8 * 2 ** 30, accelerators: [] },
      shards: { train: shards?.train ?? [shard], eval: [evalShard] },
    });
    const planRef = await store.put([JSON.stringify(plan)], 'application/vnd.distillery.train-plan+json');
    await spine.log.publisher({ app: 'trainer-test', version: '0' }).publish({ reason_code: 'training_dispatched', project_id: 'shop', run_id: runId, summary: 'test plan', payload: { plan_ref: planRef, engine: 'ort', total_steps: plan.steps.total, method: plan.recipe.method } });
    return plan;
  }

  const subject = (runId: string, code: ReasonCode) => eventSubject(spine.log.subjectPrefix, { project_id: 'shop', run_id: runId, stage: 'training', reason_code: code });
  const last = async (runId: string, code: ReasonCode) => (await spine.log.lastEventOn(subject(runId, code)))?.event;
  const eventsOf = async (runId: string): Promise<RunEvent[]> => {
    const out: RunEvent[] = [];
    for await (const batch of spine.log.read({ fromSeq: 1, follow: false, filterSubject: `${spine.log.subjectPrefix}.shop.${runId}.>` })) for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event);
    return out;
  };

  it('resumes a SIGKILLed run from its last checkpoint, and the loss curve continues', async () => {
    const plan = await dispatch('train-killed', { optim: { epochs: 1 }, checkpoint_cadence: { steps: 10 }, eval_every: 30 });
    expect(plan.steps.total).toBe(60);
    let w = startWorker();
    const ckpt = await waitFor('a checkpoint at step 20 or later', async () => {
      const e = await last('train-killed', 'training_checkpoint_saved');
      return e && (e.payload as { step: number }).step >= 20 ? e : undefined;
    }, { timeoutMs: 120_000, intervalMs: 100 });
    expect(await w.kill('SIGKILL')).toBe('SIGKILL');
    const killedAt = (ckpt.payload as { step: number }).step;
    expect(await last('train-killed', 'training_completed')).toBeUndefined();

    w = startWorker();
    const done = await waitFor('the resumed run to complete', () => last('train-killed', 'training_completed'), { timeoutMs: 150_000, intervalMs: 250 });
    const starts = (await eventsOf('train-killed')).filter((e) => e.reason_code === 'training_started');
    expect(starts).toHaveLength(2);
    const resumedAt = (starts[1]!.payload as { resumed_from_step?: number }).resumed_from_step!;
    expect(resumedAt).toBeGreaterThanOrEqual(killedAt);
    expect(resumedAt).toBeLessThan(60);
    const p = done.payload as { steps: number; trace_ref: ArtifactRef; model_ref: ArtifactRef; final_loss: number };
    expect(p.steps).toBe(60);
    const trace: Array<{ step: number; loss: number }> = [];
    for await (const t of store.readJsonl<{ step: number; loss: number }>(p.trace_ref)) trace.push(t);
    expect(trace.map((t) => t.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(trace.every((t) => Number.isFinite(t.loss))).toBe(true);
    expect(trace.slice(-10).reduce((a, t) => a + t.loss, 0) / 10).toBeLessThan(trace.slice(0, 10).reduce((a, t) => a + t.loss, 0) / 10);
    const bundle = JSON.parse((await store.readBytes(p.model_ref)).toString('utf8')) as { kind: string; files: Record<string, unknown> };
    expect(bundle.kind).toBe('peft-adapter');
    expect(Object.keys(bundle.files)).toEqual(expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors']));
  }, 300_000);

  it('stops at the next step after a cancel request and keeps a checkpoint', async () => {
    await dispatch('train-cancel', { optim: { epochs: 5 }, checkpoint_cadence: { steps: 1000 } });
    await waitFor('a few steps', async () => {
      const e = await last('train-cancel', 'training_progress');
      return e && (e.payload as { step: number }).step >= 3 ? e : undefined;
    }, { timeoutMs: 120_000, intervalMs: 100 });
    await spine.log.publisher({ app: 'trainer-test', version: '0' }).publish({ reason_code: 'training_cancel_requested', project_id: 'shop', run_id: 'train-cancel', summary: 'stop', payload: {} });
    const cancelled = await waitFor('cancelled', () => last('train-cancel', 'training_cancelled'), { timeoutMs: 60_000 });
    const step = (cancelled.payload as { step: number }).step;
    expect(step).toBeLessThan(300);
    expect((await last('train-cancel', 'training_checkpoint_saved'))?.payload).toMatchObject({ step });
    expect(await last('train-cancel', 'training_completed')).toBeUndefined();
  }, 180_000);

  it('ends a run that outlives max_duration with training_timeout', async () => {
    await dispatch('train-slow', { optim: { epochs: 20 }, max_duration: '2s' });
    const t = await waitFor('timeout', () => last('train-slow', 'training_timeout'), { timeoutMs: 60_000 });
    expect(t.payload).toMatchObject({ max_duration_s: 2 });
    expect(t.severity).toBe('error');
  }, 120_000);

  it('ends a step onnxruntime cannot allocate with training_oom (one 65,536-token row: 4 heads × 65,536² attention scores = 64 GiB)', async () => {
    const seq = 65_536;
    const ids = Array.from({ length: seq }, (_, i) => 3 + (i % 500));
    const long: TokenizedExample = { row_id: 'long-0', input_ids: ids, labels: ids, original_length: seq, truncated: false };
    const longShard = { ...(await store.putJsonl([long])), rows: 1 };
    if (workers.every((w) => w.child.exitCode !== null || w.child.signalCode !== null)) startWorker();
    await dispatch('train-oom', { batch: { per_device: 1 }, max_seq_len: seq, optim: { epochs: 1 } }, { train: [longShard] });
    const e = await waitFor('oom', () => last('train-oom', 'training_oom'), { timeoutMs: 60_000 });
    expect(e.severity).toBe('error');
    expect(e.payload).toMatchObject({ step: 0 });
    expect((e.payload as { failure: { error_class: string; message: string } }).failure).toMatchObject({ error_class: 'EngineOomError', message: expect.stringMatching(/out of memory during step 1/) });
    expect(await last('train-oom', 'training_runtime_error')).toBeUndefined();
    expect(await last('train-oom', 'training_completed')).toBeUndefined();
  }, 120_000);

  it('reports a plan whose data is gone as training_runtime_error, naming it', async () => {
    const gone = { uri: `artifact://sha256/${'0'.repeat(64)}`, sha256: '0'.repeat(64), bytes: 10, media_type: 'application/x-ndjson', rows: 480 };
    await dispatch('train-broken', { optim: { epochs: 1 } }, { train: [gone] });
    const e = await waitFor('runtime error', () => last('train-broken', 'training_runtime_error'), { timeoutMs: 60_000 });
    expect((e.payload as { failure: { message: string } }).failure.message).toMatch(/artifact artifact:\/\/sha256\/0{64} is not in the store/);
  }, 120_000);
});
