import type { OptimConfig } from './recipe.js';

/**
 * Learning-rate schedules with linear warmup. The maths follows transformers' `get_*_schedule_with_warmup` (and
 * `get_cosine_with_min_lr_schedule_with_warmup` for `min_lr_ratio`), so the torch engine can use the stock
 * schedulers and both engines agree step for step:
 *
 * - warmup steps W = ceil(warmup_ratio × total);
 * - step s < W: lr × s / W (so step 0 trains at lr 0, exactly as transformers does);
 * - after warmup, progress p = (s − W) / max(1, total − W), and the factor f is
 *   cosine: ½(1 + cos(π·p)), linear: 1 − p, constant: 1;
 * - with a floor m = min_lr_ratio: lr × (m + (1 − m) · f) for cosine and linear.
 *
 * Steps are 0-based optimizer updates; `lrAt(total, total)` is the value the schedule ends at (min lr), and steps
 * past the end stay there.
 */

/** Warmup length in optimizer steps, as transformers computes it. */
export function warmupSteps(totalSteps: number, warmupRatio: number): number {
  return Math.ceil(totalSteps * warmupRatio);
}

export type ScheduleConfig = Pick<OptimConfig, 'learning_rate' | 'scheduler' | 'warmup_ratio'> & Partial<Pick<OptimConfig, 'min_lr_ratio'>>;

/** The learning rate of optimizer step `step` (0-based) in a run of `totalSteps` steps. Pure. */
export function lrAt(step: number, totalSteps: number, optim: ScheduleConfig): number {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`totalSteps must be an integer ≥ 1, got ${totalSteps}`);
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be an integer ≥ 0, got ${step}`);
  const s = Math.min(step, totalSteps);
  const lr = optim.learning_rate;
  const warmup = warmupSteps(totalSteps, optim.warmup_ratio);
  if (s < warmup) return (lr * s) / warmup;
  if (optim.scheduler === 'constant') return lr;
  const progress = (s - warmup) / Math.max(1, totalSteps - warmup);
  const factor = optim.scheduler === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : Math.max(0, 1 - progress);
  const floor = optim.min_lr_ratio ?? 0;
  return lr * (floor + (1 - floor) * factor);
}

/** The whole schedule, one value per optimizer step (for plots and for engines that precompute it). */
export function lrSchedule(totalSteps: number, optim: ScheduleConfig): number[] {
  return Array.from({ length: totalSteps }, (_, s) => lrAt(s, totalSteps, optim));
}
