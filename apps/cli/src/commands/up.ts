import type { StructuredLogger } from '@distillery/telemetry';
import type { CliConfig } from '../config.js';
import { color } from '../render.js';
import { localKeyPath } from '../local-key.js';
import { startSystem, type RunningSystem } from '../system.js';

export async function upCommand(config: CliConfig, logger: StructuredLogger, say: (m: string) => void): Promise<RunningSystem> {
  const system = await startSystem(config, logger, say);
  say(color.green(`Distillery is up.`));
  say(`  API        ${system.apiUrl}   (OpenAPI: ${system.apiUrl}/api/openapi.json)`);
  say(`  Runner     ${system.runnerUrl}/v1   (OpenAI-compatible: serves each slot's promoted version)`);
  say(`  NATS       ${system.nats.url}${system.nats.child ? ' (started by distillery, stopped on exit)' : ''}`);
  const auth = system.apiKey ? ` -H "authorization: Bearer $(cat ${localKeyPath(config.DISTILLERY_DATA_DIR)})"` : '';
  say(`  Access     ${system.apiKey ? `API key required (admin key in ${localKeyPath(config.DISTILLERY_DATA_DIR)}; the CLI sends it; \`distillery keys create\` makes more)` : color.yellow('DISTILLERY_AUTH=disabled: no keys, every caller is an anonymous admin')}`);
  say(`  try        curl -s -XPOST ${system.apiUrl}/api/demo-runs -H 'content-type: application/json'${auth} -d '{}'`);
  say(`             distillery events tail   |   distillery timeline <run_id>`);
  return system;
}
