/**
 * Access over HTTP against real NATS and PostgreSQL, with the API's default (keys required): 401 without or with a
 * bad key, roles per project (viewer reads, engineer writes, admin manages keys), the caller attributed on the events
 * it causes, revocation taking effect at once, and no key or secret in any stored event.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEvent } from '@distillery/contracts';
import { parseApiConfig } from '../src/index.js';
import { startApiStack, type ApiStack } from './support/api-stack.js';
import { parseKey } from '../src/auth/keys.js';

const ADMIN = 'bootstrap-admin-key-for-this-test-0123456789';

describe('access control over HTTP', () => {
  let stack: ApiStack;
  const call = (method: string, path: string, key?: string, body?: unknown) => stack.call(method, path, { ...(key ? { token: key } : {}), ...(body !== undefined ? { body } : {}) });
  const storedEvents = async (): Promise<RunEvent[]> => {
    const out: RunEvent[] = [];
    for await (const batch of stack.spine.log.read({ fromSeq: 1, follow: false })) for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event);
    return out;
  };
  const rawStream = async (): Promise<string> => {
    let all = '';
    for await (const batch of stack.spine.log.read({ fromSeq: 1, follow: false })) for (const m of batch) all += JSON.stringify(m.decoded.ok ? m.decoded.event : null);
    return all;
  };

  beforeAll(async () => {
    stack = await startApiStack('auth', { DISTILLERY_AUTH: 'required', DISTILLERY_ADMIN_KEY: ADMIN, DISTILLERY_ADMIN_NAME: 'root-admin' });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('is secure by default: no key or a bad key is a 401 with a Bearer challenge; health and the API description stay public', async () => {
    const none = await call('GET', '/api/events');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate') ?? '').toMatch(/Bearer/);
    expect(none.body['message']).toMatch(/no credential/);
    expect((await call('GET', '/api/events', 'dk_0123456789ab_' + 'x'.repeat(43))).status).toBe(401);
    expect((await call('POST', '/api/demo-runs', undefined, {})).status).toBe(401);
    expect((await call('GET', '/health/live')).status).toBe(200);
    expect((await call('GET', '/api/openapi.json')).status).toBe(200);
    expect(parseApiConfig({}).DISTILLERY_AUTH).toBe('required');
  });

  it('roles per project: a viewer reads and cannot write; an engineer writes on its project only; only an admin manages keys', async () => {
    const viewer = await call('POST', '/api/keys', ADMIN, { name: 'vera', roles: { '*': 'viewer' } });
    expect(viewer.status).toBe(201);
    expect(viewer.body['key']).toMatch(/^dk_[0-9a-f]{12}_/);
    const eng = await call('POST', '/api/keys', ADMIN, { name: 'eng-support', roles: { support: 'engineer', '*': 'viewer' } });
    const v = viewer.body['key'] as string;
    const e = eng.body['key'] as string;

    expect((await call('GET', '/api/events?project_id=support', v)).status).toBe(200);
    const refused = await call('POST', '/api/projects/support/training/run', v, {});
    expect(refused.status).toBe(403);
    expect(refused.body['message']).toMatch(/needs the engineer role on project 'support'; this key has viewer/);
    // An engineer on support passes the guard (the body is then validated: 400, not 403); on billing it does not.
    expect((await call('POST', '/api/projects/support/training/run', e, {})).status).toBe(400);
    expect((await call('POST', '/api/projects/billing/training/run', e, {})).status).toBe(403);
    expect((await call('GET', '/api/keys', e)).status).toBe(403);
    expect((await call('POST', '/api/keys', e, { name: 'x', roles: { '*': 'admin' } })).status).toBe(403);

    const listed = await call('GET', '/api/keys', ADMIN);
    const items = listed.body['items'] as Array<Record<string, unknown>>;
    expect(items.map((k) => k['name'])).toEqual(['vera', 'eng-support']);
    expect(parseKey(v)!.secret).toHaveLength(43); // base64url: the secret itself may contain '_'
    expect(JSON.stringify(items)).not.toContain(parseKey(v)!.secret.slice(0, 20));
    expect(items.every((k) => !('key' in k) && !('secret_sha256' in k))).toBe(true);
  });

  it('the caller is the actor of the events it causes', async () => {
    const eng = await call('POST', '/api/keys', ADMIN, { name: 'demo-runner', roles: { demo: 'engineer' } });
    const r = await call('POST', '/api/demo-runs', eng.body['key'] as string, { project_id: 'demo', steps: 1, children: 0 });
    expect(r.status).toBe(202);
    const events = await storedEvents();
    expect(events.find((x) => x.reason_code === 'demo_run_requested')?.actor).toBe('user:demo-runner');
    expect(events.find((x) => x.reason_code === 'api_key_created' && (x.payload as { name: string }).name === 'demo-runner')?.actor).toBe('user:root-admin');
  });

  it('a revoked key is refused at once; revoking is an event without the key', async () => {
    const k = await call('POST', '/api/keys', ADMIN, { name: 'temp', roles: { '*': 'viewer' } });
    const key = k.body['key'] as string;
    expect((await call('GET', '/api/timeline', key)).status).toBe(200);
    const revoked = await call('DELETE', `/api/keys/${k.body['key_id'] as string}`, ADMIN);
    expect(revoked.status).toBe(200);
    expect(revoked.body['revoked_at']).toEqual(expect.any(String));
    expect((await call('GET', '/api/timeline', key)).status).toBe(401);
    expect((await call('DELETE', '/api/keys/ffffffffffff', ADMIN)).status).toBe(404);
    expect((await call('DELETE', '/api/keys/not-an-id', ADMIN)).status).toBe(400);
  });

  it('no key, no secret and no hash of one ever reaches the event log', async () => {
    const made = await call('POST', '/api/keys', ADMIN, { name: 'leak-check', roles: { '*': 'viewer' } });
    const secret = parseKey(made.body['key'] as string)!.secret;
    const all = await rawStream();
    expect(all).toContain('leak-check');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(ADMIN);
    expect(all).not.toMatch(/dk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/);
  });
});

describe('DISTILLERY_AUTH=disabled (local development, explicit)', () => {
  it('lets anonymous requests through, attributed to user:anonymous', async () => {
    const stack = await startApiStack('noauth', { DISTILLERY_AUTH: 'disabled' });
    try {
      expect((await stack.call('POST', '/api/demo-runs', { body: { project_id: 'demo', steps: 1, children: 0 } })).status).toBe(202);
      let actor: string | undefined;
      for await (const batch of stack.spine.log.read({ fromSeq: 1, follow: false })) for (const m of batch) if (m.decoded.ok && m.decoded.event.reason_code === 'demo_run_requested') actor = m.decoded.event.actor;
      expect(actor).toBe('user:anonymous');
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
