/**
 * Fixtures of the deployment tests: a tiny Llama, the bundled UCI sentiment rows as a prepared classification dataset,
 * and a LoRA adapter trained on them as the trainer does (libs/testing-models) — stored both as a `peft-adapter`
 * bundle and as the merged `hf-model` bundle, the two kinds of training output the runner serves.
 */
import { putDirectory, type FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, PreparedManifest, TransformedRow } from '@distillery/contracts';
import { sentimentManifest, sentimentRows, tinyBaseModel, trainTinyLora } from '@distillery/testing-models';

export interface Fixture {
  readonly baseDir: string;
  readonly manifest: PreparedManifest;
  readonly manifestRef: ArtifactRef;
  readonly adapterRef: ArtifactRef;
  readonly mergedRef: ArtifactRef;
  readonly gold: readonly TransformedRow[];
}

export async function buildFixture(store: FileArtifactStore, workDir: string, steps = 60): Promise<Fixture> {
  const baseDir = await tinyBaseModel({ prefix: 'deploy-base-' });
  const rows = sentimentRows();
  const train = rows.slice(0, 400);
  const gold = rows.slice(400, 460);
  const { manifest, manifestRef } = await sentimentManifest(store, { train, gold, eval: rows.slice(460) }, { projectId: 'shop', ratios: { train: 0.8, eval: 0.08, gold: 0.12 }, evalCount: 40, sourceRows: 500 });
  const lora = await trainTinyLora(baseDir, train, { steps, outDir: workDir, merged: true });
  const adapterRef = await putDirectory(store, lora.adapterDir, 'peft-adapter', { run_id: 'train-1', base_model: `file:${baseDir}` });
  const mergedRef = await putDirectory(store, lora.mergedDir!, 'hf-model', { run_id: 'train-2' });
  return { baseDir, manifest, manifestRef, adapterRef, mergedRef, gold };
}
