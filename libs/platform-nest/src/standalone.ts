import { ConfigError } from '@distillery/config';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import { EventLog, buildTopology } from '@distillery/eventlog';
import { createLogger, type StructuredLogger } from '@distillery/telemetry';
import { startProcessTelemetry, type RunningApp, type TelemetryConfig } from './bootstrap.js';

/**
 * Reports an invalid configuration as a `system_config_invalid` RunEvent when NATS can be reached (best effort,
 * 2 s), so the failure shows up in the timeline and failure views, not only in a pod's log.
 */
export async function reportConfigError(app: string, err: ConfigError, env = process.env): Promise<boolean> {
  const url = env['NATS_URL'] || 'nats://127.0.0.1:4222';
  // The stream settings themselves may be among the bad values: use them only when they look valid.
  const stream = /^[A-Z][A-Z0-9_-]{0,63}$/.test(env['DISTILLERY_STREAM'] ?? '') ? env['DISTILLERY_STREAM'] : undefined;
  const prefix = /^[a-z][a-z0-9_-]{0,63}$/.test(env['DISTILLERY_SUBJECT_PREFIX'] ?? '') ? env['DISTILLERY_SUBJECT_PREFIX'] : undefined;
  const topology = buildTopology({ streamName: stream, subjectPrefix: prefix, consumers: [] });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref());
  try {
    const log = await Promise.race([EventLog.connect({ url, name: `distillery-${app}-config`, topology }), timeout]);
    try {
      await Promise.race([
        log.publisher({ app, version: DISTILLERY_VERSION }).publish({
          reason_code: 'system_config_invalid',
          project_id: 'system',
          run_id: `config-${app}`,
          summary: err.message.slice(0, 500),
          severity: 'critical',
          payload: { app, issues: err.issues.map((i) => `${i.variable}: ${i.message}`) },
        }),
        timeout,
      ]);
      return true;
    } finally {
      await log.close();
    }
  } catch {
    return false;
  }
}

/**
 * Runs one app as its own process: parses its configuration once (a bad value stops it with a message naming the
 * variable, exit code 2), starts telemetry before the app's modules load, and stops cleanly on SIGINT / SIGTERM.
 */
export async function runStandalone<C extends TelemetryConfig & { LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' }>(
  app: string,
  parse: () => C,
  start: (config: C, logger: StructuredLogger) => Promise<RunningApp>,
): Promise<void> {
  let config: C;
  try {
    config = parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    await reportConfigError(app, err);
    process.exit(2);
  }
  const telemetry = startProcessTelemetry(app, config);
  const logger = createLogger(app, config.LOG_LEVEL);
  // The signal handlers go in before the app starts: a SIGTERM that lands while consumers are still attaching
  // waits for the start to finish and then stops cleanly, instead of killing the process mid-start.
  const starting = start(config, logger);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${app} stopping`, { signal });
    try {
      await (await starting).stop();
    } catch (err) {
      logger.error(`${app} did not stop cleanly`, { error: (err as Error).message });
      await telemetry.shutdown();
      process.exit(1);
    }
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const running = await starting;
  logger.info(`${app} started`, { url: running.url });
}
