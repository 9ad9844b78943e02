import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { EventLog, Logger } from '@distillery/eventlog';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { TrainingConfig } from './config.js';
import { ortDryRun } from './dry-run.js';
import type { DryRun } from './plan-job.js';
import { TrainingModule } from './training.module.js';

export interface StartTrainingOptions {
  readonly config: TrainingConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  readonly http: boolean;
  /** The engine's one-step dry run (preflight); default: the ort engine's. `null` turns it off. */
  readonly dryRun?: DryRun | null;
}

/** Where `distillery models make-tiny` writes the tiny base model. */
export const tinyModelDir = (dataDir: string): string => join(resolve(dataDir), 'models', 'tiny');

export async function startTraining(opts: StartTrainingOptions): Promise<RunningApp> {
  const { config } = opts;
  const dataDir = resolve(config.DISTILLERY_DATA_DIR);
  const store = new FileArtifactStore(join(dataDir, 'artifacts'));
  const dryRun = opts.dryRun === undefined ? ortDryRun(store) : opts.dryRun;
  const module = TrainingModule.forRoot(
    { version: DISTILLERY_VERSION, logger: opts.logger, eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) } },
    {
      store,
      models: { cacheDir: join(dataDir, 'models-cache'), endpoint: config.HF_ENDPOINT, ...(config.HF_TOKEN ? { token: config.HF_TOKEN } : {}), baseDir: process.cwd() },
      hardware: { cpu_cores: config.TRAINER_CPU_CORES ?? cpus().length, memory_bytes: config.TRAINER_MEMORY_BYTES ?? totalmem(), accelerators: [] },
      defaultBaseModel: config.DISTILLERY_BASE_MODEL ?? `file:${tinyModelDir(dataDir)}`,
      preflightMode: config.PREFLIGHT_MODE,
      ...(dryRun ? { dryRun } : {}),
    },
  );
  return startNestApp('training', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
}
