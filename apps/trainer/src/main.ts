// Standalone entry: `node dist/apps/trainer/src/main.js` (or `distillery serve trainer`).
import { runStandalone } from '@distillery/platform-nest';
import { parseTrainerConfig } from './config.js';

await runStandalone('trainer', parseTrainerConfig, async (config, logger) => {
  const { startTrainer } = await import('./start.js');
  return startTrainer({ config, logger, http: true });
});
