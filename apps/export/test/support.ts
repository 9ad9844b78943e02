/**
 * Fixtures for the export tests: a tiny Llama (hidden 64, rows of 64 / 128 so the GGUF quant types apply), a LoRA
 * adapter trained briefly on the bundled sentiment rows as the trainer does (libs/testing-models), stored as a
 * `peft-adapter` bundle, and the prepared manifest and train plan of that training run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putDirectory, type FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, PreparedManifest, TransformedRow } from '@distillery/contracts';
import type { TrainPlan } from '@distillery/recipes';
import { sentimentManifest, sentimentRows, tinyBaseModel, tinyTrainPlan, trainTinyLora } from '@distillery/testing-models';

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
export const tinyExportBaseModel = (): Promise<string> => tinyBaseModel({ hiddenSize: 64, maxPositions: 256, specialTokenIds: true, prefix: 'export-base-' });

/** Trains a LoRA adapter on the train rows and stores everything a training run leaves behind. */
export async function trainedRun(store: FileArtifactStore, opts: { runId: string; projectId: string; steps: number }): Promise<TrainedFixture> {
  const baseDir = await tinyExportBaseModel();
  const rows = sentimentRows();
  const train = rows.slice(0, 400);
  const gold = rows.slice(400, 440);
  const { manifest, manifestRef } = await sentimentManifest(store, { train, gold, eval: rows.slice(440, 480) }, { projectId: opts.projectId, ratios: { train: 0.84, eval: 0.08, gold: 0.08 }, sourceRows: 480 });
  const lora = await trainTinyLora(baseDir, train, { steps: opts.steps, outDir: mkdtempSync(join(tmpdir(), 'export-adapter-')), tokenizerInAdapter: true });
  const modelRef = await putDirectory(store, lora.adapterDir, 'peft-adapter', { run_id: opts.runId });
  const { plan, planRef } = await tinyTrainPlan(store, { runId: opts.runId, projectId: opts.projectId, baseDir, manifest, manifestRef, examples: lora.examples, parameters: 150_000, hiddenSize: 64 });
  return { baseDir, adapterDir: lora.adapterDir, modelRef, manifestRef, manifest, plan, planRef, gold, steps: opts.steps };
}
