// Standalone entry: `node dist/apps/preparation/src/main.js` (or `distillery serve preparation`).
import { runStandalone } from '@distillery/platform-nest';
import { parsePreparationConfig } from './config.js';

await runStandalone('preparation', parsePreparationConfig, async (config, logger) => {
  const { startPreparation } = await import('./start.js');
  return startPreparation({ config, logger, http: true });
});
