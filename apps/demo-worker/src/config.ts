import { z } from 'zod';
import { durationMs, parseConfig } from '@distillery/config';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const demoWorkerConfigSchema = z.object({
  ...commonConfigShape,
  PORT: portField(8082),
  /** Pause between two demo steps, so progress is visible live. */
  DEMO_STEP_DELAY_MS: durationMs().default('100' as never),
});
export type DemoWorkerConfig = z.output<typeof demoWorkerConfigSchema>;

export const parseDemoWorkerConfig = (env?: Record<string, string | undefined>): DemoWorkerConfig =>
  parseConfig('demo-worker', demoWorkerConfigSchema, env);
