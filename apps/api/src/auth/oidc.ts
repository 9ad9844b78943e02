import { createPublicKey, constants, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { actorOf, ROLES, type Grants, type Role } from './keys.js';
import type { Principal } from './api-keys.service.js';

/**
 * OIDC bearer tokens: a JWT signed by the configured issuer, verified against the issuer's published keys (JWKS)
 * with node:crypto — no JWT library. Roles come from one claim (ADR 0013, addendum):
 *
 * - an object `{ "<project>" | "*": "viewer" | "engineer" | "admin" }`, or
 * - a list of `"<project>:<role>"` strings (`"*:admin"`), the shape identity providers emit for groups / roles.
 *
 * Entries that are not a known role are ignored (a token with none gets 403 on every project, never a default role).
 * Asymmetric algorithms only: `none` and the HMAC family are refused, so a public key can never be used as a shared
 * secret (the algorithm-confusion attack).
 */

export interface OidcOptions {
  /** The `iss` the tokens must carry, exactly (also where discovery starts: `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  /** The `aud` the tokens must carry (or contain). */
  readonly audience: string;
  /** The claim holding the roles (default `distillery_roles`). */
  readonly rolesClaim?: string;
  /** JWKS location; discovered from the issuer when absent. */
  readonly jwksUri?: string;
  /** Clock skew allowed on `exp` / `nbf` / `iat`, seconds (default 60). */
  readonly leewaySeconds?: number;
  /** How long fetched keys are trusted before they are fetched again (default 10 minutes). */
  readonly jwksTtlMs?: number;
  /** Least time between two fetches prompted by an unknown `kid` (default 30 s), so garbage tokens cannot flood the issuer. */
  readonly minRefreshMs?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/** Why a token was refused; the message is safe to return to the caller (it names no key material). */
export class OidcTokenError extends Error {
  override readonly name = 'OidcTokenError';
}

const ALGORITHMS: Readonly<Record<string, { hash: string | null; kty: string; pss?: boolean; ec?: boolean }>> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', ec: true },
  ES384: { hash: 'sha384', kty: 'EC', ec: true },
  ES512: { hash: 'sha512', kty: 'EC', ec: true },
  EdDSA: { hash: null, kty: 'OKP' },
};

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether a bearer credential has the shape of a JWT (three base64url parts), as opposed to an API key. */
export const looksLikeJwt = (credential: string): boolean => JWT.test(credential);

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new OidcTokenError(`the token's ${what} is not a base64url JSON object`);
}

/** Grants from the roles claim's value (object or `project:role` list); unknown roles are dropped. */
export function grantsFromClaim(value: unknown): Grants {
  const out: Record<string, Role> = {};
  const put = (project: string, role: unknown) => {
    if (project.length === 0 || typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return;
    const prev = out[project];
    if (prev === undefined || ROLES.indexOf(role as Role) > ROLES.indexOf(prev)) out[project] = role as Role;
  };
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (typeof entry !== 'string') continue;
      const at = entry.lastIndexOf(':');
      if (at > 0) put(entry.slice(0, at), entry.slice(at + 1));
    }
  } else if (value && typeof value === 'object') {
    for (const [project, role] of Object.entries(value)) put(project, role);
  }
  return out;
}

interface Jwks {
  readonly keys: ReadonlyMap<string, { readonly key: KeyObject; readonly kty: string; readonly alg?: string }>;
  readonly anonymous: ReadonlyArray<{ readonly key: KeyObject; readonly kty: string; readonly alg?: string }>;
  readonly fetchedAt: number;
}

export class OidcVerifier {
  private jwks: Jwks | undefined;
  private loading: Promise<Jwks> | undefined;
  private lastFetchAt = 0;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: OidcOptions) {
    if (!/^https?:\/\//.test(options.issuer)) throw new Error(`OIDC issuer must be an http(s) URL, got '${options.issuer}'`);
    if (options.audience.length === 0) throw new Error('OIDC audience must not be empty');
    this.now = options.now ?? Date.now;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** The caller a valid token names, or an OidcTokenError saying what is wrong with it. */
  async verify(token: string): Promise<Principal> {
    if (!looksLikeJwt(token)) throw new OidcTokenError('the credential is not a JWT');
    const [h, p, s] = token.split('.') as [string, string, string];
    const header = decodePart(h, 'header');
    const alg = header['alg'];
    const spec = typeof alg === 'string' ? ALGORITHMS[alg] : undefined;
    if (!spec) throw new OidcTokenError(`the token's algorithm '${String(alg)}' is not accepted (asymmetric only: ${Object.keys(ALGORITHMS).join(', ')})`);
    const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
    const key = await this.keyFor(kid, spec.kty, alg as string);
    const signed = Buffer.from(`${h}.${p}`, 'ascii');
    const signature = Buffer.from(s, 'base64url');
    const ok = verifySignature(
      spec.hash,
      signed,
      spec.pss
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : spec.ec
          ? { key, dsaEncoding: 'ieee-p1363' }
          : key,
      signature,
    );
    if (!ok) throw new OidcTokenError('the token signature does not verify');
    const claims = decodePart(p, 'payload');
    this.checkClaims(claims);
    const who = [claims['preferred_username'], claims['email'], claims['sub']].find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!who) throw new OidcTokenError('the token names no subject (sub)');
    return { actor: actorOf(who), grants: grantsFromClaim(claims[this.options.rolesClaim ?? 'distillery_roles']), name: who };
  }

  private checkClaims(claims: Record<string, unknown>): void {
    const now = this.now() / 1000;
    const leeway = this.options.leewaySeconds ?? 60;
    if (claims['iss'] !== this.options.issuer) throw new OidcTokenError(`the token's issuer '${String(claims['iss'])}' is not '${this.options.issuer}'`);
    const aud = claims['aud'];
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(this.options.audience)) throw new OidcTokenError(`the token is not for audience '${this.options.audience}'`);
    const exp = claims['exp'];
    if (typeof exp !== 'number') throw new OidcTokenError('the token has no expiry (exp)');
    if (now > exp + leeway) throw new OidcTokenError(`the token expired at ${new Date(exp * 1000).toISOString()}`);
    const nbf = claims['nbf'];
    if (typeof nbf === 'number' && now + leeway < nbf) throw new OidcTokenError(`the token is not valid before ${new Date(nbf * 1000).toISOString()}`);
    const iat = claims['iat'];
    if (typeof iat === 'number' && now + leeway < iat) throw new OidcTokenError('the token was issued in the future (iat)');
  }

  /** The verification key for a token: by `kid`, refetching the JWKS once when the kid is new (key rotation). */
  private async keyFor(kid: string | undefined, kty: string, alg: string): Promise<KeyObject> {
    const pick = (jwks: Jwks) => {
      const candidates = kid !== undefined ? [jwks.keys.get(kid)].filter((k) => k !== undefined) : [...jwks.keys.values(), ...jwks.anonymous];
      return candidates.find((k) => k.kty === kty && (k.alg === undefined || k.alg === alg));
    };
    let jwks = await this.currentJwks();
    let found = pick(jwks);
    if (!found && this.now() - this.lastFetchAt >= (this.options.minRefreshMs ?? 30_000)) {
      jwks = await this.currentJwks(true);
      found = pick(jwks);
    }
    if (!found) {
      if (kid !== undefined && jwks.keys.has(kid)) throw new OidcTokenError(`the issuer's key '${kid}' is not a ${kty} key for ${alg} tokens`);
      throw new OidcTokenError(kid !== undefined ? `the token was signed by a key the issuer does not publish (kid '${kid}')` : `no ${kty} key of the issuer verifies ${alg} tokens`);
    }
    return found.key;
  }

  private async currentJwks(force = false): Promise<Jwks> {
    const fresh = this.jwks && this.now() - this.jwks.fetchedAt < (this.options.jwksTtlMs ?? 600_000);
    if (fresh && !force) return this.jwks!;
    this.loading ??= this.loadJwks().finally(() => (this.loading = undefined));
    try {
      this.jwks = await this.loading;
    } catch (err) {
      if (this.jwks) return this.jwks; // the issuer is unreachable: keep verifying with the keys we have
      throw new OidcTokenError(`the issuer's keys could not be fetched: ${(err as Error).message}`);
    }
    return this.jwks;
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    const res = await this.fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
    const body = (await res.json()) as unknown;
    if (!body || typeof body !== 'object') throw new Error(`GET ${url} did not answer a JSON object`);
    return body as Record<string, unknown>;
  }

  private async loadJwks(): Promise<Jwks> {
    this.lastFetchAt = this.now();
    let uri = this.options.jwksUri;
    if (!uri) {
      const discovery = await this.getJson(`${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
      if (discovery['issuer'] !== this.options.issuer) throw new Error(`the discovery document names issuer '${String(discovery['issuer'])}', not '${this.options.issuer}'`);
      if (typeof discovery['jwks_uri'] !== 'string') throw new Error('the discovery document has no jwks_uri');
      uri = discovery['jwks_uri'];
    }
    const body = await this.getJson(uri);
    if (!Array.isArray(body['keys'])) throw new Error(`${uri} has no keys array`);
    const keys = new Map<string, { key: KeyObject; kty: string; alg?: string }>();
    const anonymous: Array<{ key: KeyObject; kty: string; alg?: string }> = [];
    for (const jwk of body['keys'] as Array<Record<string, unknown>>) {
      if (jwk['use'] !== undefined && jwk['use'] !== 'sig') continue;
      if (typeof jwk['kty'] !== 'string' || !['RSA', 'EC', 'OKP'].includes(jwk['kty'])) continue; // never 'oct' (shared secrets)
      let key: KeyObject;
      try {
        key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      } catch {
        continue; // a key this runtime cannot import is skipped, not fatal for the others
      }
      const entry = { key, kty: jwk['kty'], ...(typeof jwk['alg'] === 'string' ? { alg: jwk['alg'] } : {}) };
      if (typeof jwk['kid'] === 'string') keys.set(jwk['kid'], entry);
      else anonymous.push(entry);
    }
    return { keys, anonymous, fetchedAt: this.now() };
  }
}
