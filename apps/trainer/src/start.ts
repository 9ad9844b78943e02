import { cpus, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { EventLog, Logger } from '@distillery/eventlog';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { TrainerConfig } from './config.js';
import { TrainerModule } from './trainer.module.js';

export interface StartTrainerOptions {
  readonly config: TrainerConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  readonly http: boolean;
}

export async function startTrainer(opts: StartTrainerOptions): Promise<RunningApp> {
  const { config } = opts;
  const dataDir = resolve(config.DISTILLERY_DATA_DIR);
  const module = TrainerModule.forRoot(
    { version: DISTILLERY_VERSION, logger: opts.logger, eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) } },
    {
      store: new FileArtifactStore(join(dataDir, 'artifacts')),
      models: { cacheDir: join(dataDir, 'models-cache'), endpoint: config.HF_ENDPOINT, ...(config.HF_TOKEN ? { token: config.HF_TOKEN } : {}), baseDir: process.cwd() },
      threads: config.TRAINER_THREADS ?? Math.min(8, cpus().length),
      progressEveryMs: config.PROGRESS_EVERY_MS,
      workerId: config.TRAINER_WORKER_ID ?? `${hostname()}:${process.pid}`,
    },
  );
  return startNestApp('trainer', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
}
