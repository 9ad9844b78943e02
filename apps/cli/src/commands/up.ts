import type { StructuredLogger } from '@distillery/telemetry';
import type { CliConfig } from '../config.js';
import { color } from '../render.js';
import { startSystem, type RunningSystem } from '../system.js';

export async function upCommand(config: CliConfig, logger: StructuredLogger, say: (m: string) => void): Promise<RunningSystem> {
  const system = await startSystem(config, logger, say);
  say(color.green(`Distillery is up.`));
  say(`  API        ${system.apiUrl}   (OpenAPI: ${system.apiUrl}/api/openapi.json)`);
  say(`  Runner     ${system.runnerUrl}/v1   (OpenAI-compatible: serves each slot's promoted version)`);
  say(`  NATS       ${system.nats.url}${system.nats.child ? ' (started by distillery, stopped on exit)' : ''}`);
  say(`  try        curl -s -XPOST ${system.apiUrl}/api/demo-runs -H 'content-type: application/json' -d '{}'`);
  say(`             distillery events tail   |   distillery timeline <run_id>`);
  return system;
}
