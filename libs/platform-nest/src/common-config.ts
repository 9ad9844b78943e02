import { z } from 'zod';
import { logLevel, url } from '@distillery/config';

/** Variables every app reads. Each app extends this with its own, and parses once at start-up. */
export const commonConfigShape = {
  NATS_URL: url(['nats', 'tls', 'ws', 'wss']).default('nats://127.0.0.1:4222'),
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  /** PostgreSQL schema for every table (tables of several installations or test runs can share one database). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case schema name such as public')
    .default('public'),
  DISTILLERY_DATA_DIR: z.string().min(1).default('.distillery'),
  DISTILLERY_STREAM: z
    .string()
    .regex(/^[A-Z][A-Z0-9_-]{0,63}$/, 'expected an upper-case stream name such as RUNEVENTS')
    .default('RUNEVENTS'),
  DISTILLERY_SUBJECT_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'expected a lower-case subject token such as runevents')
    .default('runevents'),
  LOG_LEVEL: logLevel().default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http', 'https']).optional(),
  /**
   * NATS credentials of this service (one of; libs/eventlog natsAuthFromEnv reads them): a creds file (user JWT + nkey
   * seed), an nkey seed file, a user and password, or a token. Unset: no credentials (a server without auth).
   */
  NATS_CREDS_FILE: z.string().min(1).optional(),
  NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_TOKEN: z.string().min(1).optional(),
  /** Test hook: append every finished span as JSON lines to this file. */
  DISTILLERY_SPAN_FILE: z.string().min(1).optional(),
};

/** A listening port; 0 picks any free port (tests). */
export const portField = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((s) => /^\d{1,5}$/.test(s.trim()) && Number(s) <= 65535, 'expected a port from 0 to 65535')
    .transform(Number);
