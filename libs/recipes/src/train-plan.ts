import { z } from 'zod';
import { ArtifactRef, ProjectId, RunId, TASK_PROFILES, type PreparedManifest } from '@distillery/contracts';
import { estimatePeakMemory, estimateStepSeconds, type ModelShape } from './estimates.js';
import { primaryAccelerator, type HardwareProfile } from './hardware.js';
import { RecipeSchema, type Engine, type Recipe } from './recipe.js';
import { planSteps } from './steps.js';

/**
 * TrainPlan: the engine-neutral contract of one training run (DESIGN.md "Training engines"). The training service
 * builds it after preflight; a trainer worker (ort or torch) executes exactly this and nothing else: the resolved
 * recipe, the manifest it trains on, the base model pinned to a revision, the tokenized shards, and the step
 * arithmetic, so both engines agree on what "step 120" and "the epoch-2 checkpoint" mean.
 */

/** A tokenized shard: an artifact plus what is in it. */
export const ShardRef = ArtifactRef.extend({
  rows: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative().optional(),
});
export type ShardRef = z.infer<typeof ShardRef>;

export const TRAIN_PLAN_VERSION = 1 as const;

export const TrainPlan = z
  .object({
    plan_version: z.literal(TRAIN_PLAN_VERSION),
    run_id: RunId,
    project_id: ProjectId,
    /** The resolved recipe: defaults filled, `engine` no longer `auto`. */
    recipe: RecipeSchema,
    engine: z.enum(['ort', 'torch']),
    task_profile: z.enum(TASK_PROFILES),
    /** prepared/manifest.json in the artifact store. */
    manifest: ArtifactRef,
    base_model: z.object({
      locator: z.string().min(1),
      /** What the locator resolved to: a hub commit sha, or the sha256 of the model folder's file list and hashes. */
      resolved_revision: z.string().min(1),
    }),
    shards: z.object({ train: z.array(ShardRef).min(1), eval: z.array(ShardRef), gold: z.array(ShardRef).optional() }),
    world_size: z.number().int().positive(),
    steps: z.object({
      per_epoch: z.number().int().positive(),
      total: z.number().int().positive(),
      /** The recipe's checkpoint_cadence and eval_every in optimizer steps. */
      checkpoint_every: z.number().int().positive(),
      eval_every: z.number().int().positive(),
    }),
    seed: z.number().int().min(0),
    estimates: z.object({
      peak_memory_bytes: z.number().int().positive(),
      step_seconds: z.number().positive(),
      duration_seconds: z.number().positive(),
    }),
  })
  .superRefine((plan, ctx) => {
    if (plan.recipe.engine !== plan.engine) {
      ctx.addIssue({ code: 'custom', path: ['recipe', 'engine'], message: `must be the plan's engine (${plan.engine}), got ${plan.recipe.engine}` });
    }
    if (plan.recipe.seed !== plan.seed) ctx.addIssue({ code: 'custom', path: ['seed'], message: `must equal recipe.seed (${plan.recipe.seed})` });
    const expected = Math.max(1, Math.ceil(plan.steps.per_epoch * plan.recipe.optim.epochs));
    if (plan.steps.total !== expected) {
      ctx.addIssue({ code: 'custom', path: ['steps', 'total'], message: `must be ceil(per_epoch × epochs) = ${expected}, got ${plan.steps.total}` });
    }
  });
export type TrainPlan = z.infer<typeof TrainPlan>;

/** `auto` → torch when the hardware has a GPU, ort otherwise. */
export function resolveEngine(choice: Recipe['engine'], hardware: HardwareProfile): Engine {
  if (choice !== 'auto') return choice;
  return primaryAccelerator(hardware) ? 'torch' : 'ort';
}

export interface BuildTrainPlanInput {
  readonly run_id: string;
  readonly project_id: string;
  readonly recipe: Recipe;
  readonly manifest: PreparedManifest;
  readonly manifest_ref: ArtifactRef;
  readonly resolved_revision: string;
  readonly model: ModelShape;
  readonly hardware: HardwareProfile;
  readonly shards: { readonly train: readonly ShardRef[]; readonly eval: readonly ShardRef[]; readonly gold?: readonly ShardRef[] };
}

/**
 * Assembles and validates a TrainPlan: resolves the engine, derives the step arithmetic from the manifest's train
 * count, and attaches the memory and duration estimates. Throws zod's error when the result is not a valid plan.
 */
export function buildTrainPlan(input: BuildTrainPlanInput): TrainPlan {
  const { recipe, hardware, model } = input;
  const engine = resolveEngine(recipe.engine, hardware);
  const device = engine === 'torch' && primaryAccelerator(hardware) ? 'cuda' : 'cpu';
  const worldSize = 1;
  const steps = planSteps(input.manifest.counts.train, recipe, worldSize);
  const shape = {
    ...model,
    method: recipe.method,
    ...(recipe.method === 'lora' ? { lora_r: recipe.lora.r, lora_target_modules: recipe.lora.target_modules } : {}),
    precision: recipe.precision,
    batch: recipe.batch.per_device,
    grad_accum: recipe.batch.grad_accum,
    seq_len: recipe.max_seq_len,
  };
  const memory = estimatePeakMemory({ ...shape, engine, device });
  const stepSeconds = estimateStepSeconds({ ...shape, engine }, device === 'cuda' ? hardware : { ...hardware, accelerators: [] }) * recipe.batch.grad_accum;
  return TrainPlan.parse({
    plan_version: TRAIN_PLAN_VERSION,
    run_id: input.run_id,
    project_id: input.project_id,
    recipe: { ...recipe, engine },
    engine,
    task_profile: input.manifest.task_profile,
    manifest: input.manifest_ref,
    base_model: { locator: recipe.base_model, resolved_revision: input.resolved_revision },
    shards: input.shards,
    world_size: worldSize,
    steps: { per_epoch: steps.steps_per_epoch, total: steps.total_steps, checkpoint_every: steps.checkpoint_every_steps, eval_every: steps.eval_every_steps },
    seed: recipe.seed,
    estimates: { peak_memory_bytes: memory.total_bytes, step_seconds: stepSeconds, duration_seconds: stepSeconds * steps.total_steps },
  });
}
