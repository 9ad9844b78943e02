import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys and roles: the pure part (formats, hashing, the role decision), tested without a server.
 *
 * A key reads `dk_<id>_<secret>`: `id` (12 hex) finds the stored row, `secret` (32 random bytes, base64url) is what
 * proves possession. Only sha256(secret) is stored: with 256 bits of randomness a fast hash is enough — a slow
 * password hash protects low-entropy secrets from guessing, and there is nothing to guess here (ADR 0013).
 */

export const ROLES = ['viewer', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
const RANK: Readonly<Record<Role, number>> = { viewer: 1, engineer: 2, admin: 3 };

/** Roles per project; `*` grants a role on every project (and on requests that name none). */
export type Grants = Readonly<Record<string, Role>>;

export interface GeneratedKey {
  readonly id: string;
  readonly key: string;
  readonly secretSha256: string;
}

const KEY = /^dk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export function generateKey(): GeneratedKey {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `dk_${id}_${secret}`, secretSha256: sha256Hex(secret) };
}

/** The id and secret of a key, or undefined for anything that is not one. */
export function parseKey(key: string): { id: string; secret: string } | undefined {
  const m = KEY.exec(key.trim());
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Constant-time comparison of two hex digests (or any two strings of the same length). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The role a caller holds on a project (its own grant or `*`, whichever is higher); undefined: none. */
export function roleOn(grants: Grants, project: string | undefined): Role | undefined {
  const candidates = [grants['*'], project !== undefined ? grants[project] : undefined].filter((r): r is Role => r !== undefined);
  return candidates.sort((a, b) => RANK[b] - RANK[a])[0];
}

/** What a request needs: reads need viewer, changes need engineer, key management needs admin. */
export function requiredRole(method: string, path: string): Role {
  if (path === '/api/keys' || path.startsWith('/api/keys/')) return 'admin';
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'viewer' : 'engineer';
}

/** Routes anyone may call: health, the API's description, and downloads that carry their own token. */
export function isPublicRoute(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return path === '/health/live' || path === '/health/ready' || path === '/api/openapi.json' || /^\/api\/support-bundles\/[^/]+\/download$/.test(path);
}

export type Decision = { readonly allow: true } | { readonly allow: false; readonly status: 403; readonly message: string };

/** May a caller with these grants make this request on this project (undefined: the request names no project)? */
export function decide(grants: Grants, method: string, path: string, project: string | undefined): Decision {
  const needed = requiredRole(method, path);
  const held = roleOn(grants, needed === 'admin' ? undefined : project);
  if (held !== undefined && RANK[held] >= RANK[needed]) return { allow: true };
  const where = needed === 'admin' ? 'every project (*)' : project !== undefined ? `project '${project}'` : 'every project (*) — the request names no project_id';
  return { allow: false, status: 403, message: `${method} ${path} needs the ${needed} role on ${where}; this key has ${held ?? 'no role there'}` };
}

/** An actor token from a key's name: `user:<name>` with anything outside the actor alphabet replaced. */
export const actorOf = (name: string): string => `user:${name.replace(/[^A-Za-z0-9_.@:-]/g, '-').slice(0, 128) || 'unnamed'}`;
