import { join, resolve } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { EventLog, Logger } from '@distillery/eventlog';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { ExportConfig } from './config.js';
import type { ExportFaults } from './export-job.js';
import { ExportModule } from './export.module.js';

export interface StartExportOptions {
  readonly config: ExportConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  readonly http: boolean;
  /** Tests only: see ExportFaults. */
  readonly faults?: ExportFaults;
}

export async function startExport(opts: StartExportOptions): Promise<RunningApp> {
  const { config } = opts;
  const dataDir = resolve(config.DISTILLERY_DATA_DIR);
  const module = ExportModule.forRoot(
    { version: DISTILLERY_VERSION, logger: opts.logger, eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) } },
    {
      store: new FileArtifactStore(join(dataDir, 'artifacts')),
      models: { cacheDir: join(dataDir, 'models-cache'), endpoint: config.HF_ENDPOINT, ...(config.HF_TOKEN ? { token: config.HF_TOKEN } : {}), baseDir: process.cwd() },
      threads: config.EXPORT_THREADS,
      checkRows: config.EXPORT_CHECK_ROWS,
      maxNewTokens: config.EXPORT_MAX_NEW_TOKENS,
      ...(opts.faults ? { faults: opts.faults } : {}),
    },
  );
  return startNestApp('export', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
}
