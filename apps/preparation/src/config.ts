import { z } from 'zod';
import { parseConfig } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const preparationConfigSchema = z.object({
  ...commonConfigShape,
  PORT: portField(8084),
  /** Minimum milliseconds between two progress events of one job. */
  PROGRESS_EVERY_MS: z.coerce.number().int().nonnegative().default(2_000),
});
export type PreparationConfig = z.output<typeof preparationConfigSchema>;

export const parsePreparationConfig = (env?: Record<string, string | undefined>): PreparationConfig =>
  parseConfig('preparation', preparationConfigSchema, env);
