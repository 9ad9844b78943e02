// Standalone entry: `node dist/apps/demo-worker/src/main.js` (or `distillery serve demo-worker`).
import { runStandalone } from '@distillery/platform-nest';
import { parseDemoWorkerConfig } from './config.js';

await runStandalone('demo-worker', parseDemoWorkerConfig, async (config, logger) => {
  const { startDemoWorker } = await import('./start.js');
  return startDemoWorker({ config, logger, http: true });
});
