import type { ArtifactRef, PreparedManifest, TaskProfile } from '@distillery/contracts';
import { GiB, type BaseModelSummary, type HardwareProfile } from '../src/index.js';

export const ref = (name: string, hexChar = 'a'): ArtifactRef => ({
  uri: `file:///artifacts/${name}`,
  sha256: hexChar.repeat(64),
  bytes: 1234,
  media_type: 'application/jsonl',
});

/** A prepared manifest with the given profile and split counts. */
export function manifest(task_profile: TaskProfile, counts: { train: number; eval: number; gold?: number }): PreparedManifest {
  return {
    schema_version: 1,
    project_id: 'proj-1',
    dataset_id: 'ds-1',
    created_at: '2026-01-15T10:00:00.000Z',
    task_profile,
    output_schema: { fields: {}, scoring_mode: 'exact' },
    split: { strategy: { kind: 'random', seed: 7 }, ratios: { train: 0.8, eval: 0.1, gold: 0.1 } },
    counts: { train: counts.train, eval: counts.eval, gold: counts.gold ?? counts.eval, dropped: 0 },
    artifacts: { train: ref('train.jsonl', 'a'), eval: ref('eval.jsonl', 'b'), gold: ref('gold.jsonl', 'c') },
    source_lineage: [],
  };
}

/** The project's `node` machine (notes/cpu-training.md): 2 cores, 24 GiB, no GPU. */
export const CPU_2_CORE: HardwareProfile = { cpu_cores: 2, memory_bytes: 24 * GiB, accelerators: [] };
export const ONE_GPU: HardwareProfile = {
  cpu_cores: 16,
  memory_bytes: 128 * GiB,
  accelerators: [{ kind: 'cuda', memory_bytes: 80 * GiB, name: 'NVIDIA H100 80GB HBM3', peak_tflops: 989 }],
};

/** SmolLM2-135M's config.json. */
export const SMOLLM2_135M: BaseModelSummary = {
  locator: 'hf:HuggingFaceTB/SmolLM2-135M-Instruct',
  parameters: 134_515_008,
  hidden_size: 576,
  layers: 30,
  vocab: 49_152,
  max_position_embeddings: 8192,
  heads: 9,
  intermediate_size: 1536,
};

/** The feasibility study's 3.7 M preset (README: assumed shape). */
export const TINY_3M: BaseModelSummary = {
  locator: 'file:models/tiny-3m',
  parameters: 3_690_000,
  hidden_size: 256,
  layers: 4,
  vocab: 2048,
  max_position_embeddings: 512,
  heads: 8,
};
