import { z } from 'zod';
import { parseConfig, url } from '@distillery/config';
import { commonConfigShape } from '@distillery/platform-nest';

export const cliConfigSchema = z.object({
  ...commonConfigShape,
  /** Where `distillery timeline` and other read commands find the API. */
  DISTILLERY_API_URL: url(['http', 'https']).default('http://127.0.0.1:8080'),
});
export type CliConfig = z.output<typeof cliConfigSchema>;

export const parseCliConfig = (env?: Record<string, string | undefined>): CliConfig => parseConfig('cli', cliConfigSchema, env);
