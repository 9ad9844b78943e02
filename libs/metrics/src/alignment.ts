import { mean } from './common.js';

/**
 * One preference pair scored by the model: the summed log-probability (or any reward, e.g. DPO's implicit reward
 * β·(log π − log π_ref)) of the chosen and of the rejected response.
 */
export interface PreferenceRow {
  readonly chosen: number;
  readonly rejected: number;
}

/** Preference metrics over pairs. */
export interface PreferenceScores {
  readonly n: number;
  /** Share of pairs where chosen > rejected strictly (a tie is not a win), as TRL logs `rewards/accuracies`. */
  readonly accuracy: number;
  /** Mean of chosen − rejected, as TRL logs `rewards/margins`. */
  readonly mean_margin: number;
  /** Pairs with chosen = rejected. */
  readonly ties: number;
}

/** Preference accuracy and mean margin of chosen over rejected. Non-finite inputs are a `RangeError`. */
export function preferenceScores(rows: readonly PreferenceRow[]): PreferenceScores {
  for (const [i, r] of rows.entries()) {
    if (!Number.isFinite(r.chosen) || !Number.isFinite(r.rejected)) throw new RangeError(`row ${i}: scores must be finite numbers`);
  }
  return {
    n: rows.length,
    accuracy: mean(rows.map((r) => (r.chosen > r.rejected ? 1 : 0))),
    mean_margin: mean(rows.map((r) => r.chosen - r.rejected)),
    ties: rows.filter((r) => r.chosen === r.rejected).length,
  };
}
