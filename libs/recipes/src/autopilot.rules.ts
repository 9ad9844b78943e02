import type { TaskProfile } from '@distillery/contracts';
import { pow2Floor } from './format.js';
import { LORA_TARGET_MODULES, type LoraConfig, type Method } from './recipe.js';

/**
 * Autopilot's rules (README "Autopilot rules"): deliberately simple and conservative. Every threshold is in
 * AUTOPILOT_RULES so tests and docs can name it.
 */
export const AUTOPILOT_RULES = {
  /** Full fine-tunes need enough data to move every weight without overfitting, and a GPU (or a tiny model). */
  full_min_train_rows: 20_000,
  cpu_full_max_parameters: 50e6,
  /** Share of host memory a CPU trainer may plan for (the rest: OS, the embedded services, the page cache). */
  cpu_memory_fraction: 0.5,
  gpu_memory_fraction: 0.9,
  /** CPU micro-batches above this add memory, not throughput. */
  cpu_max_per_device: 8,
  gpu_max_per_device: 64,
  base_epochs: { full: 3, lora: 3, dpo: 2 } as Readonly<Record<Method, number>>,
  max_epochs: { full: 10, lora: 10, dpo: 3 } as Readonly<Record<Method, number>>,
  /** When not even one sequence fits, max_seq_len is halved down to this before giving up. */
  min_fit_seq_len: 128,
  /** Fewer optimizer steps than this make warmup and the schedule meaningless. */
  min_total_steps: 50,
  default_max_total_steps: 5_000,
  /** Checkpoints at least this often (seconds of estimated training), so a crash loses little. */
  max_seconds_between_checkpoints: 1_800,
  target_evals: 10,
  /** Evaluation may take at most this share of the training time. */
  max_eval_share: 0.1,
  /** Start-up (load weights, build the step graph, tokenizer) added to the duration estimate. */
  startup_seconds: 60,
  /** Runs estimated longer than this get a warning. */
  long_run_seconds: 8 * 3_600,
} as const;

/** max_seq_len when no token statistics are given, by task profile (before the model's position cap). */
export const DEFAULT_SEQ_LEN: Readonly<Record<TaskProfile, number>> = {
  classification: 256,
  safety: 256,
  qa: 512,
  structured_extraction: 512,
  seq2seq: 512,
  rag_qa: 2048,
  dpo: 1024,
  chat_sft: 1024,
  language_modeling: 1024,
  vision_language: 1024,
  audio_transcript: 1024,
};

/** Learning rate by method and model size: small models tolerate larger steps, large ones want smaller. */
export function autopilotLearningRate(method: Method, parameters: number): number {
  const table: Readonly<Record<Method, readonly [number, number, number, number]>> = {
    // [< 10M (toy models, e.g. make-tiny's: narrow layers need far larger steps), < 100M, < 1B, ≥ 1B]
    lora: [1e-2, 4e-4, 2e-4, 1e-4],
    full: [1e-3, 5e-5, 2e-5, 1e-5],
    dpo: [1e-4, 5e-6, 1e-6, 5e-7],
  };
  const [toy, small, mid, large] = table[method];
  return parameters < 10e6 ? toy : parameters < 100e6 ? small : parameters < 1e9 ? mid : large;
}

/** LoRA rank by model size (alpha = 2r); all seven linear layers adapted; more dropout on small datasets. */
export function autopilotLora(parameters: number, trainRows: number): LoraConfig {
  const r = parameters < 100e6 ? 8 : parameters < 1e9 ? 16 : 32;
  return { r, alpha: 2 * r, dropout: trainRows < 1_000 ? 0.1 : 0.05, target_modules: LORA_TARGET_MODULES };
}

/** Sequences (pairs for DPO) per optimizer step: small for tiny datasets (≥ ~10 steps per epoch), 16, then 32 from 10k rows. */
export function targetEffectiveBatch(trainRows: number): number {
  if (trainRows < 200) return Math.min(8, pow2Floor(Math.max(1, trainRows / 10)));
  return trainRows < 10_000 ? 16 : 32;
}
