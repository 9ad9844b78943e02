import { join, resolve } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { EventLog, Logger } from '@distillery/eventlog';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { DeploymentConfig } from './config.js';
import { DeploymentModule } from './deployment.module.js';
import { DeploymentService } from './deployment.service.js';
import { ModelLoader } from './model-loader.js';
import { configureRunnerHttp, RunnerHttpModule } from './runner.controller.js';
import { Runner } from './runner.js';

export interface StartDeploymentOptions {
  readonly config: DeploymentConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  /** Serve the health endpoints on PORT (the runner's OpenAI API is served on RUNNER_PORT either way). */
  readonly http: boolean;
}

export interface RunningDeployment extends RunningApp {
  /** The runner's base URL (`…/v1` is its OpenAI API). */
  readonly runnerUrl: string;
  readonly runner: Runner;
  readonly service: DeploymentService;
}

/**
 * Starts the deployment app: the built-in runner's HTTP API first (its own Fastify/Nest app on RUNNER_PORT, so the
 * smoke checks can call it), then the service that consumes the deployment requests and keeps the runner serving
 * the live versions. Stopping closes the service, then the runner's HTTP server (in-flight requests finish), then
 * the models.
 */
export async function startDeployment(opts: StartDeploymentOptions): Promise<RunningDeployment> {
  const { config } = opts;
  const dataDir = resolve(config.DISTILLERY_DATA_DIR);
  const store = new FileArtifactStore(join(dataDir, 'artifacts'));
  const runner = new Runner({ defaultMaxTokens: config.RUNNER_DEFAULT_MAX_TOKENS, maxTokensLimit: config.RUNNER_MAX_TOKENS_LIMIT, recentCapacity: config.RUNNER_RECENT_REQUESTS });
  const runnerApp = await startNestApp('deployment-runner', RunnerHttpModule.forRoot(runner, opts.logger), { port: config.RUNNER_PORT, host: config.RUNNER_HOST, configure: configureRunnerHttp });
  const port = new URL(runnerApp.url as string).port;
  const runnerUrl = config.RUNNER_URL ?? `http://127.0.0.1:${port}`;
  let app: RunningApp;
  try {
    const module = DeploymentModule.forRoot(
      { version: DISTILLERY_VERSION, logger: opts.logger, eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) } },
      {
        store,
        runner,
        loader: new ModelLoader(store, {
          cacheDir: join(dataDir, 'deployments-cache'),
          models: { cacheDir: join(dataDir, 'models-cache'), endpoint: config.HF_ENDPOINT, ...(config.HF_TOKEN ? { token: config.HF_TOKEN } : {}), baseDir: process.cwd() },
          threads: config.RUNNER_THREADS,
        }),
        runnerUrl,
        smoke: { prompts: config.SMOKE_PROMPTS, maxTokens: config.SMOKE_MAX_TOKENS },
        drift: { maxRows: config.DRIFT_MAX_ROWS, maxTokens: config.DRIFT_MAX_TOKENS, minRequests: config.DRIFT_MIN_REQUESTS, everyMs: config.DRIFT_CHECK_EVERY_MS },
      },
    );
    app = await startNestApp('deployment', module, opts.http ? { port: config.PORT, host: '0.0.0.0' } : undefined);
  } catch (err) {
    await runnerApp.stop();
    await runner.close();
    throw err;
  }
  return {
    name: 'deployment',
    context: app.context,
    ...(app.url ? { url: app.url } : {}),
    runnerUrl,
    runner,
    service: app.context.get(DeploymentService),
    async stop() {
      await app.stop();
      await runnerApp.stop();
      await runner.close();
    },
  };
}
