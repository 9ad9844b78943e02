import { z } from 'zod';
import { parseConfig } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const projectorConfigSchema = z.object({
  ...commonConfigShape,
  PORT: portField(8081),
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(20_000).default(500),
});
export type ProjectorConfig = z.output<typeof projectorConfigSchema>;

export const parseProjectorConfig = (env?: Record<string, string | undefined>): ProjectorConfig =>
  parseConfig('projector', projectorConfigSchema, env);
