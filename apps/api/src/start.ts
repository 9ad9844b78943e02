import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, Logger } from '@distillery/eventlog';
import { FileArtifactStore } from '@distillery/artifacts';
import { artifactsDir, importerFromConfig } from '@distillery/importer';
import { startNestApp, topologyFromConfig, type RunningApp } from '@distillery/platform-nest';
import { ApiModule } from './api.module.js';
import type { ApiConfig } from './config.js';
import { sha256Hex } from './auth/keys.js';
import { OidcVerifier } from './auth/oidc.js';

export interface StartApiOptions {
  readonly config: ApiConfig;
  readonly logger: Logger;
  readonly eventLog?: EventLog;
  readonly database?: DatabaseHandle;
}

export async function startApi(opts: StartApiOptions): Promise<RunningApp> {
  const { config } = opts;
  if (config.DISTILLERY_AUTH === 'disabled') opts.logger.warn('DISTILLERY_AUTH=disabled: the API accepts every request without a key, as user:anonymous with admin rights. Local development only.');
  const module = ApiModule.forRoot(
    {
      version: DISTILLERY_VERSION,
      logger: opts.logger,
      eventLog: opts.eventLog ?? { url: config.NATS_URL, topology: topologyFromConfig(config) },
      database: opts.database ?? { url: config.DATABASE_URL, dataDir: config.DISTILLERY_DATA_DIR, schema: config.DATABASE_SCHEMA },
    },
    {
      maxPageSize: config.API_MAX_PAGE_SIZE,
      artifacts: new FileArtifactStore(artifactsDir(config)),
      auth: {
        mode: config.DISTILLERY_AUTH,
        adminName: config.DISTILLERY_ADMIN_NAME,
        ...(config.DISTILLERY_ADMIN_KEY ? { adminKeySha256: sha256Hex(config.DISTILLERY_ADMIN_KEY) } : {}),
        ...(config.DISTILLERY_OIDC_ISSUER
          ? {
              oidc: new OidcVerifier({
                issuer: config.DISTILLERY_OIDC_ISSUER,
                audience: config.DISTILLERY_OIDC_AUDIENCE!,
                rolesClaim: config.DISTILLERY_OIDC_ROLES_CLAIM,
                ...(config.DISTILLERY_OIDC_JWKS_URI ? { jwksUri: config.DISTILLERY_OIDC_JWKS_URI } : {}),
              }),
            }
          : {}),
      },
    },
    await importerFromConfig(config),
  );
  return startNestApp('api', module, { port: config.PORT, host: config.HOST });
}
