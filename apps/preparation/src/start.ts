import { join, resolve } from 'node:path';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import { FileArtifactStore } from '@distillery/artifacts';
import type { EventLog, Logger } from '@distillery/eventlog';
import { createMapperRegistry } from '@distillery/mappers';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { PreparationConfig } from './config.js';
import { PreparationModule } from './preparation.module.js';

export interface StartPreparationOptions {
  readonly config: PreparationConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  readonly http: boolean;
}

export async function startPreparation(opts: StartPreparationOptions): Promise<RunningApp> {
  const { config } = opts;
  const dataDir = resolve(config.DISTILLERY_DATA_DIR);
  // No database: the jobs read and write artifacts and talk only through events.
  const module = PreparationModule.forRoot(
    {
      version: DISTILLERY_VERSION,
      logger: opts.logger,
      eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) },
    },
    { store: new FileArtifactStore(join(dataDir, 'artifacts')), mappers: createMapperRegistry(), dataDir, progressEveryMs: config.PROGRESS_EVERY_MS },
  );
  return startNestApp('preparation', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
}
