// Standalone entry: `node dist/apps/export/src/main.js` (or `distillery serve export`).
import { runStandalone } from '@distillery/platform-nest';
import { parseExportConfig } from './config.js';

await runStandalone('export', parseExportConfig, async (config, logger) => {
  const { startExport } = await import('./start.js');
  return startExport({ config, logger, http: true });
});
