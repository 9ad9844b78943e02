// Standalone entry: `node dist/apps/evaluation/src/main.js` (or `distillery serve evaluation`).
import { runStandalone } from '@distillery/platform-nest';
import { parseEvaluationConfig } from './config.js';

await runStandalone('evaluation', parseEvaluationConfig, async (config, logger) => {
  const { startEvaluation } = await import('./start.js');
  return startEvaluation({ config, logger, http: true });
});
