import { describe, expect, it } from '@jest/globals';
import { actorOf, decide, generateKey, isPublicRoute, parseKey, roleOn, sameDigest, sha256Hex, type Grants } from '../src/auth/keys.js';

describe('API key format', () => {
  it('dk_<12 hex id>_<43 base64url secret>; only sha256(secret) is kept, and it verifies', () => {
    const k = generateKey();
    expect(k.key).toMatch(/^dk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseKey(k.key)!;
    expect(parsed.id).toBe(k.id);
    expect(sha256Hex(parsed.secret)).toBe(k.secretSha256);
    expect(k.secretSha256).not.toContain(parsed.secret);
    expect(generateKey().key).not.toBe(k.key);
  });

  it('anything else is not a key; digests compare in constant time and by value', () => {
    for (const bad of ['', 'dk_', 'dk_xyz_abc', `dk_${'a'.repeat(12)}_${'b'.repeat(42)}`, `DK_${'a'.repeat(12)}_${'b'.repeat(43)}`]) expect(parseKey(bad)).toBeUndefined();
    expect(sameDigest('abc', 'abc')).toBe(true);
    expect(sameDigest('abc', 'abd')).toBe(false);
    expect(sameDigest('abc', 'abcd')).toBe(false);
  });

  it('a key name becomes an actor token', () => {
    expect(actorOf('ci-bot')).toBe('user:ci-bot');
    expect(actorOf('ana maria/ops')).toBe('user:ana-maria-ops');
  });
});

describe('the role decision', () => {
  const viewerEverywhere: Grants = { '*': 'viewer' };
  const engineerOnSupport: Grants = { support: 'engineer', '*': 'viewer' };
  const admin: Grants = { '*': 'admin' };

  it('a grant on a project and on * combine to the higher one', () => {
    expect(roleOn(engineerOnSupport, 'support')).toBe('engineer');
    expect(roleOn(engineerOnSupport, 'other')).toBe('viewer');
    expect(roleOn({ support: 'viewer' }, 'other')).toBeUndefined();
    expect(roleOn({ support: 'admin', '*': 'viewer' }, 'support')).toBe('admin');
  });

  // role × method × project: reads need viewer, writes engineer, /api/keys admin (on *).
  it.each([
    [viewerEverywhere, 'GET', '/api/events', undefined, true],
    [viewerEverywhere, 'POST', '/api/projects/support/imports', 'support', false],
    [engineerOnSupport, 'POST', '/api/projects/support/imports', 'support', true],
    [engineerOnSupport, 'POST', '/api/projects/billing/imports', 'billing', false],
    [engineerOnSupport, 'DELETE', '/api/keys/0123456789ab', undefined, false],
    [{ support: 'admin' } as Grants, 'POST', '/api/keys', 'support', false],
    [admin, 'POST', '/api/keys', undefined, true],
    [admin, 'DELETE', '/api/keys/0123456789ab', undefined, true],
    [{ support: 'viewer' } as Grants, 'GET', '/api/events', undefined, false],
    [{ support: 'viewer' } as Grants, 'GET', '/api/events', 'support', true],
  ] as const)('%j %s %s (project %s) → allowed %s', (grants, method, path, project, allowed) => {
    expect(decide(grants, method, path, project).allow).toBe(allowed);
  });

  it('a refusal names the role needed and where', () => {
    const d = decide(engineerOnSupport, 'POST', '/api/projects/billing/training/run', 'billing');
    expect(d).toEqual({ allow: false, status: 403, message: "POST /api/projects/billing/training/run needs the engineer role on project 'billing'; this key has viewer" });
    expect(decide({ support: 'viewer' }, 'GET', '/api/timeline', undefined)).toMatchObject({ message: expect.stringMatching(/needs the viewer role on every project \(\*\) — the request names no project_id; this key has no role there/) });
  });

  it('public routes: health probes, the OpenAPI document, token-protected bundle downloads (GET only)', () => {
    expect(isPublicRoute('GET', '/health/ready')).toBe(true);
    expect(isPublicRoute('GET', '/api/openapi.json')).toBe(true);
    expect(isPublicRoute('GET', '/api/support-bundles/abc/download')).toBe(true);
    expect(isPublicRoute('POST', '/api/support-bundles/abc/download')).toBe(false);
    expect(isPublicRoute('GET', '/api/events')).toBe(false);
    expect(isPublicRoute('GET', '/api/keys')).toBe(false);
  });
});
