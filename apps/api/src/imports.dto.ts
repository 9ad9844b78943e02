import { z } from 'zod';
import { ProjectId, RunId } from '@distillery/contracts';

const fieldMap = z.record(z.string().min(1), z.string().min(1));
const base = {
  locator: z.string().min(1).max(2_000),
  mapper: z.string().min(1).optional(),
  field_map: fieldMap.optional(),
  auto: z.boolean().default(false),
  force: z.boolean().default(false),
  drop: z.array(z.string().min(1)).default([]),
  limit: z.number().int().positive().optional(),
};

export const projectParams = z.object({ projectId: ProjectId });
export const introspectBody = z.object({ locator: base.locator, sample_size: z.number().int().min(1).max(200).default(20) }).strict();
export const dryRunBody = z.object({ ...base, sample_size: z.number().int().min(0).max(200).default(20) }).strict();
export const importBody = z.object({ ...base, save_as: z.string().min(1).max(100).optional() }).strict();
export const rerunParams = z.object({ projectId: ProjectId, mappingId: z.string().min(1).max(100) });
export const importParams = z.object({ projectId: ProjectId, runId: RunId });
