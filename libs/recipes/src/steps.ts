import type { Recipe } from './recipe.js';

/**
 * How many optimizer steps a recipe makes on a dataset. One optimizer step consumes per_device × grad_accum ×
 * world_size training rows (preference pairs for DPO); the last batch of an epoch may be short (it is kept, not
 * dropped), so steps_per_epoch = ceil(rows / effective batch) and total = ceil(steps_per_epoch × epochs).
 */
export interface StepPlan {
  readonly steps_per_epoch: number;
  readonly total_steps: number;
  /** Checkpoint every N optimizer steps (the cadence resolved; an epoch-end checkpoint is every steps_per_epoch). */
  readonly checkpoint_every_steps: number;
  readonly eval_every_steps: number;
  readonly effective_batch: number;
}

export function planSteps(
  trainRows: number,
  recipe: Pick<Recipe, 'batch' | 'optim' | 'checkpoint_cadence' | 'eval_every'>,
  worldSize = 1,
): StepPlan {
  if (!Number.isInteger(trainRows) || trainRows < 1) throw new RangeError(`a training run needs at least one train row, got ${trainRows}`);
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`worldSize must be an integer ≥ 1, got ${worldSize}`);
  const effective_batch = recipe.batch.per_device * recipe.batch.grad_accum * worldSize;
  const steps_per_epoch = Math.ceil(trainRows / effective_batch);
  const total_steps = Math.max(1, Math.ceil(steps_per_epoch * recipe.optim.epochs));
  const checkpoint_every_steps = recipe.checkpoint_cadence === 'epoch' ? steps_per_epoch : recipe.checkpoint_cadence.steps;
  const eval_every_steps = recipe.eval_every === 'epoch' ? steps_per_epoch : recipe.eval_every;
  return { steps_per_epoch, total_steps, checkpoint_every_steps, eval_every_steps, effective_batch };
}
