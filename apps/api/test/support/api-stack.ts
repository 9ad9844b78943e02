/**
 * The API as its HTTP tests run it: real NATS and PostgreSQL, an isolated stream / schema (libs/testing-spine), the
 * projector (the API reads its views) and the API itself, in this process. One place for the setup that every
 * apps/api HTTP test shares; each test adds only what is its own (environment, fixtures, helpers).
 */
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import type { RunningApp } from '@distillery/platform-nest';
import { parseProjectorConfig, startProjector } from '@distillery/app-projector';
import { createLogger } from '@distillery/telemetry';
import { natsService, postgresService, type ServiceHandle } from '@distillery/testing';
import { isolatedSpine, type IsolatedSpine } from '@distillery/testing-spine';
import { parseApiConfig, startApi } from '../../src/index.js';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON (undefined for an empty body). */
  readonly body: Record<string, unknown>;
}

export interface ApiStack {
  readonly spine: IsolatedSpine;
  readonly db: DatabaseHandle;
  readonly base: string;
  /** One HTTP request; `token` goes in `Authorization: Bearer`, `body` as JSON. */
  call(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse>;
  stop(): Promise<void>;
}

/** Starts NATS + PostgreSQL services, an isolated spine named `name` with `env` (PORT 0 by default), projector and API. */
export async function startApiStack(name: string, env: Record<string, string> = {}): Promise<ApiStack> {
  const nats: ServiceHandle = await natsService();
  const pg: ServiceHandle = await postgresService();
  const spine = await isolatedSpine(name, nats, pg, { PORT: '0', ...env });
  const config = parseApiConfig(spine.env);
  const db = await openDatabase({ url: pg.url, schema: config.DATABASE_SCHEMA });
  const logger = createLogger(`${name}-test`, 'error');
  const apps: RunningApp[] = [];
  apps.push(await startProjector({ config: parseProjectorConfig(spine.env), logger, eventLog: spine.log, database: db, http: false }));
  const api = await startApi({ config, logger, eventLog: spine.log, database: db });
  apps.push(api);
  const base = api.url!;
  return {
    spine,
    db,
    base,
    async call(method, path, opts = {}) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        // not JSON (an export, a download): read `text`
      }
      return { status: res.status, headers: res.headers, text, body };
    },
    async stop() {
      for (const a of apps.reverse()) await a.stop();
      await db.close();
      await spine.cleanup();
      await pg.stop();
      await nats.stop();
    },
  };
}
