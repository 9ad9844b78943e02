import { z } from 'zod';
import { parseConfig, url } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const deploymentConfigSchema = z.object({
  ...commonConfigShape,
  /** Health endpoints of the service. */
  PORT: portField(8088),
  /** The built-in runner's OpenAI-compatible API (`/v1/models`, `/v1/completions`, `/v1/chat/completions`). */
  RUNNER_PORT: portField(8000),
  RUNNER_HOST: z.string().min(1).default('0.0.0.0'),
  /** How the service reaches its own runner for smoke and drift checks (default `http://127.0.0.1:<RUNNER_PORT>`). */
  RUNNER_URL: url(['http', 'https']).optional(),
  RUNNER_THREADS: z.coerce.number().int().positive().default(2),
  /** `max_tokens` when a request gives none, and the most a request may ask for. */
  RUNNER_DEFAULT_MAX_TOKENS: z.coerce.number().int().positive().default(256),
  RUNNER_MAX_TOKENS_LIMIT: z.coerce.number().int().positive().default(4096),
  /** Recent request prompts kept per slot for input drift (a ring buffer). */
  RUNNER_RECENT_REQUESTS: z.coerce.number().int().positive().default(1_000),
  /** Smoke check: gold prompts sent to a candidate (a fixed prompt set when the run has no gold rows), token cap. */
  SMOKE_PROMPTS: z.coerce.number().int().positive().default(8),
  SMOKE_MAX_TOKENS: z.coerce.number().int().positive().default(64),
  /** Drift: gold rows re-run per check, the token cap of their answers, and the fewest recent requests for input drift. */
  DRIFT_MAX_ROWS: z.coerce.number().int().positive().default(100),
  DRIFT_MAX_TOKENS: z.coerce.number().int().positive().default(32),
  DRIFT_MIN_REQUESTS: z.coerce.number().int().positive().default(20),
  /** Scheduled drift checks of every live slot, every this many ms; 0 (default) turns the schedule off. */
  DRIFT_CHECK_EVERY_MS: z.coerce.number().int().nonnegative().default(0),
  HF_ENDPOINT: url(['http', 'https']).default('https://huggingface.co'),
  HF_TOKEN: z.string().min(1).optional(),
});
export type DeploymentConfig = z.output<typeof deploymentConfigSchema>;

export const parseDeploymentConfig = (env?: Record<string, string | undefined>): DeploymentConfig => parseConfig('deployment', deploymentConfigSchema, env);
