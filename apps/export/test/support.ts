/**
 * Fixtures for the export tests: a tiny Llama (BPE on the bundled Alice text, seeded weights, rows of 64 / 128 so the
 * GGUF quant types apply), a LoRA adapter trained briefly on the bundled sentiment rows through the classification
 * handler and the chat template (as the trainer does), stored as a `peft-adapter` bundle, and the prepared manifest
 * and train plan of that training run.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putDirectory, type FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, PreparedManifest, TransformedRow } from '@distillery/contracts';
import { openRun } from '@distillery/engine-ort';
import { decoderConfig, expectedTensorShapes, readModelFolder, trainBpe, writeModelFolder } from '@distillery/models';
import { buildTrainPlan, parseRecipe, type TrainPlan } from '@distillery/recipes';
import { batchSchedule, handlerFor, padBatch, tokenizeRendered, type ChatTokenizer, type TokenizedExample } from '@distillery/tasks';
import { repoRoot } from '@distillery/testing';

export interface TrainedFixture {
  readonly baseDir: string;
  readonly adapterDir: string;
  readonly modelRef: ArtifactRef;
  readonly manifestRef: ArtifactRef;
  readonly manifest: PreparedManifest;
  readonly plan: TrainPlan;
  readonly planRef: ArtifactRef;
  readonly gold: readonly TransformedRow[];
  readonly steps: number;
}

/** The tiny base model: vocab 512, hidden 64, 2 layers, 4 heads / 2 kv heads, tied head; eos = <|im_end|> (id 2). */
export async function tinyBaseModel(): Promise<string> {
  const corpus = readFileSync(join(repoRoot, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt'), 'utf8').slice(2_000, 80_000);
  const bpe = trainBpe(corpus, { vocabSize: 512 });
  const config = decoderConfig({
    model_type: 'llama',
    vocab_size: 512,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: 2,
    pad_token_id: 3,
  });
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const weights = new Map([...expectedTensorShapes(config)].map(([name, shape]) => [name, { shape: [...shape], data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, name.includes('norm') ? () => 1 : next) }]));
  const dir = mkdtempSync(join(tmpdir(), 'export-base-'));
  await writeModelFolder(dir, { config, tensors: weights, tokenizer: { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig } });
  return dir;
}

/** The sentiment rows (yelp) as classification rows: 400 train, 40 gold, 40 eval. */
export function sentimentRows(): { train: TransformedRow[]; gold: TransformedRow[]; eval: TransformedRow[] } {
  const lines = readFileSync(join(repoRoot, 'examples', 'datasets', 'uci-sentiment', 'yelp_labelled.txt'), 'utf8').trim().split('\n');
  const rows: TransformedRow[] = lines.map((l, i) => {
    const [text, label] = l.split('\t');
    return { row_id: i.toString(16).padStart(32, '0'), source: { locator: 'tsv:yelp', resolved: '/yelp', position: i }, task_profile: 'classification', record: { text: text!.trim(), label: label!.trim() } };
  });
  return { train: rows.slice(0, 400), gold: rows.slice(400, 440), eval: rows.slice(440, 480) };
}

/** Trains a LoRA adapter on the train rows and stores everything a training run leaves behind. */
export async function trainedRun(store: FileArtifactStore, opts: { runId: string; projectId: string; steps: number }): Promise<TrainedFixture> {
  const baseDir = await tinyBaseModel();
  const { train, gold, eval: evalRows } = sentimentRows();
  const manifest: PreparedManifest = {
    schema_version: 1,
    project_id: opts.projectId,
    dataset_id: `ds-${opts.projectId}`,
    created_at: '2026-11-22T00:00:00.000Z',
    task_profile: 'classification',
    output_schema: { fields: { text: 'string', label: 'string' }, scoring_mode: 'label_likelihood' },
    label_set: ['0', '1'],
    split: { strategy: { kind: 'random', seed: 1 }, ratios: { train: 0.84, eval: 0.08, gold: 0.08 } },
    counts: { train: train.length, eval: evalRows.length, gold: gold.length, dropped: 0 },
    artifacts: { train: await store.putJsonl(train), eval: await store.putJsonl(evalRows), gold: await store.putJsonl(gold) },
    source_lineage: [{ locator: 'tsv:yelp', mapper_id: 'label_to_classification', rows: 480 }],
  };
  const manifestRef = await store.put([JSON.stringify(manifest)], 'application/json');

  const folder = await readModelFolder(baseDir);
  const tok = folder.tokenizer;
  const chat: ChatTokenizer = {
    encode: (t) => tok.encode(t, { addSpecialTokens: false }),
    decode: (ids) => tok.decode([...ids]),
    renderChat: (m, o) => tok.renderChat(m.map((x) => ({ role: x.role, content: x.content })), o),
    eosTokenId: tok.eos!.id,
    eosToken: tok.eos!.content,
  };
  const examples: TokenizedExample[] = train.map((r) => tokenizeRendered(r.row_id, handlerFor('classification').render(r.row_id, r.record, { label_set: ['0', '1'] }), chat, { max_seq_len: 96 }) as TokenizedExample);
  const buckets = [32, 64, 96];
  const run = await openRun({ config: folder.config, weights: await folder.checkpoint.readAll(), method: 'lora', lora: { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, optim: { weight_decay: 0, max_grad_norm: 1, betas: [0.9, 0.999], eps: 1e-8 }, seed: 3, buckets });
  const schedule = batchSchedule(examples.length, { batch: 16, epochs: 3, seed: 1, max_steps: opts.steps });
  for (let step = 0; step < opts.steps; step++) {
    const batch = schedule.indicesAt(step).map((i) => examples[i]!);
    const seq = buckets.find((b) => b >= Math.max(...batch.map((e) => e.input_ids.length))) ?? 96;
    await run.step(padBatch(batch, seq, tok.pad?.id ?? tok.eos!.id), { lr: 2e-2 });
  }
  const adapterDir = mkdtempSync(join(tmpdir(), 'export-adapter-'));
  const exported = await run.exportModel(adapterDir, { tokenizer: folder.tokenizerFiles, baseModel: `file:${baseDir}` });
  await run.close();
  await folder.close();
  const modelRef = await putDirectory(store, exported.adapterDir!, 'peft-adapter', { run_id: opts.runId });

  const plan = buildTrainPlan({
    run_id: opts.runId,
    project_id: opts.projectId,
    recipe: parseRecipe({ recipe_version: 1, base_model: `file:${baseDir}`, method: 'lora', batch: { per_device: 16 }, max_seq_len: 96 }),
    manifest,
    manifest_ref: manifestRef,
    resolved_revision: 'test',
    model: { parameters: 150_000, hidden_size: 64, layers: 2, heads: 4, vocab: 512, intermediate_size: 128 },
    hardware: { cpu_cores: 2, memory_bytes: 8 * 2 ** 30, accelerators: [] },
    shards: { train: [{ ...(await store.putJsonl(examples)), rows: examples.length }], eval: [] },
  });
  const planRef = await store.put([JSON.stringify(plan)], 'application/vnd.distillery.train-plan+json');
  return { baseDir, adapterDir: exported.adapterDir!, modelRef, manifestRef, manifest, plan, planRef, gold, steps: opts.steps };
}
