import type { EventLog, Logger } from '@distillery/eventlog';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { DemoWorkerConfig } from './config.js';
import { DemoWorkerModule } from './demo-worker.module.js';

export interface StartDemoWorkerOptions {
  readonly config: DemoWorkerConfig;
  readonly logger: Logger;
  /** Share a connection with other apps of the same process; otherwise one is opened from NATS_URL. */
  readonly eventLog?: EventLog;
  /** Serve /health on PORT (standalone) or not (inside `distillery up`). */
  readonly http: boolean;
}

export function startDemoWorker(opts: StartDemoWorkerOptions): Promise<RunningApp> {
  const { config } = opts;
  const module = DemoWorkerModule.forRoot(
    {
      version: DISTILLERY_VERSION,
      logger: opts.logger,
      eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) },
    },
    { stepDelayMs: config.DEMO_STEP_DELAY_MS },
  );
  return startNestApp('demo-worker', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
}
