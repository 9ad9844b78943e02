import { join, resolve } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import { openDatabase } from '@distillery/db';
import { EventLog } from '@distillery/eventlog';
import { topologyFromConfig } from '@distillery/platform-nest';
import { rebuildProjection, type RebuildResult } from '@distillery/projection-runtime';
import { projectionByName } from '@distillery/app-projector';
import type { CliConfig } from '../config.js';
import { ProgressBar } from '../render.js';

/**
 * Replays the log from sequence 0 into a new version of a projection and switches over when caught up.
 * Records the rebuild as a `projection_rebuilt` RunEvent.
 */
export async function rebuildCommand(config: CliConfig, name: string, json: boolean): Promise<RebuildResult> {
  const projection = projectionByName(name, { artifacts: new FileArtifactStore(join(resolve(config.DISTILLERY_DATA_DIR), 'artifacts')) });
  const log = await EventLog.connect({ url: config.NATS_URL, name: 'distillery-cli-rebuild', topology: topologyFromConfig(config) });
  const db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DISTILLERY_DATA_DIR, schema: config.DATABASE_SCHEMA });
  const bar = json ? undefined : new ProgressBar(`rebuild ${name}`);
  let lastDraw = 0;
  try {
    const result = await rebuildProjection(projection, {
      log,
      db: db.db,
      schema: db.schema,
      batchSize: 5_000,
      onProgress: (p) => {
        if (Date.now() - lastDraw > 200) {
          lastDraw = Date.now();
          bar?.update(p.seq, p.endSeq, 'events');
        }
      },
    });
    bar?.update(result.lastSeq, result.lastSeq, 'events');
    bar?.done();
    await log.publisher({ app: 'cli', version: DISTILLERY_VERSION }).publish({
      reason_code: 'projection_rebuilt',
      project_id: 'system',
      run_id: `rebuild-${name}`,
      summary: `projection ${name} rebuilt: v${result.fromVersion} → v${result.toVersion} from ${result.events} events in ${result.durationMs} ms`,
      payload: {
        projection: name,
        from_version: result.fromVersion,
        to_version: result.toVersion,
        events: result.events,
        duration_ms: result.durationMs,
      },
    });
    return result;
  } finally {
    await db.close();
    await log.close();
  }
}
