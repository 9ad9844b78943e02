import { z } from 'zod';

/**
 * The recipe: the declarative training config (DESIGN.md "Data contracts"). This file holds the resolved shape (what
 * `parseRecipe` returns and what a TrainPlan carries), its zod schema and the defaults. Parsing user text with
 * every-error-at-once messages lives in recipe-parse.ts.
 */

export const RECIPE_VERSION = 1 as const;

export const METHODS = ['full', 'lora', 'dpo'] as const;
export type Method = (typeof METHODS)[number];

export const SCHEDULERS = ['cosine', 'linear', 'constant'] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export const PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const ENGINES = ['ort', 'torch', 'auto'] as const;
export type EngineChoice = (typeof ENGINES)[number];
/** An engine a trainer can actually run (what `auto` resolves to). */
export type Engine = Exclude<EngineChoice, 'auto'>;

/** Linear layers of the Llama decoder family that LoRA can adapt (the engines support this family; DESIGN.md). */
export const LORA_TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTargetModule = (typeof LORA_TARGET_MODULES)[number];

/** DPO learns from preference pairs, which only the `dpo` task profile carries ({prompt, chosen, rejected}). */
export const DPO_TASK_PROFILES = ['dpo'] as const;

export interface LoraConfig {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly target_modules: readonly LoraTargetModule[];
}

export interface DpoConfig {
  readonly beta: number;
  /** The frozen reference policy: the base model (the only option for now). */
  readonly reference: 'base';
}

export interface OptimConfig {
  readonly learning_rate: number;
  /** The learning rate the schedule decays to, as a share of learning_rate (cosine / linear end there). */
  readonly min_lr_ratio: number;
  readonly scheduler: Scheduler;
  readonly warmup_ratio: number;
  readonly epochs: number;
  readonly weight_decay: number;
  /** Global-norm gradient clipping; 0 turns clipping off. */
  readonly max_grad_norm: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

export interface BatchConfig {
  readonly per_device: number;
  readonly grad_accum: number;
}

export type CheckpointCadence = { readonly steps: number } | 'epoch';
export type EvalCadence = number | 'epoch';

interface RecipeCommon {
  readonly recipe_version: typeof RECIPE_VERSION;
  /** `file:<dir>` or `hf:<id>[@revision]`. */
  readonly base_model: string;
  readonly optim: OptimConfig;
  readonly batch: BatchConfig;
  readonly max_seq_len: number;
  readonly precision: Precision;
  readonly checkpoint_cadence: CheckpointCadence;
  /** Evaluate every N optimizer steps, or at the end of every epoch. */
  readonly eval_every: EvalCadence;
  readonly seed: number;
  /** Wall-clock limit in seconds; null = none (the training service may still apply its own). */
  readonly max_duration: number | null;
  readonly engine: EngineChoice;
}

export interface FullRecipe extends RecipeCommon {
  readonly method: 'full';
}
export interface LoraRecipe extends RecipeCommon {
  readonly method: 'lora';
  readonly lora: LoraConfig;
}
export interface DpoRecipe extends RecipeCommon {
  readonly method: 'dpo';
  readonly dpo: DpoConfig;
}

/** A resolved recipe: every field present and valid. The `lora` section exists iff method is lora, `dpo` iff dpo. */
export type Recipe = FullRecipe | LoraRecipe | DpoRecipe;

/** Default learning rate per method (AdamW; LoRA adapters train at ~10× the full fine-tune rate, DPO far lower). */
export const DEFAULT_LEARNING_RATE: Readonly<Record<Method, number>> = { lora: 2e-4, full: 2e-5, dpo: 1e-6 };
/** Default weight decay per method: none on adapters and for DPO, a little for full fine-tunes. */
export const DEFAULT_WEIGHT_DECAY: Readonly<Record<Method, number>> = { lora: 0, full: 0.01, dpo: 0 };

export const DEFAULT_LORA: LoraConfig = { r: 16, alpha: 32, dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };
export const DEFAULT_DPO: DpoConfig = { beta: 0.1, reference: 'base' };

/** Defaults of every optional field, for a given method. `recipe_version`, `base_model` and `method` are required. */
export function recipeDefaults(method: Method): Omit<RecipeCommon, 'recipe_version' | 'base_model'> {
  return {
    optim: {
      learning_rate: DEFAULT_LEARNING_RATE[method],
      min_lr_ratio: 0,
      scheduler: 'cosine',
      warmup_ratio: 0.03,
      epochs: 3,
      weight_decay: DEFAULT_WEIGHT_DECAY[method],
      max_grad_norm: 1,
      betas: [0.9, 0.999],
      eps: 1e-8,
    },
    batch: { per_device: 8, grad_accum: 1 },
    max_seq_len: 512,
    precision: 'fp32',
    checkpoint_cadence: 'epoch',
    eval_every: 'epoch',
    seed: 42,
    max_duration: null,
    engine: 'auto',
  };
}

// ---- zod schema of the resolved recipe (used by TrainPlan; parseRecipe's output always satisfies it) ----

const positiveInt = z.number().int().positive();
const unit = z.number().min(0).lt(1);

const Common = {
  recipe_version: z.literal(RECIPE_VERSION),
  base_model: z.string().regex(/^(file:.+|hf:[^@\s]+(@[^@\s]+)?)$/, 'base_model must be file:<dir> or hf:<id>[@rev]'),
  optim: z.object({
    learning_rate: z.number().positive().max(1),
    min_lr_ratio: z.number().min(0).max(1),
    scheduler: z.enum(SCHEDULERS),
    warmup_ratio: unit,
    epochs: z.number().positive().max(1000),
    weight_decay: z.number().min(0).max(1),
    max_grad_norm: z.number().min(0),
    betas: z.tuple([unit, unit]),
    eps: z.number().positive().max(1e-2),
  }),
  batch: z.object({ per_device: positiveInt.max(4096), grad_accum: positiveInt.max(4096) }),
  max_seq_len: z.number().int().min(16).max(1_048_576),
  precision: z.enum(PRECISIONS),
  checkpoint_cadence: z.union([z.literal('epoch'), z.object({ steps: positiveInt })]),
  eval_every: z.union([z.literal('epoch'), positiveInt]),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  max_duration: z.number().positive().nullable(),
  engine: z.enum(ENGINES),
};

export const LoraConfigSchema = z.object({
  r: positiveInt.max(1024),
  alpha: z.number().positive(),
  dropout: unit,
  target_modules: z.array(z.enum(LORA_TARGET_MODULES)).min(1),
});

export const RecipeSchema = z.discriminatedUnion('method', [
  z.object({ ...Common, method: z.literal('full') }).strict(),
  z.object({ ...Common, method: z.literal('lora'), lora: LoraConfigSchema }).strict(),
  z.object({ ...Common, method: z.literal('dpo'), dpo: z.object({ beta: z.number().positive().max(10), reference: z.literal('base') }) }).strict(),
]);

/** Effective batch: sequences (pairs for DPO) per optimizer step on one device. */
export const effectiveBatch = (recipe: Pick<Recipe, 'batch'>): number => recipe.batch.per_device * recipe.batch.grad_accum;
