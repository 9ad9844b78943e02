import { z } from 'zod';

/**
 * What a trainer has to work with. Probing it (os.cpus(), nvidia-smi, cgroup limits) is the training service's job;
 * this library only reasons about the numbers.
 */
export const AcceleratorProfile = z.object({
  kind: z.literal('cuda'),
  memory_bytes: z.number().int().positive(),
  /** e.g. `NVIDIA H100 80GB HBM3`; informational. */
  name: z.string().optional(),
  /** Whether the device computes in bf16 (Ampere and later); false means fp16 for mixed precision. Default true. */
  bf16: z.boolean().optional(),
  /** Dense bf16/fp16 peak in TFLOP/s, for step-time estimates (default 100: a mid-range data-centre GPU). */
  peak_tflops: z.number().positive().optional(),
});
export type AcceleratorProfile = z.infer<typeof AcceleratorProfile>;

export const HardwareProfile = z.object({
  cpu_cores: z.number().int().positive(),
  /** Host memory available to the trainer (the cgroup limit when there is one). */
  memory_bytes: z.number().int().positive(),
  accelerators: z.array(AcceleratorProfile),
});
export type HardwareProfile = z.infer<typeof HardwareProfile>;

/** The base model facts autopilot and the estimates need (from its config.json and weight files). */
export const BaseModelSummary = z.object({
  /** `file:<dir>` or `hf:<id>[@revision]`: what the recipe's base_model will say. */
  locator: z.string().min(1),
  parameters: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  layers: z.number().int().positive(),
  vocab: z.number().int().positive(),
  max_position_embeddings: z.number().int().positive(),
  /** Attention heads; default hidden_size / 64. */
  heads: z.number().int().positive().optional(),
  /** MLP width; default ≈ 8/3 · hidden_size (Llama's SwiGLU ratio). */
  intermediate_size: z.number().int().positive().optional(),
});
export type BaseModelSummary = z.infer<typeof BaseModelSummary>;

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** The first CUDA device, if any (the trainer uses one device per process). */
export const primaryAccelerator = (hw: HardwareProfile): AcceleratorProfile | undefined => hw.accelerators.find((a) => a.kind === 'cuda');
