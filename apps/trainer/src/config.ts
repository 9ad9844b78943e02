import { z } from 'zod';
import { parseConfig, url } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const trainerConfigSchema = z.object({
  ...commonConfigShape,
  PORT: portField(8086),
  /** onnxruntime intra-op threads (default: the machine's cores, at most 8). */
  TRAINER_THREADS: z.coerce.number().int().positive().optional(),
  /** Minimum milliseconds between two training_progress events. */
  PROGRESS_EVERY_MS: z.coerce.number().int().nonnegative().default(1_000),
  /** Names this worker in training_started (default: host and pid). */
  TRAINER_WORKER_ID: z.string().min(1).optional(),
  HF_ENDPOINT: url(['http', 'https']).default('https://huggingface.co'),
  HF_TOKEN: z.string().min(1).optional(),
});
export type TrainerConfig = z.output<typeof trainerConfigSchema>;

export const parseTrainerConfig = (env?: Record<string, string | undefined>): TrainerConfig => parseConfig('trainer', trainerConfigSchema, env);
