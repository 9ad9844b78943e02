import { join, resolve } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, Logger } from '@distillery/eventlog';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { ProjectorConfig } from './config.js';
import { ProjectorModule } from './projector.module.js';
import { ProjectorService } from './projector.service.js';

export interface StartProjectorOptions {
  readonly config: ProjectorConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  /** Shared with other apps of the process (required for embedded PGlite: one opener per data dir). */
  readonly database?: DatabaseHandle;
  readonly http: boolean;
}

export async function startProjector(opts: StartProjectorOptions): Promise<RunningApp & { projector: ProjectorService }> {
  const { config } = opts;
  const module = ProjectorModule.forRoot(
    {
      version: DISTILLERY_VERSION,
      logger: opts.logger,
      eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) },
      database: opts.database ?? { url: config.DATABASE_URL, dataDir: config.DISTILLERY_DATA_DIR, schema: config.DATABASE_SCHEMA },
    },
    { batchSize: config.PROJECTOR_BATCH_SIZE, artifacts: new FileArtifactStore(join(resolve(config.DISTILLERY_DATA_DIR), 'artifacts')) },
  );
  const running = await startNestApp('projector', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
  return { ...running, projector: running.context.get(ProjectorService) };
}
