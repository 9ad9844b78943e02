import { openDatabase, type DatabaseHandle } from '@distillery/db';
import { EventLog } from '@distillery/eventlog';
import { topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import type { StructuredLogger } from '@distillery/telemetry';
import { parseApiConfig, startApi } from '@distillery/app-api';
import { parseDemoWorkerConfig, startDemoWorker } from '@distillery/app-demo-worker';
import { parseMappingConfig, startMapping } from '@distillery/app-mapping';
import { parsePreparationConfig, startPreparation } from '@distillery/app-preparation';
import { parseTrainerConfig, startTrainer } from '@distillery/app-trainer';
import { parseTrainingConfig, startTraining } from '@distillery/app-training';
import { parseEvaluationConfig, startEvaluation } from '@distillery/app-evaluation';
import { parseExportConfig, startExport } from '@distillery/app-export';
import { parseDeploymentConfig, startDeployment } from '@distillery/app-deployment';
import { parseProjectorConfig, startProjector, type ProjectorService } from '@distillery/app-projector';
import { ensureLocalKey } from './local-key.js';
import { ensureNats, type EmbeddedNats } from './nats-server.js';
import type { CliConfig } from './config.js';

export interface RunningSystem {
  readonly apiUrl: string;
  /** The admin key the CLI uses against this system's API (undefined when access control is disabled). */
  readonly apiKey?: string;
  /** The built-in runner's OpenAI-compatible API (`/v1/...`). */
  readonly runnerUrl: string;
  readonly log: EventLog;
  readonly db: DatabaseHandle;
  readonly projector: ProjectorService;
  readonly nats: EmbeddedNats;
  stop(): Promise<void>;
}

/**
 * `distillery up`: every app in one process against one NATS server (started from PATH when none answers) and one
 * database (embedded PGlite unless DATABASE_URL is set). The same modules run as separate Deployments in production.
 */
export async function startSystem(
  config: CliConfig,
  logger: StructuredLogger,
  say: (msg: string) => void,
  /** Environment the in-process apps parse their configuration from (the CLI may add to the process's). */
  env: Record<string, string | undefined> = process.env,
): Promise<RunningSystem> {
  const nats = await ensureNats(config.NATS_URL, config.DISTILLERY_DATA_DIR, say);
  const apps: RunningApp[] = [];
  let log: EventLog | undefined;
  let db: DatabaseHandle | undefined;
  const stop = async () => {
    for (const app of apps.reverse()) await app.stop().catch((err) => logger.error('stop failed', { app: app.name, err: String(err) }));
    await db?.close();
    await log?.close();
    await nats.stop();
  };
  try {
    log = await EventLog.connect({ url: nats.url, name: 'distillery-up', topology: topologyFromConfig(config) });
    const report = await log.applyTopology();
    say(`topology: stream ${report.stream.name} ${report.stream.action}, ${report.consumers.length} durable consumers`);
    db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DISTILLERY_DATA_DIR, schema: config.DATABASE_SCHEMA });
    say(`database: ${await db.serverVersion()}${config.DATABASE_URL ? '' : ` (embedded, ${config.DISTILLERY_DATA_DIR}/pglite)`}`);
    const projector = await startProjector({ config: parseProjectorConfig(env), logger, eventLog: log, database: db, http: false });
    apps.push(projector);
    apps.push(await startDemoWorker({ config: parseDemoWorkerConfig(env), logger, eventLog: log, http: false }));
    apps.push(await startMapping({ config: parseMappingConfig(env), logger, eventLog: log, database: db, http: false }));
    apps.push(await startPreparation({ config: parsePreparationConfig(env), logger, eventLog: log, http: false }));
    apps.push(await startTraining({ config: parseTrainingConfig(env), logger, eventLog: log, http: false }));
    apps.push(await startTrainer({ config: parseTrainerConfig(env), logger, eventLog: log, http: false }));
    apps.push(await startEvaluation({ config: parseEvaluationConfig(env), logger, eventLog: log, http: false }));
    apps.push(await startExport({ config: parseExportConfig(env), logger, eventLog: log, http: false }));
    // The built-in OpenAI-compatible runner: RUNNER_PORT when set, else any free port (printed by `up`).
    const deployment = await startDeployment({ config: parseDeploymentConfig({ ...env, RUNNER_PORT: env['RUNNER_PORT'] ?? '0', RUNNER_HOST: env['RUNNER_HOST'] ?? '127.0.0.1' }), logger, eventLog: log, http: false });
    apps.push(deployment);
    // Secure by default, also here: the API wants a key; the embedded default makes a local admin key (once, kept in
    // the data folder) unless the environment gives one or explicitly disables access control.
    let apiKey = env['DISTILLERY_ADMIN_KEY'];
    const apiEnv = { ...env };
    if (env['DISTILLERY_AUTH'] !== 'disabled' && !apiKey) {
      const local = ensureLocalKey(config.DISTILLERY_DATA_DIR);
      apiKey = local.key;
      Object.assign(apiEnv, { DISTILLERY_ADMIN_KEY: local.key, DISTILLERY_ADMIN_NAME: env['DISTILLERY_ADMIN_NAME'] ?? 'local-admin' });
      if (local.created) say(`API key (admin of every project; shown once, kept in ${local.path}): ${local.key}`);
    }
    const api = await startApi({ config: parseApiConfig(apiEnv), logger, eventLog: log, database: db });
    apps.push(api);
    return { apiUrl: api.url!, ...(env['DISTILLERY_AUTH'] !== 'disabled' && apiKey ? { apiKey } : {}), runnerUrl: deployment.runnerUrl, log, db, projector: projector.projector, nats, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
