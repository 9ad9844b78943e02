/**
 * OIDC bearer tokens: the verifier against a real HTTP issuer (discovery document + JWKS served by a local server,
 * tokens signed with node:crypto keys made here), then the API over HTTP with real NATS and PostgreSQL — roles from
 * the token's claim, the token's user as the events' actor, and a refused token naming why.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, createHmac, sign, constants, type KeyObject } from 'node:crypto';
import { parseApiConfig } from '../src/index.js';
import { startApiStack, type ApiStack } from './support/api-stack.js';
import { grantsFromClaim, looksLikeJwt, OidcTokenError, OidcVerifier } from '../src/auth/oidc.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

function makeKey(kid: string, alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA'): SigningKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg, privateKey: pair.privateKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg } };
}

function signJwt(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })}.${b64(claims)}`;
  const data = Buffer.from(input);
  const sig =
    key.alg === 'ES256'
      ? sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : key.alg === 'EdDSA'
        ? sign(null, data, key.privateKey)
        : key.alg === 'PS256'
          ? sign('sha256', data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
          : sign('sha256', data, key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

/** A minimal OIDC issuer: discovery + JWKS over HTTP, counting JWKS fetches; its published keys can change. */
async function startIssuer(): Promise<{ url: string; publish: (keys: SigningKey[]) => void; jwksFetches: () => number; close: () => Promise<void> }> {
  let keys: SigningKey[] = [];
  let fetches = 0;
  let url = '';
  const server: Server = createServer((req, res) => {
    if (req.url === '/realms/test/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: `${url}/realms/test`, jwks_uri: `${url}/realms/test/certs` }));
    } else if (req.url === '/realms/test/certs') {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, publish: (k) => (keys = k), jwksFetches: () => fetches, close: () => new Promise((r) => server.close(() => r())) };
}

describe('OIDC tokens', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  const rsa = makeKey('rsa-1', 'RS256');
  const ec = makeKey('ec-1', 'ES256');
  const ed = makeKey('ed-1', 'EdDSA');
  const pss = makeKey('pss-1', 'PS256');
  const now = () => Math.floor(Date.now() / 1000);
  let iss = '';
  const claims = (extra: Record<string, unknown> = {}) => ({ iss, aud: 'distillery-api', sub: 'u-1', preferred_username: 'olga', exp: now() + 300, iat: now(), distillery_roles: ['support:engineer', '*:viewer'], ...extra });

  beforeAll(async () => {
    issuer = await startIssuer();
    iss = `${issuer.url}/realms/test`;
    issuer.publish([rsa, ec, ed, pss]);
  });
  afterAll(async () => issuer.close());

  describe('the verifier', () => {
    const verifier = () => new OidcVerifier({ issuer: iss, audience: 'distillery-api', minRefreshMs: 0 });

    it('accepts tokens signed with RS256, PS256, ES256 and EdDSA keys it discovers, with roles from the claim', async () => {
      const v = verifier();
      for (const key of [rsa, pss, ec, ed]) {
        const p = await v.verify(signJwt(key, claims()));
        expect(p).toEqual({ actor: 'user:olga', name: 'olga', grants: { support: 'engineer', '*': 'viewer' } });
      }
    });

    it('refuses what it must, naming why', async () => {
      const v = verifier();
      const reason = async (token: string) => v.verify(token).then(() => 'accepted', (err: Error) => (err instanceof OidcTokenError ? err.message : `other: ${err.message}`));
      expect(await reason(signJwt(rsa, claims({ exp: now() - 120 })))).toMatch(/expired at/);
      expect(await reason(signJwt(rsa, claims({ aud: 'someone-else' })))).toMatch(/not for audience 'distillery-api'/);
      expect(await reason(signJwt(rsa, claims({ iss: 'https://evil.example/realms/test' })))).toMatch(/issuer .* is not/);
      expect(await reason(signJwt(rsa, claims({ nbf: now() + 600 })))).toMatch(/not valid before/);
      expect(await reason(signJwt(rsa, claims({ exp: undefined })))).toMatch(/no expiry/);
      // Tampered payload: a viewer makes itself admin.
      const [h, , s] = signJwt(rsa, claims()).split('.');
      expect(await reason(`${h}.${b64(claims({ distillery_roles: ['*:admin'] }))}.${s}`)).toMatch(/signature does not verify/);
      // alg none and HMAC with the public key as the secret (algorithm confusion) are refused before any key is used.
      expect(await reason(`${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(claims())}.`)).toMatch(/algorithm 'none' is not accepted/);
      const hsInput = `${b64({ alg: 'HS256', kid: 'rsa-1' })}.${b64(claims())}`;
      const hs = createHmac('sha256', JSON.stringify(rsa.jwk)).update(hsInput).digest('base64url');
      expect(await reason(`${hsInput}.${hs}`)).toMatch(/algorithm 'HS256' is not accepted/);
      // A key the issuer does not publish; and a key published for another algorithm.
      expect(await reason(signJwt(makeKey('rogue', 'RS256'), claims()))).toMatch(/does not publish \(kid 'rogue'\)/);
      expect(await reason(signJwt(ec, claims(), { kid: 'rsa-1' }))).toMatch(/the issuer's key 'rsa-1' is not a EC key for ES256 tokens/);
      expect(looksLikeJwt('dk_0123456789ab_' + 'x'.repeat(43))).toBe(false);
    });

    it('follows key rotation: a new kid makes it fetch the keys again, once', async () => {
      const v = verifier();
      await v.verify(signJwt(rsa, claims()));
      const before = issuer.jwksFetches();
      const rotated = makeKey('rsa-2', 'RS256');
      issuer.publish([rsa, ec, ed, pss, rotated]);
      expect((await v.verify(signJwt(rotated, claims()))).name).toBe('olga');
      expect(issuer.jwksFetches()).toBe(before + 1);
      await v.verify(signJwt(rotated, claims()));
      expect(issuer.jwksFetches()).toBe(before + 1); // cached
      issuer.publish([rsa, ec, ed, pss]);
    });

    it('does not refetch on every unknown kid (a flood of garbage tokens cannot flood the issuer)', async () => {
      const v = new OidcVerifier({ issuer: iss, audience: 'distillery-api', minRefreshMs: 60_000 });
      await v.verify(signJwt(rsa, claims()));
      const before = issuer.jwksFetches();
      for (let i = 0; i < 5; i++) await expect(v.verify(signJwt(makeKey(`junk-${i}`, 'ES256'), claims()))).rejects.toThrow(/does not publish/);
      expect(issuer.jwksFetches()).toBe(before);
    });

    it('reads roles from an object claim or a project:role list, ignoring unknown roles and keeping the highest', () => {
      expect(grantsFromClaim({ support: 'admin', lab: 'owner', '*': 'viewer' })).toEqual({ support: 'admin', '*': 'viewer' });
      expect(grantsFromClaim(['a:viewer', 'a:engineer', 'b:root', 'urn:x:project:c:viewer', 7, ':admin'])).toEqual({ a: 'engineer', 'urn:x:project:c': 'viewer' });
      expect(grantsFromClaim(undefined)).toEqual({});
      expect(grantsFromClaim('admin')).toEqual({});
    });

    it('says when the issuer cannot be reached', async () => {
      const v = new OidcVerifier({ issuer: 'http://127.0.0.1:9/realms/none', audience: 'distillery-api' });
      await expect(v.verify(signJwt(rsa, { ...claims(), iss: 'http://127.0.0.1:9/realms/none' }))).rejects.toThrow(/the issuer's keys could not be fetched/);
    });
  });

  describe('the API', () => {
    let stack: ApiStack;
    const call = (method: string, path: string, token?: string, body?: unknown) => stack.call(method, path, { ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) });

    beforeAll(async () => {
      stack = await startApiStack('oidc', { DISTILLERY_AUTH: 'required', DISTILLERY_OIDC_ISSUER: iss, DISTILLERY_OIDC_AUDIENCE: 'distillery-api' });
    }, 60_000);
    afterAll(async () => stack?.stop());

    it('roles come from the token: a viewer reads and cannot write; an engineer writes on its project as itself', async () => {
      const viewer = signJwt(ec, claims({ preferred_username: 'vic', distillery_roles: { '*': 'viewer' } }));
      expect((await call('GET', '/api/events?project_id=support', viewer)).status).toBe(200);
      const refused = await call('POST', '/api/demo-runs', viewer, { project_id: 'support', steps: 1, children: 0 });
      expect(refused.status).toBe(403);
      expect(refused.body['message']).toMatch(/needs the engineer role on project 'support'; this key has viewer/);

      const engineer = signJwt(rsa, claims({ preferred_username: 'erin', distillery_roles: ['support:engineer'] }));
      expect((await call('POST', '/api/demo-runs', engineer, { project_id: 'other', steps: 1, children: 0 })).status).toBe(403);
      const ok = await call('POST', '/api/demo-runs', engineer, { project_id: 'support', steps: 1, children: 0 });
      expect(ok.status).toBe(202);
      let actor: string | undefined;
      for await (const batch of stack.spine.log.read({ fromSeq: 1, follow: false })) for (const m of batch) if (m.decoded.ok && m.decoded.event.reason_code === 'demo_run_requested') actor = m.decoded.event.actor;
      expect(actor).toBe('user:erin');
    });

    it('a refused token is a 401 naming why, with an invalid_token challenge; API keys still work beside tokens', async () => {
      const expired = await call('GET', '/api/events', signJwt(rsa, claims({ exp: now() - 3_600 })));
      expect(expired.status).toBe(401);
      expect(expired.body['message']).toMatch(/the OIDC token is not valid: the token expired at/);
      expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="distillery", error="invalid_token"');
      expect((await call('GET', '/api/events', signJwt(rsa, claims({ aud: 'grafana' })))).status).toBe(401);
      expect((await call('GET', '/api/events', 'dk_0123456789ab_' + 'x'.repeat(43))).body['message']).toMatch(/API key is not valid/);
    });

    it('refuses an OIDC configuration without its audience, by name', () => {
      expect(() => parseApiConfig({ DISTILLERY_OIDC_ISSUER: iss })).toThrow(/DISTILLERY_OIDC_AUDIENCE/);
      expect(() => parseApiConfig({ DISTILLERY_OIDC_AUDIENCE: 'x' })).toThrow(/DISTILLERY_OIDC_ISSUER/);
      expect(() => parseApiConfig({ DISTILLERY_OIDC_ISSUER: 'ftp://idp', DISTILLERY_OIDC_AUDIENCE: 'x' })).toThrow(/DISTILLERY_OIDC_ISSUER/);
    });
  });
});
