// Standalone entry: `node dist/apps/training/src/main.js` (or `distillery serve training`).
import { runStandalone } from '@distillery/platform-nest';
import { parseTrainingConfig } from './config.js';

await runStandalone('training', parseTrainingConfig, async (config, logger) => {
  const { startTraining } = await import('./start.js');
  return startTraining({ config, logger, http: true });
});
