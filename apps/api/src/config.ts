import { z } from 'zod';
import { parseConfig } from '@distillery/config';
import { dataConfigShape } from '@distillery/importer';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const apiConfigSchema = z.object({
  ...commonConfigShape,
  ...dataConfigShape,
  PORT: portField(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest page a client may ask for; larger `limit`s are a 400, never a silent cut. */
  API_MAX_PAGE_SIZE: z.coerce.number().int().min(10).max(10_000).default(1_000),
});
export type ApiConfig = z.output<typeof apiConfigSchema>;

export const parseApiConfig = (env?: Record<string, string | undefined>): ApiConfig => parseConfig('api', apiConfigSchema, env);
