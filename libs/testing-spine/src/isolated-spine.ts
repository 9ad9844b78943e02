import { openDatabase } from '@distillery/db';
import { EventLog, buildTopology } from '@distillery/eventlog';
import { uniqueName, type ServiceHandle } from '@distillery/testing';

export interface IsolatedSpine {
  /** Environment for apps under test: the services' URLs plus a stream, subject prefix and schema of their own. */
  readonly env: Record<string, string>;
  /** A connection to the test's own stream, with its topology applied. */
  readonly log: EventLog;
  /** Deletes the stream and the schema, and closes the connection. */
  cleanup(): Promise<void>;
}

/** Gives one test file its own stream, subject prefix and PostgreSQL schema on the shared services. */
export async function isolatedSpine(name: string, nats: ServiceHandle, pg?: ServiceHandle, extraEnv: Record<string, string> = {}): Promise<IsolatedSpine> {
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    DISTILLERY_STREAM: uniqueName(name).toUpperCase(),
    DISTILLERY_SUBJECT_PREFIX: uniqueName(name),
    ...(pg ? { DATABASE_URL: pg.url, DATABASE_SCHEMA: uniqueName(name) } : {}),
    // Tests that are not about access run the API in its explicit local-development mode; the access tests set
    // DISTILLERY_AUTH=required (the API's default) themselves.
    DISTILLERY_AUTH: 'disabled',
    ...extraEnv,
  };
  const log = await EventLog.connect({
    url: nats.url,
    name: `test-${name}`,
    topology: buildTopology({ streamName: env['DISTILLERY_STREAM'], subjectPrefix: env['DISTILLERY_SUBJECT_PREFIX'] }),
  });
  await log.applyTopology();
  return {
    env,
    log,
    async cleanup() {
      if (pg) {
        const db = await openDatabase({ url: pg.url });
        await db.db.schema.dropSchema(env['DATABASE_SCHEMA']!).ifExists().cascade().execute();
        await db.close();
      }
      await log.jsm.streams.delete(env['DISTILLERY_STREAM']!).catch(() => undefined);
      await log.close();
    },
  };
}
