/** Test fixtures of the training service: a tiny random Llama folder and the bundled sentiment rows as a prepared dataset. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, PreparedManifest, TransformedRow } from '@distillery/contracts';
import { decoderConfig, expectedTensorShapes, trainBpe, writeModelFolder } from '@distillery/models';
import { repoRoot } from '@distillery/testing';

/** A 2-layer Llama with a BPE tokenizer trained on the bundled Alice text; weights from a seeded PRNG. */
export async function tinyModelFolder(): Promise<string> {
  const corpus = readFileSync(join(repoRoot, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt'), 'utf8').slice(2_000, 60_000);
  const bpe = trainBpe(corpus, { vocabSize: 512 });
  const config = decoderConfig({ model_type: 'llama', vocab_size: 512, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256, tie_word_embeddings: true });
  let s = 1;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const tensors = new Map([...expectedTensorShapes(config)].map(([name, shape]) => [name, { shape: [...shape], data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next) }]));
  const dir = mkdtempSync(join(tmpdir(), 'tiny-model-'));
  await writeModelFolder(dir, { config, tensors, tokenizer: { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig } });
  return dir;
}

/** The bundled UCI sentences as a prepared classification dataset (80/10/10 by line). */
export async function sentimentManifest(store: FileArtifactStore, profile: PreparedManifest['task_profile'] = 'classification'): Promise<ArtifactRef> {
  const lines = readFileSync(join(repoRoot, 'examples', 'datasets', 'uci-sentiment', 'yelp_labelled.txt'), 'utf8').trim().split('\n');
  const rows: TransformedRow[] = lines.map((l, i) => {
    const [text, label] = l.split('\t');
    return { row_id: i.toString(16).padStart(32, '0'), source: { locator: 'tsv:yelp', resolved: '/yelp', position: i }, task_profile: profile, record: { text: text!.trim(), label: label!.trim() } };
  });
  const part = async (a: number, b: number) => store.putJsonl(rows.slice(a, b));
  const manifest: PreparedManifest = {
    schema_version: 1,
    project_id: 'p',
    dataset_id: 'ds-p',
    created_at: '2026-11-22T00:00:00.000Z',
    task_profile: profile,
    output_schema: { fields: { text: 'string', label: 'string' }, scoring_mode: 'label_likelihood' },
    label_set: ['0', '1'],
    split: { strategy: { kind: 'random', seed: 1 }, ratios: { train: 0.8, eval: 0.1, gold: 0.1 } },
    counts: { train: 400, eval: 50, gold: 50, dropped: 0 },
    artifacts: { train: await part(0, 400), eval: await part(400, 450), gold: await part(450, 500) },
    source_lineage: [{ locator: 'tsv:yelp', mapper_id: 'label_to_classification', rows: 500 }],
  };
  return store.put([JSON.stringify(manifest)], 'application/json');
}

