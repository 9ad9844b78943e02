import { join, resolve } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { EventLog, Logger } from '@distillery/eventlog';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { EvaluationConfig } from './config.js';
import { EvaluationModule } from './evaluation.module.js';

export interface StartEvaluationOptions {
  readonly config: EvaluationConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  readonly http: boolean;
}

export async function startEvaluation(opts: StartEvaluationOptions): Promise<RunningApp> {
  const { config } = opts;
  const dataDir = resolve(config.DISTILLERY_DATA_DIR);
  const module = EvaluationModule.forRoot(
    { version: DISTILLERY_VERSION, logger: opts.logger, eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) } },
    {
      store: new FileArtifactStore(join(dataDir, 'artifacts')),
      models: { cacheDir: join(dataDir, 'models-cache'), endpoint: config.HF_ENDPOINT, ...(config.HF_TOKEN ? { token: config.HF_TOKEN } : {}), baseDir: process.cwd() },
      threads: config.EVAL_THREADS,
      maxRows: config.EVAL_MAX_ROWS,
      maxNewTokens: config.EVAL_MAX_NEW_TOKENS,
      judgeTimeoutMs: config.EVAL_JUDGE_TIMEOUT_MS,
      progressEveryMs: config.PROGRESS_EVERY_MS,
    },
  );
  return startNestApp('evaluation', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
}
