import { z } from 'zod';
import { parseConfig, url } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const evaluationConfigSchema = z.object({
  ...commonConfigShape,
  PORT: portField(8087),
  /** Rows evaluated when a request does not say (the gold split, else the eval split). */
  EVAL_MAX_ROWS: z.coerce.number().int().positive().default(200),
  EVAL_MAX_NEW_TOKENS: z.coerce.number().int().positive().default(96),
  EVAL_THREADS: z.coerce.number().int().positive().default(2),
  /** LLM judge (an eval pack's `judge`): per-request timeout when the pack gives no `timeout_s`. */
  EVAL_JUDGE_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  PROGRESS_EVERY_MS: z.coerce.number().int().nonnegative().default(1_000),
  HF_ENDPOINT: url(['http', 'https']).default('https://huggingface.co'),
  HF_TOKEN: z.string().min(1).optional(),
});
export type EvaluationConfig = z.output<typeof evaluationConfigSchema>;

export const parseEvaluationConfig = (env?: Record<string, string | undefined>): EvaluationConfig => parseConfig('evaluation', evaluationConfigSchema, env);
