// Standalone entry: `node dist/apps/deployment/src/main.js` (or `distillery serve deployment`).
import { runStandalone } from '@distillery/platform-nest';
import { parseDeploymentConfig } from './config.js';

await runStandalone('deployment', parseDeploymentConfig, async (config, logger) => {
  const { startDeployment } = await import('./start.js');
  return startDeployment({ config, logger, http: true });
});
