/**
 * The export service on real NATS, a tiny model and a LoRA adapter trained here on the bundled sentiment rows:
 * `export_requested` for a training run → `export_completed` for hf, peft, onnx, gguf F16 and gguf Q8_0, each a bundle
 * whose manifest lists every file's sha256 and size, with its smoke and parity results; the GGUF files opened and run
 * by a real llama.cpp (node-llama-cpp); an export whose weights are perturbed on purpose (a test-only fault hook) →
 * `export_parity_failed` naming the first differing gold prompt; one whose stop token was lost → `export_run_failed`
 * by the smoke check ("never stops"); missing artifacts → `export_artifact_missing`; a quantization that cannot apply
 * → `export_quantization_failed`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore, materializeBundle, putDirectory, readBundle, type BundleIndex } from '@distillery/artifacts';
import type { ArtifactRef, PayloadOf, RunEvent } from '@distillery/contracts';
import { EventLog, SERVICE_CONSUMERS, buildTopology } from '@distillery/eventlog';
import { loadModel, type Generation } from '@distillery/inference';
import { SafetensorsFile, writeSafetensors, type ChatMessage } from '@distillery/models';
import type { RunningApp } from '@distillery/platform-nest';
import { handlerFor } from '@distillery/tasks';
import { createLogger } from '@distillery/telemetry';
import { natsService, waitFor, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { getLlama, LlamaLogLevel, type Llama, type Token } from 'node-llama-cpp';
import { EXPORT_MANIFEST_FILE, FALLBACK_PROMPTS, parseExportConfig, QUANTIZED_TOLERANCE, startExport, type ExportManifest } from '../src/index.js';
import { trainedRun, type TrainedFixture } from './support.js';

const PROJECT = 'shop';
const TRAIN_RUN = 'train-1';
const CHECK_ROWS = 8;
const MAX_NEW = 48;

type Completed = PayloadOf<'export_completed'>;

describe('the export service', () => {
  let nats: ServiceHandle;
  let spine: IsolatedSpine;
  let log: EventLog;
  let app: RunningApp;
  let fx: TrainedFixture;
  let llama: Llama;
  const dataDir = mkdtempSync(join(tmpdir(), 'export-svc-'));
  const store = new FileArtifactStore(join(dataDir, 'artifacts'));
  /** The gold prompts as the test renders them itself (handler → messages before the assistant's answer). */
  let goldChats: ChatMessage[][];
  /** The trained model's greedy answers to them (libs/inference, base model + adapter), computed here. */
  let reference: Generation[];
  let referenceIds: number[][];
  let renderedChats: string[];
  let labelIds: { zero: number; one: number };

  beforeAll(async () => {
    nats = await natsService();
    spine = await isolatedSpine('export', nats, undefined, { DISTILLERY_DATA_DIR: dataDir, EXPORT_CHECK_ROWS: String(CHECK_ROWS), EXPORT_MAX_NEW_TOKENS: String(MAX_NEW) });
    // The export consumer, until libs/eventlog's SERVICE_CONSUMERS lists it (then this adds nothing).
    const consumers = SERVICE_CONSUMERS.some((c) => c.service === 'export') ? SERVICE_CONSUMERS : [...SERVICE_CONSUMERS, { service: 'export', reasonCode: 'export_requested' as const, maxAckPending: 1 }];
    log = await EventLog.connect({ url: nats.url, name: 'test-export', topology: buildTopology({ streamName: spine.env['DISTILLERY_STREAM'], subjectPrefix: spine.env['DISTILLERY_SUBJECT_PREFIX'], consumers }) });
    await log.applyTopology();

    fx = await trainedRun(store, { runId: TRAIN_RUN, projectId: PROJECT, steps: 40 });
    const pub = log.publisher({ app: 'export-test', version: '0' });
    await pub.publish({ reason_code: 'training_dispatched', project_id: PROJECT, run_id: TRAIN_RUN, summary: 'plan', payload: { plan_ref: fx.planRef, engine: 'ort', total_steps: fx.steps, method: 'lora' } });
    await pub.publish({ reason_code: 'training_completed', project_id: PROJECT, run_id: TRAIN_RUN, summary: 'done', payload: { model_ref: fx.modelRef, engine: 'ort', method: 'lora', steps: fx.steps } });

    const ref = await loadModel(fx.baseDir, { adapter: fx.adapterDir });
    goldChats = fx.gold.slice(0, CHECK_ROWS).map((r) => {
      const rendered = handlerFor('classification').render(r.row_id, r.record, { label_set: ['0', '1'] });
      if (rendered.kind !== 'chat') throw new Error('expected a chat');
      return rendered.messages.slice(0, -1).map((m) => ({ role: m.role, content: m.content }));
    });
    referenceIds = goldChats.map((m) => ref.chatPromptIds(m));
    renderedChats = goldChats.map((m) => ref.tokenizer.renderChat(m, { addGenerationPrompt: true }));
    reference = await ref.generateBatch(referenceIds, { maxNewTokens: MAX_NEW });
    labelIds = { zero: ref.tokenizer.tokenToId('0')!, one: ref.tokenizer.tokenToId('1')! };
    await ref.close();
    llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });

    app = await startExport({
      config: parseExportConfig(spine.env),
      logger: createLogger('export-test', 'error'),
      eventLog: log,
      http: false,
      faults: {
        // Test-only faults, each for one export run: the checks must catch them; the service cannot tell them apart
        // from a genuinely broken export (the manifest is made after them, so the bundle is self-consistent).
        perturbExport: async (run, dir) => {
          if (run.export_run_id === 'exp-bad-weights') await swapEmbeddingRows(join(dir, 'model.safetensors'), labelIds.zero, labelIds.one);
          if (run.export_run_id === 'exp-no-stop') await loseStopToken(dir);
        },
      },
    });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await llama?.dispose();
    await log?.close();
    await spine?.cleanup();
    await nats?.stop();
  });

  const request = (runId: string, payload: PayloadOf<'export_requested'>) =>
    log.publisher({ app: 'export-test', version: '0' }).publish({ reason_code: 'export_requested', project_id: PROJECT, run_id: runId, parent_run_id: TRAIN_RUN, summary: 'export', payload });
  const eventsOf = async (runId: string): Promise<RunEvent[]> => {
    const out: RunEvent[] = [];
    for await (const batch of log.read({ fromSeq: 1, follow: false, filterSubject: `${log.subjectPrefix}.${PROJECT}.${runId}.>` })) for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event);
    return out;
  };
  const OUTCOMES = ['export_completed', 'export_run_failed', 'export_artifact_missing', 'export_quantization_failed', 'export_parity_failed'];
  const outcome = (runId: string) => waitFor(`the outcome of ${runId}`, async () => (await eventsOf(runId)).find((e) => OUTCOMES.includes(e.reason_code)), { timeoutMs: 90_000, intervalMs: 100 });
  const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

  /** The checks every export_completed gets: manifest = bundle metadata = the files' real digests and sizes. */
  async function expectCompleted(runId: string, format: string, quantization: string): Promise<{ payload: Completed; index: BundleIndex; manifest: ExportManifest; dir: string }> {
    const e = await outcome(runId);
    expect({ code: e.reason_code, summary: e.summary }).toEqual({ code: 'export_completed', summary: expect.stringMatching(/smoke passed, parity passed/) });
    expect(e.parent_run_id).toBe(TRAIN_RUN);
    const payload = e.payload as Completed;
    expect(payload).toMatchObject({ format, quantization, training_run_id: TRAIN_RUN });
    expect(payload.smoke).toMatchObject({ passed: true, rows: CHECK_ROWS, empty: 0 });
    expect(payload.smoke!.stopped).toBeGreaterThan(0);
    expect(payload.parity!.passed).toBe(true);
    expect(payload.parity!.prompts).toBe(CHECK_ROWS);
    if (process.env['EXPORT_REPORT'] !== undefined) console.log(`${format} ${quantization}: ${payload.size_bytes} bytes; ${payload.smoke!.detail}; ${payload.parity!.detail}`);

    const index = await readBundle(store, payload.bundle_ref);
    expect(index.kind).toBe(`export-${format}`);
    const dir = mkdtempSync(join(tmpdir(), `export-${runId}-`));
    await materializeBundle(store, payload.bundle_ref, dir);
    const manifest = JSON.parse(await readFile(join(dir, EXPORT_MANIFEST_FILE), 'utf8')) as ExportManifest;
    expect(index.metadata).toEqual(manifest);
    expect(payload.files).toEqual(manifest.files);
    // Every file but the manifest is listed, with the digest and size of its actual bytes.
    expect(manifest.files.map((f) => f.path).sort()).toEqual(Object.keys(index.files).filter((p) => p !== EXPORT_MANIFEST_FILE).sort());
    for (const f of manifest.files) {
      const bytes = readFileSync(join(dir, ...f.path.split('/')));
      expect({ path: f.path, sha256: sha256(bytes), bytes: bytes.length }).toEqual({ path: f.path, sha256: f.sha256, bytes: f.bytes });
    }
    expect(payload.size_bytes).toBe(Object.values(index.files).reduce((n, f) => n + f.bytes, 0));
    const requested = (await eventsOf(runId)).find((x) => x.reason_code === 'export_requested')!;
    expect(manifest).toMatchObject({ schema_version: 1, format, quantization, created_at: requested.occurred_at, stop_token_ids: [2], chat_template: true });
    expect(manifest.source).toMatchObject({ training_run_id: TRAIN_RUN, export_run_id: runId, model_ref: fx.modelRef, model_kind: 'peft-adapter', base_model: { locator: `file:${fx.baseDir}` } });
    return { payload, index, manifest, dir };
  }

  it('the trained model answers every gold prompt with a label and stops (what the exports must reproduce)', () => {
    expect(reference).toHaveLength(CHECK_ROWS);
    for (const g of reference) {
      expect(g.finishReason).toBe('stop');
      // A label, then <|im_end|>: swapping the two labels' rows (the parity fault below) changes every answer.
      expect(g.tokenIds).toEqual([expect.any(Number), 2]);
      expect([labelIds.zero, labelIds.one]).toContain(g.tokenIds[0]);
    }
  });

  it('hf: merged safetensors, tokenizer, chat template and stop ids; the bundle reproduces the trained model', async () => {
    await request('exp-hf', { training_run_id: TRAIN_RUN, format: 'hf' });
    const { payload, dir } = await expectCompleted('exp-hf', 'hf', 'f32');
    expect(payload.parity).toMatchObject({ mode: 'exact', token_agreement: 1 });
    expect(payload.files!.map((f) => f.path)).toEqual(expect.arrayContaining(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'README.md']));
    const baseTokenizerConfig = JSON.parse(readFileSync(join(fx.baseDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ chat_template: baseTokenizerConfig['chat_template'], eos_token: '<|im_end|>' });
    expect(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'))).toMatchObject({ eos_token_id: 2, bos_token_id: 0, pad_token_id: 3 });
    // Independently of the service's check: the stored bundle, loaded on its own, answers as the trained model.
    const m = await loadModel(dir);
    try {
      expect((await m.generateBatch(referenceIds, { maxNewTokens: MAX_NEW })).map((g) => g.tokenIds)).toEqual(reference.map((g) => g.tokenIds));
    } finally {
      await m.close();
    }
  });

  it('peft: the trained adapter as it was stored, with a README, tokenizer and stop ids', async () => {
    await request('exp-peft', { training_run_id: TRAIN_RUN, format: 'peft' });
    const { payload, index } = await expectCompleted('exp-peft', 'peft', 'f32');
    expect(payload.parity).toMatchObject({ mode: 'exact', token_agreement: 1 });
    const adapter = await readBundle(store, fx.modelRef);
    expect(index.files['adapter_model.safetensors']!.sha256).toBe(adapter.files['adapter_model.safetensors']!.sha256);
    expect(index.files['adapter_config.json']!.sha256).toBe(adapter.files['adapter_config.json']!.sha256);
    expect(Object.keys(index.files)).toEqual(expect.arrayContaining(['README.md', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']));
    expect(Object.keys(index.files).some((p) => p.startsWith('model'))).toBe(false);
  });

  it('onnx: onnx/model.onnx (decoder with KV cache) and the tokenizer; onnxruntime reproduces the greedy outputs', async () => {
    await request('exp-onnx', { training_run_id: TRAIN_RUN, format: 'onnx' });
    const { payload } = await expectCompleted('exp-onnx', 'onnx', 'f32');
    expect(payload.files!.map((f) => f.path)).toEqual(expect.arrayContaining(['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']));
    expect(payload.smoke!.detail).toMatch(/^onnxruntime-node \(onnx\/model\.onnx\)/);
    expect(payload.parity).toMatchObject({ mode: 'exact', token_agreement: 1 });
    expect(payload.parity!.max_abs_diff).toBeLessThan(1e-4);
  });

  /** llama.cpp's greedy tokens for a prompt (F32 KV cache, 1 thread), and whether it ended on an end-of-generation token. */
  async function llamaCppGreedy(path: string, prompts: readonly (readonly number[])[]): Promise<{ tokens: number[]; stopped: boolean }[]> {
    const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
    try {
      // The file's metadata carries the chat template and the eos (<|im_end|>, id 2) llama.cpp stops on.
      const meta = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown>>;
      expect((meta['tokenizer'] as Record<string, unknown>)['chat_template']).toBe((JSON.parse(readFileSync(join(fx.baseDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>)['chat_template']);
      expect(model.tokens.eos).toBe(2);
      expect(model.isEogToken(2 as Token)).toBe(true);
      const out: { tokens: number[]; stopped: boolean }[] = [];
      const context = await model.createContext({ contextSize: 256, threads: 1, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
      try {
        const seq = context.getSequence();
        for (const p of prompts) {
          await seq.clearHistory();
          const tokens: number[] = [];
          let stopped = false;
          for await (const t of seq.evaluate(p as Token[], { temperature: 0, yieldEogToken: true })) {
            tokens.push(Number(t));
            if (model.isEogToken(t)) {
              stopped = true;
              break;
            }
            if (tokens.length >= MAX_NEW) break;
          }
          out.push({ tokens, stopped });
        }
      } finally {
        await context.dispose();
      }
      return out;
    } finally {
      await model.dispose();
    }
  }

  it('gguf F16: one GGUF file; llama.cpp loads it, tokenizes as the trained model, and gives its greedy answers and stops', async () => {
    await request('exp-gguf-f16', { training_run_id: TRAIN_RUN, format: 'gguf' });
    const { payload, dir } = await expectCompleted('exp-gguf-f16', 'gguf', 'f16');
    expect(payload.parity).toMatchObject({ mode: 'exact', token_agreement: 1 });
    expect(payload.files!.map((f) => f.path).sort()).toEqual(['README.md', 'model-F16.gguf']);
    const path = join(dir, 'model-F16.gguf');
    // llama.cpp's tokenizer (from the file's metadata) gives the trained model's prompt ids for the rendered chats.
    const vocab = await llama.loadModel({ modelPath: path, gpuLayers: 0, vocabOnly: true });
    try {
      renderedChats.forEach((text, i) => expect(vocab.tokenize(text, true).map(Number)).toEqual(referenceIds[i]));
    } finally {
      await vocab.dispose();
    }
    const got = await llamaCppGreedy(path, referenceIds);
    expect(got.map((g) => g.tokens)).toEqual(reference.map((g) => g.tokenIds));
    expect(got.every((g) => g.stopped)).toBe(true);
  });

  it.each([
    ['q8_0', 'Q8_0'],
    ['q4_0', 'Q4_0'],
  ] as const)('gguf %s: teacher-forced parity within the stated tolerances; llama.cpp runs it and stops', async (quantization, type) => {
    await request(`exp-gguf-${quantization}`, { training_run_id: TRAIN_RUN, format: 'gguf', quantization });
    const { payload, dir } = await expectCompleted(`exp-gguf-${quantization}`, 'gguf', quantization);
    const p = payload.parity!;
    const tol = QUANTIZED_TOLERANCE[quantization];
    expect(p).toMatchObject({ mode: 'teacher_forced', min_token_agreement: tol.minTop1, max_mean_abs_diff: tol.maxMeanAbsDiff });
    expect(p.token_agreement).toBeGreaterThanOrEqual(tol.minTop1);
    expect(p.mean_abs_diff).toBeLessThanOrEqual(tol.maxMeanAbsDiff);
    expect(p.mean_abs_diff).toBeGreaterThan(0); // the quantized weights do differ
    const got = await llamaCppGreedy(join(dir, `model-${type}.gguf`), referenceIds);
    for (const g of got) {
      expect(g.stopped).toBe(true);
      expect([labelIds.zero, labelIds.one]).toContain(g.tokens[0]);
    }
  });

  it('an export whose weights were perturbed (test-only fault: labels 0 and 1 swapped) → export_parity_failed naming the first differing prompt', async () => {
    await request('exp-bad-weights', { training_run_id: TRAIN_RUN, format: 'hf' });
    const e = await outcome('exp-bad-weights');
    expect(e.reason_code).toBe('export_parity_failed');
    const p = e.payload as PayloadOf<'export_parity_failed'>;
    expect(p.parity).toMatchObject({ passed: false, mode: 'exact' });
    // Recompute here which prompt differs first, from the stored (perturbed) bundle and the trained model.
    const dir = mkdtempSync(join(tmpdir(), 'export-bad-'));
    await materializeBundle(store, p.bundle_ref!, dir);
    const m = await loadModel(dir);
    const bad = await m.generateBatch(referenceIds, { maxNewTokens: MAX_NEW });
    await m.close();
    const first = bad.findIndex((g, i) => g.tokenIds.join() !== reference[i]!.tokenIds.join());
    expect(first).toBeGreaterThanOrEqual(0);
    expect(p).toMatchObject({ prompt_index: first, row_id: fx.gold[first]!.row_id, prompt: String(fx.gold[first]!.record['text']).replace(/\s+/g, ' ').trim().slice(0, 300) });
    expect(p.expected).toContain(`[${reference[first]!.tokenIds.join(' ')}]`);
    expect(p.actual).toContain(`[${bad[first]!.tokenIds.join(' ')}]`);
    expect(e.summary).toMatch(new RegExp(`prompt ${first} \\(${fx.gold[first]!.row_id}\\)`));
  });

  it('an export that lost its stop token (test-only fault) never stops → export_run_failed by the smoke check', async () => {
    await request('exp-no-stop', { training_run_id: TRAIN_RUN, format: 'hf' });
    const e = await outcome('exp-no-stop');
    expect(e.reason_code).toBe('export_run_failed');
    const p = e.payload as PayloadOf<'export_run_failed'>;
    expect(p.failure.error_class).toBe('ExportSmokeError');
    expect(p.smoke).toMatchObject({ passed: false, rows: CHECK_ROWS, stopped: 0 });
    expect(p.smoke!.detail).toMatch(new RegExp(`^generation never stops: all ${CHECK_ROWS} prompts reached the ${MAX_NEW}-token limit`));
  });

  it('a full fine-tune (hf-model bundle) exports without its base model; a peft export of it is refused', async () => {
    // The hf export's files, stored as what a full fine-tune leaves behind.
    const hf = (await outcome('exp-hf')).payload as Completed;
    const dir = mkdtempSync(join(tmpdir(), 'export-full-'));
    await materializeBundle(store, hf.bundle_ref, dir);
    await rm(join(dir, EXPORT_MANIFEST_FILE));
    await rm(join(dir, 'README.md'));
    const full = await putDirectory(store, dir, 'hf-model', { run_id: 'train-full' });
    await request('exp-full-gguf', { format: 'gguf', quantization: 'f32', model_ref: full, base_model: 'file:/nonexistent/base-model', manifest_ref: fx.manifestRef });
    await request('exp-full-peft', { format: 'peft', model_ref: full, base_model: 'file:/nonexistent/base-model' });
    const gguf = await outcome('exp-full-gguf');
    expect(gguf.reason_code).toBe('export_completed');
    expect(gguf.payload).toMatchObject({ format: 'gguf', quantization: 'f32', smoke: { passed: true, rows: CHECK_ROWS }, parity: { passed: true, mode: 'exact', token_agreement: 1 } });
    const manifest = (await readBundle(store, (gguf.payload as Completed).bundle_ref)).metadata as ExportManifest;
    expect(manifest.source).toMatchObject({ model_kind: 'hf-model', base_model: { locator: 'file:/nonexistent/base-model', resolved: expect.stringMatching(/^not needed/) } });
    const peft = await outcome('exp-full-peft');
    expect(peft.reason_code).toBe('export_run_failed');
    expect(peft.payload).toMatchObject({ format: 'peft', failure: { error_class: 'ExportRequestError', message: expect.stringMatching(/a peft export needs a LoRA adapter/) } });
  });

  it('a request without a training run or manifest is checked on built-in prompts', async () => {
    await request('exp-no-manifest', { format: 'peft', model_ref: fx.modelRef, base_model: `file:${fx.baseDir}` });
    const e = await outcome('exp-no-manifest');
    expect(e.reason_code).toBe('export_completed');
    expect(e.parent_run_id).toBe(TRAIN_RUN); // the request's parent
    expect(e.payload).toMatchObject({ smoke: { passed: true, rows: FALLBACK_PROMPTS.length }, parity: { passed: true, prompts: FALLBACK_PROMPTS.length } });
  });

  it('a model bundle or base model that is not there → export_artifact_missing naming it', async () => {
    const gone: ArtifactRef = { uri: `artifact://sha256/${'e'.repeat(64)}`, sha256: 'e'.repeat(64), bytes: 1, media_type: 'application/vnd.distillery.bundle+json' };
    await request('exp-no-model', { format: 'hf', model_ref: gone, base_model: `file:${fx.baseDir}` });
    await request('exp-no-base', { format: 'peft', model_ref: fx.modelRef, base_model: 'file:/nonexistent/base-model' });
    const noModel = await outcome('exp-no-model');
    expect(noModel.reason_code).toBe('export_artifact_missing');
    expect(noModel.payload).toEqual({ missing: `the model bundle ${gone.uri} is not in the artifact store`, format: 'hf' });
    const noBase = await outcome('exp-no-base');
    expect(noBase.reason_code).toBe('export_artifact_missing');
    expect((noBase.payload as { missing: string }).missing).toMatch(/^the base model file:\/nonexistent\/base-model is not available: /);
  });

  it('a quantization that cannot apply → export_quantization_failed, before any work', async () => {
    await request('exp-q-kquant', { training_run_id: TRAIN_RUN, format: 'gguf', quantization: 'q4_k_m' });
    await request('exp-q-hf', { training_run_id: TRAIN_RUN, format: 'hf', quantization: 'q8_0' });
    const k = await outcome('exp-q-kquant');
    expect(k.reason_code).toBe('export_quantization_failed');
    // Q4_K_M needs rows that are whole 256-element super-blocks; this model's are 64 / 128 long.
    expect(k.payload).toMatchObject({ quantization: 'q4_k_m', format: 'gguf', failure: { error_class: 'ExportQuantizationError', message: expect.stringMatching(/no tensor of this model can be stored as Q4_K: its row lengths \(hidden 64, intermediate 128\) are not multiples of 256/) } });
    const hf = await outcome('exp-q-hf');
    expect(hf.reason_code).toBe('export_quantization_failed');
    expect(hf.payload).toMatchObject({ quantization: 'q8_0', format: 'hf', failure: { message: expect.stringMatching(/applies to gguf exports only/) } });
  });
});

/** Swaps two rows of the (tied) embedding: the model now answers label b where it meant a, and vice versa. */
async function swapEmbeddingRows(path: string, a: number, b: number): Promise<void> {
  const file = await SafetensorsFile.open(path);
  const tensors = await file.readAll();
  await file.close();
  const embed = tensors.get('model.embed_tokens.weight')!;
  const width = embed.shape[1]!;
  const rowA = embed.data.slice(a * width, (a + 1) * width);
  embed.data.copyWithin(a * width, b * width, (b + 1) * width);
  embed.data.set(rowA, b * width);
  await writeSafetensors(path, tensors);
}

/** Makes <pad> the only end-of-sequence token in every place a runtime reads it: the model no longer stops. */
async function loseStopToken(dir: string): Promise<void> {
  const edit = async (name: string, f: (j: Record<string, unknown>) => Record<string, unknown>) => writeFile(join(dir, name), JSON.stringify(f(JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>)));
  await edit('config.json', (j) => ({ ...j, eos_token_id: 3 }));
  await edit('generation_config.json', (j) => ({ ...j, eos_token_id: 3 }));
  await edit('tokenizer_config.json', (j) => ({ ...j, eos_token: '<pad>' }));
}
