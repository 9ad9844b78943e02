/**
 * Real services for tests, never mocks: NATS_URL / DATABASE_URL when set (CI, developer machines),
 * otherwise testcontainers (laptops with Docker). Without either, a clear error says what to do.
 */
export interface ServiceHandle {
  readonly url: string;
  stop(): Promise<void>;
}

const noDocker = (what: string, env: string, err: unknown) =>
  new Error(
    `No ${env} set and no container runtime to start ${what} (${(err as Error).message}). ` +
      `Set ${env} (e.g. ${env === 'NATS_URL' ? 'nats://127.0.0.1:4222 with -js' : 'postgres://postgres@127.0.0.1:5432/test'}) or start Docker.`,
  );

export async function natsService(): Promise<ServiceHandle> {
  const url = process.env['NATS_URL'];
  if (url) return { url, stop: async () => {} };
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const c = await new GenericContainer('nats:2.11-alpine')
      .withCommand(['-js'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .start();
    return { url: `nats://${c.getHost()}:${c.getMappedPort(4222)}`, stop: async () => void (await c.stop()) };
  } catch (err) {
    throw noDocker('NATS', 'NATS_URL', err);
  }
}

export async function postgresService(): Promise<ServiceHandle> {
  const url = process.env['DATABASE_URL'];
  if (url) return { url, stop: async () => {} };
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const c = await new PostgreSqlContainer('postgres:15-alpine').start();
    return { url: c.getConnectionUri(), stop: async () => void (await c.stop()) };
  } catch (err) {
    throw noDocker('PostgreSQL', 'DATABASE_URL', err);
  }
}

let counter = 0;
/** A name unique to this test run: each test file gets its own stream, subject prefix and schema. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`.toLowerCase();
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
