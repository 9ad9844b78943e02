// Standalone entry: `node dist/apps/api/src/main.js` (or `distillery serve api`).
import { runStandalone } from '@distillery/platform-nest';
import { parseApiConfig } from './config.js';

await runStandalone('api', parseApiConfig, async (config, logger) => {
  const { startApi } = await import('./start.js');
  return startApi({ config, logger });
});
