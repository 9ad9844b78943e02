// Runs tools/bench/train_reference.py (plain PyTorch 1.13 under Debian's /usr/bin/python3) on a spec written here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configToJson, encodeSafetensors, type DecoderConfig, type Tensor } from '@distillery/models';
import type { PaddedBatch } from '@distillery/tasks';
import type { EngineLoraConfig, EngineOptimConfig } from '../../src/index.js';

export const PYTHON = process.env['DISTILLERY_TORCH_PYTHON'] ?? '/usr/bin/python3';
export const REFERENCE_SCRIPT = resolve(import.meta.dirname, '../../../../tools/bench/train_reference.py');

/** Throws (never skips) when PyTorch is missing: CI installs Debian's python3-torch for this test. */
export function requireTorch(): string {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import torch (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}). ` +
        'The PyTorch parity test needs it: install python3-torch (sudo apt-get install -y python3-torch).',
    );
  }
  return r.stdout.trim();
}

export interface ReferenceSpec {
  readonly config: DecoderConfig;
  readonly weights: ReadonlyMap<string, Tensor>;
  readonly method: 'full' | 'lora';
  readonly lora?: EngineLoraConfig;
  readonly adapters?: ReadonlyMap<string, Tensor>;
  readonly optim: EngineOptimConfig;
  readonly lrs: readonly number[];
  readonly batches: readonly PaddedBatch[];
  readonly threads?: number;
}

export interface ReferenceResult {
  readonly losses: number[];
  readonly grad_norms: number[];
  readonly ms_per_step: number[];
  readonly peak_rss_mb: number;
  readonly torch: string;
}

export function runTorchReference(spec: ReferenceSpec): ReferenceResult {
  const dir = mkdtempSync(join(tmpdir(), 'engine-ort-parity-'));
  try {
    writeFileSync(join(dir, 'weights.safetensors'), encodeSafetensors(spec.weights));
    if (spec.adapters !== undefined) writeFileSync(join(dir, 'adapters.safetensors'), encodeSafetensors(spec.adapters));
    const json = {
      config: configToJson(spec.config),
      weights: join(dir, 'weights.safetensors'),
      method: spec.method,
      ...(spec.lora === undefined ? {} : { lora: spec.lora, adapters: join(dir, 'adapters.safetensors') }),
      optim: spec.optim,
      lrs: spec.lrs,
      batches: spec.batches.map((b) => ({ batch: b.batch, seq: b.seq, input_ids: [...b.input_ids], labels: [...b.labels], attention_mask: [...b.attention_mask] })),
      threads: spec.threads ?? 2,
    };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(json));
    const r = spawnSync(PYTHON, [REFERENCE_SCRIPT, join(dir, 'spec.json')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`train_reference.py failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ReferenceResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
