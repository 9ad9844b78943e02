export const API_OPTIONS = Symbol.for('distillery.ApiOptions');
import type { FileArtifactStore } from '@distillery/artifacts';
import type { OidcVerifier } from './auth/oidc.js';

export interface ApiOptions {
  readonly maxPageSize: number;
  /** Reports and manifests of clean / prepare tasks are read from here (the workspace's artifact store). */
  readonly artifacts: FileArtifactStore;
  /** Access: keys required (default) or, explicitly, disabled for local development; the bootstrap admin key's hash. */
  readonly auth: {
    readonly mode: 'required' | 'disabled';
    readonly adminKeySha256?: string;
    readonly adminName: string;
    /** Bearer JWTs from an OIDC issuer, verified against its keys (absent: API keys only). */
    readonly oidc?: OidcVerifier;
  };
}

export const IMPORTER = Symbol.for('distillery.Importer');
