import { DISTILLERY_VERSION } from '@distillery/contracts';
import { FileArtifactStore } from '@distillery/artifacts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, Logger } from '@distillery/eventlog';
import { artifactsDir, importerFromConfig } from '@distillery/importer';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { MappingConfig } from './config.js';
import { MappingModule } from './mapping.module.js';

export interface StartMappingOptions {
  readonly config: MappingConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  readonly database?: DatabaseHandle;
  readonly http: boolean;
}

export async function startMapping(opts: StartMappingOptions): Promise<RunningApp> {
  const { config } = opts;
  const module = MappingModule.forRoot(
    {
      version: DISTILLERY_VERSION,
      logger: opts.logger,
      eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) },
      database: opts.database ?? { url: config.DATABASE_URL, dataDir: config.DISTILLERY_DATA_DIR, schema: config.DATABASE_SCHEMA },
    },
    {
      ...(await importerFromConfig(config)),
      store: new FileArtifactStore(artifactsDir(config)),
      progressEveryMs: 2_000,
    },
  );
  return startNestApp('mapping', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
}
