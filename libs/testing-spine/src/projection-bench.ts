import { openDatabase, type DatabaseHandle } from '@distillery/db';
import { EventLog, buildTopology, type EventPublisher } from '@distillery/eventlog';
import { natsService, postgresService, uniqueName, type ServiceHandle } from '@distillery/testing';

/** What a projection test on one SQL dialect needs: its own stream, a publisher, and a database of its own. */
export interface ProjectionBench {
  readonly log: EventLog;
  readonly pub: EventPublisher;
  readonly dbh: DatabaseHandle;
  /** Drops the schema (PostgreSQL), closes the database, deletes the stream and stops the services. Stop runners first. */
  stop(): Promise<void>;
}

/**
 * A stream of its own on the real NATS (topology applied) and, per dialect, a PostgreSQL schema of its own or an
 * in-memory PGlite database — the setup of every "projection on both dialects" test (`describe.each(['postgres',
 * 'pglite'])`). `subjectPrefix` when the test publishes raw messages under it.
 */
export async function projectionBench(name: string, dialect: 'postgres' | 'pglite', opts: { subjectPrefix?: string } = {}): Promise<ProjectionBench> {
  const tag = name.replace(/[^A-Za-z0-9]+/g, '_'); // stream, subject and schema names take no dashes
  const nats: ServiceHandle = await natsService();
  const topology = buildTopology({ streamName: uniqueName(tag).toUpperCase(), subjectPrefix: opts.subjectPrefix ?? uniqueName(tag), consumers: [] });
  const log = await EventLog.connect({ url: nats.url, name: `${name}-test`, topology });
  await log.applyTopology();
  const pub = log.publisher({ app: 'test', version: '1' });
  const schema = uniqueName(tag);
  let pg: ServiceHandle | undefined;
  let dbh: DatabaseHandle;
  if (dialect === 'postgres') {
    pg = await postgresService();
    dbh = await openDatabase({ url: pg.url, schema });
  } else {
    dbh = await openDatabase({ dataDir: 'memory://' });
  }
  return {
    log,
    pub,
    dbh,
    async stop() {
      if (dialect === 'postgres') await dbh.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await dbh.close();
      await log.jsm.streams.delete(topology.stream.name).catch(() => undefined);
      await log.close();
      await pg?.stop();
      await nats.stop();
    },
  };
}
