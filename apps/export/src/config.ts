import { z } from 'zod';
import { parseConfig, url } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const exportConfigSchema = z.object({
  ...commonConfigShape,
  PORT: portField(8088),
  /** Gold prompts the smoke and parity checks run when a request does not say (the first rows of the gold split). */
  EXPORT_CHECK_ROWS: z.coerce.number().int().positive().default(8),
  /** Cap on generated tokens per prompt in the checks; a row reaching it has not stopped. */
  EXPORT_MAX_NEW_TOKENS: z.coerce.number().int().positive().default(48),
  EXPORT_THREADS: z.coerce.number().int().positive().default(2),
  HF_ENDPOINT: url(['http', 'https']).default('https://huggingface.co'),
  HF_TOKEN: z.string().min(1).optional(),
});
export type ExportConfig = z.output<typeof exportConfigSchema>;

export const parseExportConfig = (env?: Record<string, string | undefined>): ExportConfig => parseConfig('export', exportConfigSchema, env);
