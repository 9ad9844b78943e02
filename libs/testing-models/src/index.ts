/**
 * Shared fixtures of the model-path tests (evaluation, export, deployment): a tiny seeded Llama, the bundled
 * sentiment rows as a prepared classification dataset, and a LoRA adapter trained on them the way the trainer does
 * (classification handler, chat template, padded length buckets). Deterministic: same seeds, same numbers.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, PreparedManifest, TransformedRow } from '@distillery/contracts';
import { openRun } from '@distillery/engine-ort';
import { decoderConfig, expectedTensorShapes, readModelFolder, trainBpe, writeModelFolder } from '@distillery/models';
import { buildTrainPlan, parseRecipe, type TrainPlan } from '@distillery/recipes';
import { batchSchedule, handlerFor, padBatch, tokenizeRendered, type ChatTokenizer, type TokenizedExample } from '@distillery/tasks';
import { repoRoot } from '@distillery/testing';

export interface TinyModelOptions {
  /** 48 (default) or e.g. 64 where GGUF block quantisation needs rows that are multiples of 32 / 64. */
  readonly hiddenSize?: number;
  readonly maxPositions?: number;
  /** Name bos / eos / pad ids (0 / 2 / 3) in config.json, as a model folder from the hub does. Default: not named. */
  readonly specialTokenIds?: boolean;
  /** Prefix of the temporary folder's name. */
  readonly prefix?: string;
}

/** A tiny Llama (vocab 512, 2 layers, 4 heads / 2 kv heads, tied head, seeded weights) written as a model folder. */
export async function tinyBaseModel(o: TinyModelOptions = {}): Promise<string> {
  const corpus = readFileSync(join(repoRoot, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt'), 'utf8').slice(2_000, 80_000);
  const bpe = trainBpe(corpus, { vocabSize: 512 });
  const config = decoderConfig({
    model_type: 'llama',
    vocab_size: 512,
    hidden_size: o.hiddenSize ?? 48,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: o.maxPositions ?? 512,
    tie_word_embeddings: true,
    ...(o.specialTokenIds ? { bos_token_id: 0, eos_token_id: 2, pad_token_id: 3 } : {}),
  });
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const weights = new Map([...expectedTensorShapes(config)].map(([name, shape]) => [name, { shape: [...shape], data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, name.includes('norm') ? () => 1 : next) }]));
  const dir = mkdtempSync(join(tmpdir(), o.prefix ?? 'tiny-base-'));
  await writeModelFolder(dir, { config, tensors: weights, tokenizer: { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig } });
  return dir;
}

/** Every row of the bundled UCI sentiment file (yelp, 1,000 rows) as a classification row, ids in file order. */
export function sentimentRows(): TransformedRow[] {
  const lines = readFileSync(join(repoRoot, 'examples', 'datasets', 'uci-sentiment', 'yelp_labelled.txt'), 'utf8').trim().split('\n');
  return lines.map((l, i) => {
    const [text, label] = l.split('\t');
    return { row_id: i.toString(16).padStart(32, '0'), source: { locator: 'tsv:yelp', resolved: '/yelp', position: i }, task_profile: 'classification', record: { text: text!.trim(), label: label!.trim() } };
  });
}

export interface SentimentSplits {
  readonly train: readonly TransformedRow[];
  readonly eval: readonly TransformedRow[];
  readonly gold: readonly TransformedRow[];
}

/** The prepared manifest of sentiment splits (labels '0' / '1'), its splits stored in `store`. */
export async function sentimentManifest(
  store: FileArtifactStore,
  splits: SentimentSplits,
  o: { projectId: string; ratios: { train: number; eval: number; gold: number }; evalCount?: number; sourceRows: number },
): Promise<{ manifest: PreparedManifest; manifestRef: ArtifactRef }> {
  const manifest: PreparedManifest = {
    schema_version: 1,
    project_id: o.projectId,
    dataset_id: `ds-${o.projectId}`,
    created_at: '2026-11-22T00:00:00.000Z',
    task_profile: 'classification',
    output_schema: { fields: { text: 'string', label: 'string' }, scoring_mode: 'label_likelihood' },
    label_set: ['0', '1'],
    split: { strategy: { kind: 'random', seed: 1 }, ratios: o.ratios },
    counts: { train: splits.train.length, eval: o.evalCount ?? splits.eval.length, gold: splits.gold.length, dropped: 0 },
    artifacts: { train: await store.putJsonl([...splits.train]), eval: await store.putJsonl([...splits.eval]), gold: await store.putJsonl([...splits.gold]) },
    source_lineage: [{ locator: 'tsv:yelp', mapper_id: 'label_to_classification', rows: o.sourceRows }],
  };
  return { manifest, manifestRef: await store.put([JSON.stringify(manifest)], 'application/json') };
}

export interface TinyLora {
  /** The exported adapter folder (PEFT layout, tokenizer included when asked). */
  readonly adapterDir: string;
  /** The merged full model folder, when asked. */
  readonly mergedDir?: string;
  /** The tokenized training examples (for a train plan's shards). */
  readonly examples: readonly TokenizedExample[];
}

/**
 * LoRA (r 8, α 16, q/k/v/o) on classification rows through the handler and the model's chat template, batches of
 * 16 padded to the 32 / 64 / 96 buckets, lr 2e-2, seed 3 — what the trainer does, in a few seconds.
 */
export async function trainTinyLora(baseDir: string, train: readonly TransformedRow[], o: { steps: number; outDir: string; tokenizerInAdapter?: boolean; merged?: boolean }): Promise<TinyLora> {
  const folder = await readModelFolder(baseDir);
  try {
    const tok = folder.tokenizer;
    const chat: ChatTokenizer = {
      encode: (t) => tok.encode(t, { addSpecialTokens: false }),
      decode: (ids) => tok.decode([...ids]),
      renderChat: (m, opts) => tok.renderChat(m.map((x) => ({ role: x.role, content: x.content })), opts),
      eosTokenId: tok.eos!.id,
      eosToken: tok.eos!.content,
    };
    const examples: TokenizedExample[] = train.map((r) => tokenizeRendered(r.row_id, handlerFor('classification').render(r.row_id, r.record, { label_set: ['0', '1'] }), chat, { max_seq_len: 96 }) as TokenizedExample);
    const buckets = [32, 64, 96];
    const run = await openRun({ config: folder.config, weights: await folder.checkpoint.readAll(), method: 'lora', lora: { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, optim: { weight_decay: 0, max_grad_norm: 1, betas: [0.9, 0.999], eps: 1e-8 }, seed: 3, buckets });
    try {
      const schedule = batchSchedule(examples.length, { batch: 16, epochs: 3, seed: 1, max_steps: o.steps });
      for (let step = 0; step < o.steps; step++) {
        const batch = schedule.indicesAt(step).map((i) => examples[i]!);
        const seq = buckets.find((b) => b >= Math.max(...batch.map((e) => e.input_ids.length))) ?? 96;
        await run.step(padBatch(batch, seq, tok.pad?.id ?? tok.eos!.id), { lr: 2e-2 });
      }
      const adapter = await run.exportModel(join(o.outDir, 'adapter'), { ...(o.tokenizerInAdapter ? { tokenizer: folder.tokenizerFiles } : {}), baseModel: `file:${baseDir}` });
      const merged = o.merged ? await run.exportModel(join(o.outDir, 'full'), { tokenizer: folder.tokenizerFiles, merged: true }) : undefined;
      return { adapterDir: adapter.adapterDir!, ...(merged ? { mergedDir: merged.modelDir! } : {}), examples };
    } finally {
      await run.close();
    }
  } finally {
    await folder.close();
  }
}

/** The train plan of a tiny LoRA run on a sentiment manifest (what `training_dispatched` points at). */
export async function tinyTrainPlan(
  store: FileArtifactStore,
  o: { runId: string; projectId: string; baseDir: string; manifest: PreparedManifest; manifestRef: ArtifactRef; examples: readonly TokenizedExample[]; parameters: number; hiddenSize: number },
): Promise<{ plan: TrainPlan; planRef: ArtifactRef }> {
  const plan = buildTrainPlan({
    run_id: o.runId,
    project_id: o.projectId,
    recipe: parseRecipe({ recipe_version: 1, base_model: `file:${o.baseDir}`, method: 'lora', batch: { per_device: 16 }, max_seq_len: 96 }),
    manifest: o.manifest,
    manifest_ref: o.manifestRef,
    resolved_revision: 'test',
    model: { parameters: o.parameters, hidden_size: o.hiddenSize, layers: 2, heads: 4, vocab: 512, intermediate_size: 128 },
    hardware: { cpu_cores: 2, memory_bytes: 8 * 2 ** 30, accelerators: [] },
    shards: { train: [{ ...(await store.putJsonl([...o.examples])), rows: o.examples.length }], eval: [] },
  });
  return { plan, planRef: await store.put([JSON.stringify(plan)], 'application/vnd.distillery.train-plan+json') };
}
