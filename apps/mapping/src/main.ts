// Standalone entry: `node dist/apps/mapping/src/main.js` (or `distillery serve mapping`).
import { runStandalone } from '@distillery/platform-nest';
import { parseMappingConfig } from './config.js';

await runStandalone('mapping', parseMappingConfig, async (config, logger) => {
  const { startMapping } = await import('./start.js');
  return startMapping({ config, logger, http: true });
});
