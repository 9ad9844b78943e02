import { z } from 'zod';
import { parseConfig, url } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const trainingConfigSchema = z.object({
  ...commonConfigShape,
  PORT: portField(8085),
  /** The base model when neither the request nor the recipe names one (`distillery models make-tiny` writes it). */
  DISTILLERY_BASE_MODEL: z.string().min(1).optional(),
  /** Preflight gate when a request does not say: strict blocks on any blocker, fail_open proceeds with warnings. */
  PREFLIGHT_MODE: z.enum(['strict', 'fail_open']).default('strict'),
  /** Memory the trainers have (default: this machine's); preflight plans memory against it. */
  TRAINER_MEMORY_BYTES: z.coerce.number().int().positive().optional(),
  TRAINER_CPU_CORES: z.coerce.number().int().positive().optional(),
  HF_ENDPOINT: url(['http', 'https']).default('https://huggingface.co'),
  HF_TOKEN: z.string().min(1).optional(),
});
export type TrainingConfig = z.output<typeof trainingConfigSchema>;

export const parseTrainingConfig = (env?: Record<string, string | undefined>): TrainingConfig => parseConfig('training', trainingConfigSchema, env);
