import { z } from 'zod';
import { ProjectId, RunId } from '@distillery/contracts';

const share = z.number().min(0).max(1);

export const cleanBody = z
  .object({
    /** CleaningPolicy (pii, quality, outliers, dedup, text_fields); validated by the cleaning library. */
    policy: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const prepareBody = z
  .object({
    /** Default: stratified by `label` for labelled profiles, random otherwise. */
    strategy: z.enum(['random', 'stratified', 'group_disjoint']).optional(),
    /** The record field to stratify or group by (dotted paths reach into objects). */
    field: z.string().min(1).max(200).optional(),
    seed: z.number().int().default(42),
    ratios: z.object({ train: share, eval: share, gold: share }).strict().optional(),
    leakage_max_share: share.optional(),
    near_threshold: share.optional(),
    /** Prepare from this cleaning task instead of the latest completed one. */
    cleaning_task_id: RunId.optional(),
  })
  .strict();

export const taskParams = z.object({ projectId: ProjectId, taskId: RunId });
export const rowParams = z.object({ projectId: ProjectId, rowId: z.string().regex(/^[0-9a-fA-F]{8,64}$/, 'expected a row id (or a prefix of at least 8 hex digits)') });
