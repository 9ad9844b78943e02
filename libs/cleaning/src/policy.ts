import { z } from 'zod';
import { TASK_PROFILES } from '@distillery/contracts';
import type { CleaningPolicy } from './cleaner.js';
import { PII_KINDS } from './pii/types.js';

const Action = z.enum(['redact', 'mask', 'keep', 'block']);
const share = z.number().min(0).max(1);
const positive = z.number().positive();

/**
 * The wire form of a CleaningPolicy (API bodies, `cleaning_requested.policy`): every part optional, unknown keys
 * refused so a typo (`pii.acton`) is an error instead of a silently ignored setting.
 */
export const CleaningPolicySchema = z
  .object({
    pii: z
      .object({
        action: Action,
        per_kind: z.partialRecord(z.enum(PII_KINDS), Action).optional(),
        kinds: z.array(z.enum(PII_KINDS)).optional(),
        min_confidence: share.optional(),
      })
      .strict()
      .optional(),
    quality: z
      .object({
        min_good_units: positive.optional(),
        weights: z.object({ length: z.number().nonnegative(), alpha_ratio: z.number().nonnegative(), repetition: z.number().nonnegative() }).strict().optional(),
      })
      .strict()
      .optional(),
    outliers: z
      .object({
        length: z.object({ k: positive.optional(), min_units: z.number().nonnegative().optional(), max_units: positive.optional(), min_rows: z.number().int().nonnegative().optional() }).strict().optional(),
        repetition: z.object({ max_dup_ngram_share: share.optional(), max_char_run: z.number().int().positive().optional() }).strict().optional(),
        encoding: z.object({ max_garbage_share: share.optional(), max_mojibake_markers: z.number().int().nonnegative().optional() }).strict().optional(),
        low_quality: z.object({ min_score: share.optional() }).strict().optional(),
        max_share: share.optional(),
        action: z.enum(['drop', 'flag']).optional(),
      })
      .strict()
      .optional(),
    dedup: z
      .object({
        exact: z.boolean().optional(),
        near: z.boolean().optional(),
        near_threshold: share.optional(),
        bands: z.number().int().positive().optional(),
        num_perm: z.number().int().positive().optional(),
        shingle_size: z.number().int().positive().optional(),
        seed: z.number().int().optional(),
      })
      .strict()
      .optional(),
    text_fields: z.partialRecord(z.enum(TASK_PROFILES), z.array(z.string().min(1))).optional(),
    dedup_fields: z.partialRecord(z.enum(TASK_PROFILES), z.array(z.string().min(1))).optional(),
  })
  .strict();

export class CleaningPolicyError extends Error {
  readonly code = 'CLEANING.POLICY_INVALID';
  constructor(readonly issues: readonly string[]) {
    super(`cleaning policy is invalid: ${issues.join('; ')}`);
    this.name = 'CleaningPolicyError';
  }
}

/** Validates a policy from the wire; throws CleaningPolicyError naming every bad field by its path. */
export function parseCleaningPolicy(input: unknown): CleaningPolicy {
  const r = CleaningPolicySchema.safeParse(input ?? {});
  if (!r.success) throw new CleaningPolicyError(r.error.issues.map((i) => `${i.path.join('.') || '(policy)'}: ${i.message}`));
  if (r.data.dedup?.bands !== undefined && (r.data.dedup.num_perm ?? 128) % r.data.dedup.bands !== 0) {
    throw new CleaningPolicyError([`dedup.bands: ${r.data.dedup.bands} must divide num_perm (${r.data.dedup.num_perm ?? 128})`]);
  }
  return r.data as CleaningPolicy;
}
