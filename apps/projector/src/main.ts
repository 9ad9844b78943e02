// Standalone entry: `node dist/apps/projector/src/main.js` (or `distillery serve projector`).
import { runStandalone } from '@distillery/platform-nest';
import { parseProjectorConfig } from './config.js';

await runStandalone('projector', parseProjectorConfig, async (config, logger) => {
  const { startProjector } = await import('./start.js');
  return startProjector({ config, logger, http: true });
});
