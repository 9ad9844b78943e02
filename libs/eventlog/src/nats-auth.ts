import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator, type Authenticator } from '@nats-io/transport-node';

/**
 * How a service proves itself to NATS. One of: a creds file (user JWT + nkey seed, the decentralised-auth format
 * `nsc` writes), an nkey seed file, a user and password, or a token. Each service can have its own (a Kubernetes
 * Secret per Deployment), so the NATS server's permissions can limit what each one publishes and consumes.
 */
export interface NatsAuth {
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
}

/** The variables `natsAuthFromEnv` reads (the common config of every app validates them). */
export const NATS_AUTH_ENV = ['NATS_CREDS_FILE', 'NATS_NKEY_SEED_FILE', 'NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN'] as const;

export class NatsAuthConfigError extends Error {
  readonly code = 'EVENTLOG.AUTH_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'NatsAuthConfigError';
  }
}

/** NATS credentials from the environment (`NATS_CREDS_FILE`, `NATS_NKEY_SEED_FILE`, `NATS_USER` + `NATS_PASSWORD`, `NATS_TOKEN`). */
export function natsAuthFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): NatsAuth | undefined {
  const auth: NatsAuth = {
    ...(env['NATS_CREDS_FILE'] ? { credsFile: env['NATS_CREDS_FILE'] } : {}),
    ...(env['NATS_NKEY_SEED_FILE'] ? { nkeySeedFile: env['NATS_NKEY_SEED_FILE'] } : {}),
    ...(env['NATS_USER'] ? { user: env['NATS_USER'] } : {}),
    ...(env['NATS_PASSWORD'] ? { password: env['NATS_PASSWORD'] } : {}),
    ...(env['NATS_TOKEN'] ? { token: env['NATS_TOKEN'] } : {}),
  };
  return Object.keys(auth).length > 0 ? auth : undefined;
}

/** The client authenticator for `auth`; files are read now, so a missing or unreadable one fails at start, by name. */
export function natsAuthenticator(auth: NatsAuth): Authenticator {
  const kinds = [auth.credsFile && 'NATS_CREDS_FILE', auth.nkeySeedFile && 'NATS_NKEY_SEED_FILE', (auth.user || auth.password) && 'NATS_USER/NATS_PASSWORD', auth.token && 'NATS_TOKEN'].filter(Boolean);
  if (kinds.length > 1) throw new NatsAuthConfigError(`NATS credentials: set one of ${kinds.join(', ')}, not several`);
  const read = (file: string, what: string): Uint8Array => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new NatsAuthConfigError(`${what} ${file}: ${(err as Error).message}`);
    }
  };
  if (auth.credsFile) return credsAuthenticator(read(auth.credsFile, 'NATS_CREDS_FILE'));
  if (auth.nkeySeedFile) return nkeyAuthenticator(new TextEncoder().encode(new TextDecoder().decode(read(auth.nkeySeedFile, 'NATS_NKEY_SEED_FILE')).trim()));
  if (auth.user !== undefined || auth.password !== undefined) {
    if (!auth.user || !auth.password) throw new NatsAuthConfigError('NATS credentials: NATS_USER and NATS_PASSWORD go together');
    return usernamePasswordAuthenticator(auth.user, auth.password);
  }
  if (auth.token) return tokenAuthenticator(auth.token);
  throw new NatsAuthConfigError('NATS credentials: none given');
}
