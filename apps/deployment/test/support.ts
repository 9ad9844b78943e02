/**
 * Fixtures of the deployment tests: a tiny Llama (BPE on the bundled Alice text, seeded weights), the bundled UCI
 * sentiment rows as a prepared classification dataset, and a LoRA adapter trained on them through the classification
 * handler and the ChatML template, as the trainer does — stored both as a `peft-adapter` bundle and as the merged
 * `hf-model` bundle, the two kinds of training output the runner serves.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putDirectory, type FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, PreparedManifest, TransformedRow } from '@distillery/contracts';
import { openRun } from '@distillery/engine-ort';
import { decoderConfig, expectedTensorShapes, readModelFolder, trainBpe, writeModelFolder } from '@distillery/models';
import { batchSchedule, handlerFor, padBatch, tokenizeRendered, type ChatTokenizer, type TokenizedExample } from '@distillery/tasks';
import { repoRoot } from '@distillery/testing';

export interface Fixture {
  readonly baseDir: string;
  readonly manifest: PreparedManifest;
  readonly manifestRef: ArtifactRef;
  readonly adapterRef: ArtifactRef;
  readonly mergedRef: ArtifactRef;
  readonly gold: readonly TransformedRow[];
}

export async function buildFixture(store: FileArtifactStore, workDir: string, steps = 60): Promise<Fixture> {
  const corpus = readFileSync(join(repoRoot, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt'), 'utf8').slice(2_000, 80_000);
  const bpe = trainBpe(corpus, { vocabSize: 512 });
  const config = decoderConfig({ model_type: 'llama', vocab_size: 512, hidden_size: 48, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512, tie_word_embeddings: true });
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const weights = new Map([...expectedTensorShapes(config)].map(([name, shape]) => [name, { shape: [...shape], data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, name.includes('norm') ? () => 1 : next) }]));
  const baseDir = mkdtempSync(join(tmpdir(), 'deploy-base-'));
  await writeModelFolder(baseDir, { config, tensors: weights, tokenizer: { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig } });

  const lines = readFileSync(join(repoRoot, 'examples', 'datasets', 'uci-sentiment', 'yelp_labelled.txt'), 'utf8').trim().split('\n');
  const rows: TransformedRow[] = lines.map((l, i) => {
    const [text, label] = l.split('\t');
    return { row_id: i.toString(16).padStart(32, '0'), source: { locator: 'tsv:yelp', resolved: '/yelp', position: i }, task_profile: 'classification', record: { text: text!.trim(), label: label!.trim() } };
  });
  const train = rows.slice(0, 400);
  const gold = rows.slice(400, 460);
  const manifest: PreparedManifest = {
    schema_version: 1,
    project_id: 'shop',
    dataset_id: 'ds-shop',
    created_at: '2026-11-22T00:00:00.000Z',
    task_profile: 'classification',
    output_schema: { fields: { text: 'string', label: 'string' }, scoring_mode: 'label_likelihood' },
    label_set: ['0', '1'],
    split: { strategy: { kind: 'random', seed: 1 }, ratios: { train: 0.8, eval: 0.08, gold: 0.12 } },
    counts: { train: train.length, eval: 40, gold: gold.length, dropped: 0 },
    artifacts: { train: await store.putJsonl(train), eval: await store.putJsonl(rows.slice(460)), gold: await store.putJsonl(gold) },
    source_lineage: [{ locator: 'tsv:yelp', mapper_id: 'label_to_classification', rows: 500 }],
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
  const run = await openRun({ config, weights: await folder.checkpoint.readAll(), method: 'lora', lora: { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, optim: { weight_decay: 0, max_grad_norm: 1, betas: [0.9, 0.999], eps: 1e-8 }, seed: 3, buckets: [32, 64, 96] });
  const schedule = batchSchedule(examples.length, { batch: 16, epochs: 3, seed: 1, max_steps: steps });
  for (let step = 0; step < steps; step++) {
    const batch = schedule.indicesAt(step).map((i) => examples[i]!);
    const seq = [32, 64, 96].find((b) => b >= Math.max(...batch.map((e) => e.input_ids.length))) ?? 96;
    await run.step(padBatch(batch, seq, tok.pad?.id ?? tok.eos!.id), { lr: 2e-2 });
  }
  const adapter = await run.exportModel(join(workDir, 'adapter'), { baseModel: `file:${baseDir}` });
  const merged = await run.exportModel(join(workDir, 'full'), { tokenizer: folder.tokenizerFiles, merged: true });
  await run.close();
  await folder.close();
  const adapterRef = await putDirectory(store, adapter.adapterDir!, 'peft-adapter', { run_id: 'train-1', base_model: `file:${baseDir}` });
  const mergedRef = await putDirectory(store, merged.modelDir!, 'hf-model', { run_id: 'train-2' });
  return { baseDir, manifest, manifestRef, adapterRef, mergedRef, gold };
}
