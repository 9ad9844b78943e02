import type { HardwareProfile } from './hardware.js';
import { MiB, GiB, primaryAccelerator } from './hardware.js';
import { DEFAULT_LORA, type Engine, type LoraTargetModule, type Method, type Precision } from './recipe.js';

/**
 * Peak-memory and step-time estimates for one training step of a Llama-family decoder. The shape of the formulas is
 * the usual one (weights + gradients + AdamW state + saved activations + logits + a runtime constant; FLOPs ≈ 2·P per
 * token forward, ×3 with the backward pass); the constants come from measurements and are kept per engine profile:
 *
 * - `ort-cpu`: the ORT engine on a CPU, fitted to the six peak-RSS and step-time figures of notes/cpu-training.md §7
 *   (0.47 M / 3.7 M / 27 M parameters, full and LoRA, 2 threads) — within ±10 % of each (README has the table);
 * - `torch-cpu`: PyTorch 1.13 on the same machine (notes §4: 0.47 M and 3.7 M, full and LoRA);
 * - `torch-cuda`: literature values (saved activations per Korthikanti et al. 2022 with fused attention, CUDA
 *   context + allocator slack, 35 % of peak FLOP/s). **Not calibrated** on a GPU yet.
 */

export type EstimateProfileId = 'ort-cpu' | 'torch-cpu' | 'torch-cuda';
export type Device = 'cpu' | 'cuda';

export interface ModelShape {
  readonly parameters: number;
  readonly hidden_size: number;
  readonly layers: number;
  readonly heads: number;
  readonly vocab: number;
  /** MLP width; default round(8/3 · hidden_size). */
  readonly intermediate_size?: number;
  /** Width of the k / v projections (grouped-query attention); default hidden_size. */
  readonly kv_dim?: number;
}

export interface TrainingShape extends ModelShape {
  readonly method: Method;
  readonly lora_r?: number;
  readonly lora_target_modules?: readonly LoraTargetModule[];
  /** Overrides the LoRA / full count derived from the shape. */
  readonly trainable_parameters?: number;
  readonly precision: Precision;
  /** Sequences per device per micro-batch (preference pairs for DPO). */
  readonly batch: number;
  readonly seq_len: number;
  /** Micro-batches per optimizer step; above 1 the running gradient sum (in and out of each pass) is resident too. */
  readonly grad_accum?: number;
  readonly optimizer?: 'adamw';
}

export interface MemoryEstimateInput extends TrainingShape {
  /** Default: `ort` on cpu, `torch` on cuda. */
  readonly engine?: Engine;
  /** Default `cpu`. */
  readonly device?: Device;
}

export interface MemoryBreakdown {
  /** Model weights as loaded (plus the frozen reference copy for DPO). */
  readonly weights: number;
  readonly gradients: number;
  /** AdamW m and v (fp32), master weights for half precision, and the engine's update buffers. */
  readonly optimizer_state: number;
  /** Tensors saved for the backward pass. */
  readonly activations: number;
  /** Logits, log-softmax, their gradient and (ORT) one-hot labels. */
  readonly logits: number;
  /** The process or device baseline: Node + onnxruntime, Python + torch, or the CUDA context. */
  readonly runtime_overhead: number;
}

export interface MemoryEstimate {
  readonly total_bytes: number;
  readonly breakdown: MemoryBreakdown;
  readonly trainable_parameters: number;
  readonly profile: EstimateProfileId;
}

interface Profile {
  readonly runtime_overhead: number;
  /** Copies of the weights resident at the peak (ORT: initializers plus the JS-side copy fed back each step). */
  readonly weight_copies: number;
  /** Saved activation elements per token per layer: act_hidden·hidden + act_attention·heads·seq_len. */
  readonly act_hidden: number;
  readonly act_attention: number;
  /** Full fine-tunes keep more of the graph alive than LoRA (weight-gradient inputs). */
  readonly full_activation_factor: number;
  readonly logits_copies: number;
  /** Bytes per element of activations; undefined = the recipe's precision. */
  readonly activation_bytes?: number;
  readonly gradient_bytes: (p: Precision) => number;
  readonly optimizer_bytes: (p: Precision) => number;
  // step time: seconds = step_overhead + per_trainable·trainable + flops / flops_per_second
  readonly step_overhead: number;
  readonly per_trainable_param: number;
  /** Forward-pass multiples per step: 3 for a full backward pass, less for LoRA (no weight gradients). */
  readonly lora_flop_factor: number;
}

const BYTES: Readonly<Record<Precision, number>> = { fp32: 4, bf16: 2, fp16: 2 };

/** Constants per profile; see the README's calibration table for where they come from. */
export const ESTIMATE_PROFILES: Readonly<Record<EstimateProfileId, Profile>> = {
  'ort-cpu': {
    runtime_overhead: 90 * MiB,
    weight_copies: 2,
    act_hidden: 46,
    act_attention: 6.5,
    full_activation_factor: 1.15,
    logits_copies: 5,
    activation_bytes: 4, // the ORT engine computes in fp32 only
    gradient_bytes: () => 4,
    // m, v, and the new parameters / m / v the step graph returns before JS feeds them back
    optimizer_bytes: () => 20,
    step_overhead: 0.0045,
    per_trainable_param: 1.1e-8,
    lora_flop_factor: 2,
  },
  'torch-cpu': {
    runtime_overhead: 215 * MiB,
    weight_copies: 1,
    act_hidden: 34,
    act_attention: 6,
    full_activation_factor: 1.05,
    logits_copies: 4,
    gradient_bytes: (p) => BYTES[p],
    optimizer_bytes: (p) => 8 + BYTES[p] + (p === 'fp32' ? 0 : 4),
    step_overhead: 0,
    per_trainable_param: 0,
    lora_flop_factor: 2.5,
  },
  'torch-cuda': {
    runtime_overhead: 1 * GiB,
    weight_copies: 1,
    act_hidden: 20,
    act_attention: 0, // fused (SDPA / flash) attention saves no seq_len² scores
    full_activation_factor: 1,
    logits_copies: 3,
    gradient_bytes: (p) => BYTES[p],
    optimizer_bytes: (p) => 8 + BYTES[p] + (p === 'fp32' ? 0 : 4),
    step_overhead: 0.02,
    per_trainable_param: 0,
    lora_flop_factor: 2,
  },
};

/** Per-core effective FLOP/s and the thread-scaling exponent of the CPU profiles (fitted on 1 and 2 threads). */
const CPU_FLOPS: Readonly<Record<'ort-cpu' | 'torch-cpu', { per_core: number; exponent: number }>> = {
  'ort-cpu': { per_core: 75e9, exponent: 0.9 },
  'torch-cpu': { per_core: 26e9, exponent: 0.9 },
};
/** Model FLOP utilisation assumed on a GPU (bf16/fp16); fp32 runs at half of that (TF32). */
const GPU_MFU = 0.35;
export const DEFAULT_GPU_PEAK_TFLOPS = 100;
/** More cores stop helping one process's matmuls; the scaling exponent is applied up to this many. */
const MAX_USEFUL_CORES = 32;

export function estimateProfile(engine: Engine | undefined, device: Device | undefined): EstimateProfileId {
  const d = device ?? (engine === 'torch' ? 'cuda' : 'cpu');
  if (d === 'cuda') return 'torch-cuda'; // the ORT engine is CPU-only: a GPU run is a torch run
  return engine === 'torch' ? 'torch-cpu' : 'ort-cpu';
}

const ffnOf = (m: ModelShape): number => m.intermediate_size ?? Math.round((8 / 3) * m.hidden_size);

/** LoRA adapter parameters: r · (in + out) per adapted linear layer, over all layers. */
export function loraTrainableParameters(model: ModelShape, r: number, modules: readonly LoraTargetModule[] = DEFAULT_LORA.target_modules): number {
  const h = model.hidden_size;
  const kv = model.kv_dim ?? h;
  const ffn = ffnOf(model);
  const dims: Readonly<Record<LoraTargetModule, number>> = {
    q_proj: h + h,
    k_proj: h + kv,
    v_proj: h + kv,
    o_proj: h + h,
    gate_proj: h + ffn,
    up_proj: h + ffn,
    down_proj: ffn + h,
  };
  return model.layers * modules.reduce((sum, m) => sum + r * dims[m], 0);
}

export function trainableParameters(shape: TrainingShape): number {
  if (shape.trainable_parameters !== undefined) return shape.trainable_parameters;
  if (shape.method === 'lora') return loraTrainableParameters(shape, shape.lora_r ?? DEFAULT_LORA.r, shape.lora_target_modules);
  return shape.parameters;
}

function checkShape(s: TrainingShape): void {
  for (const k of ['parameters', 'hidden_size', 'layers', 'heads', 'vocab', 'batch', 'seq_len'] as const) {
    if (!(Number.isFinite(s[k]) && s[k] > 0)) throw new RangeError(`${k} must be a positive number, got ${s[k]}`);
  }
  if (s.optimizer !== undefined && s.optimizer !== 'adamw') throw new RangeError(`only the adamw optimizer is modelled, got ${String(s.optimizer)}`);
}

/**
 * Peak memory of one training step, in bytes, with its breakdown. On a CPU this is the trainer process's peak RSS;
 * on a GPU, device memory. DPO counts the frozen reference model, and two sequences (chosen, rejected) per pair.
 */
export function estimatePeakMemory(input: MemoryEstimateInput): MemoryEstimate {
  checkShape(input);
  const profileId = estimateProfile(input.engine, input.device);
  const p = ESTIMATE_PROFILES[profileId];
  const trainable = trainableParameters(input);
  const full = input.method !== 'lora';
  const seqs = input.batch * (input.method === 'dpo' ? 2 : 1);
  const tokens = seqs * input.seq_len;
  const weightBytes = input.parameters * BYTES[input.precision];

  const weights = weightBytes * p.weight_copies + (input.method === 'dpo' ? weightBytes : 0);
  const gradients = trainable * p.gradient_bytes(input.precision) * ((input.grad_accum ?? 1) > 1 ? 3 : 1);
  const optimizer_state = trainable * p.optimizer_bytes(input.precision);
  const perTokenLayer = p.act_hidden * input.hidden_size + p.act_attention * input.heads * input.seq_len;
  const activations = tokens * input.layers * perTokenLayer * (p.activation_bytes ?? BYTES[input.precision]) * (full ? p.full_activation_factor : 1);
  // logits are upcast to fp32 for the loss; DPO adds the reference model's (no gradient: one copy)
  const logits = tokens * input.vocab * 4 * (p.logits_copies + (input.method === 'dpo' ? 1 : 0));
  const breakdown: MemoryBreakdown = {
    weights: Math.round(weights),
    gradients: Math.round(gradients),
    optimizer_state: Math.round(optimizer_state),
    activations: Math.round(activations),
    logits: Math.round(logits),
    runtime_overhead: Math.round(p.runtime_overhead),
  };
  const total_bytes = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return { total_bytes, breakdown, trainable_parameters: trainable, profile: profileId };
}

/** Forward-pass FLOPs of one micro-batch: 2·P per token plus attention (QKᵀ and AV, 4·layers·seq·hidden per token). */
export function forwardFlops(shape: ModelShape & { readonly batch: number; readonly seq_len: number }): number {
  const perToken = 2 * shape.parameters + 4 * shape.layers * shape.seq_len * shape.hidden_size;
  return perToken * shape.batch * shape.seq_len;
}

/** FLOPs of one optimizer micro-step: full = 3× forward, LoRA = the profile's factor, DPO = policy 3× + reference 1× on both sequences of each pair. */
export function stepFlops(shape: TrainingShape, profile: EstimateProfileId = 'ort-cpu'): number {
  const fwd = forwardFlops(shape);
  if (shape.method === 'dpo') return 2 * fwd * (3 + 1);
  return fwd * (shape.method === 'lora' ? ESTIMATE_PROFILES[profile].lora_flop_factor : 3);
}

export interface StepTimeInput extends TrainingShape {
  /** Default: `torch` when the hardware has a GPU, else `ort`. */
  readonly engine?: Engine;
}

/** Effective FLOP/s the profile reaches on this hardware. */
export function effectiveFlops(profile: EstimateProfileId, hardware: HardwareProfile, precision: Precision): number {
  if (profile === 'torch-cuda') {
    const gpu = primaryAccelerator(hardware);
    const peak = (gpu?.peak_tflops ?? DEFAULT_GPU_PEAK_TFLOPS) * 1e12;
    return peak * GPU_MFU * (precision === 'fp32' ? 0.5 : 1);
  }
  const c = CPU_FLOPS[profile];
  return c.per_core * Math.min(hardware.cpu_cores, MAX_USEFUL_CORES) ** c.exponent;
}

/**
 * Seconds for one micro-batch (forward, backward and the optimizer update) of `batch` sequences; an optimizer step
 * with gradient accumulation costs `grad_accum` of these. The ORT profile is fitted to notes/cpu-training.md §7.
 */
export function estimateStepSeconds(input: StepTimeInput, hardware: HardwareProfile): number {
  checkShape(input);
  const engine = input.engine ?? (primaryAccelerator(hardware) ? 'torch' : 'ort');
  const device: Device = engine === 'torch' && primaryAccelerator(hardware) ? 'cuda' : 'cpu';
  const profileId = estimateProfile(engine, device);
  const p = ESTIMATE_PROFILES[profileId];
  const flops = stepFlops(input, profileId);
  return p.step_overhead + p.per_trainable_param * trainableParameters(input) + flops / effectiveFlops(profileId, hardware, input.precision);
}
