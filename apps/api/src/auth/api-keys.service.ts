import type { Migration } from 'kysely';
import { migrate, type DatabaseHandle } from '@distillery/db';
import { actorOf, generateKey, parseKey, sameDigest, sha256Hex, type Grants, type Role } from './keys.js';

export const API_KEYS_TABLE = 'api_keys';

export const apiKeyMigrations: Record<string, Migration> = {
  '0001_api_keys': {
    async up(db) {
      await db.schema
        .createTable(API_KEYS_TABLE)
        .ifNotExists()
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('roles', 'jsonb', (c) => c.notNull())
        .addColumn('secret_sha256', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('last_used_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable(API_KEYS_TABLE).ifExists().execute();
    },
  },
};

/** A key as the API lists it: never its secret or the secret's hash. */
export interface ApiKeyInfo {
  readonly key_id: string;
  readonly name: string;
  readonly roles: Grants;
  readonly created_by: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

/** Who a credential belongs to. */
export interface Principal {
  readonly actor: string;
  readonly grants: Grants;
  readonly key_id?: string;
  readonly name: string;
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const parseRoles = (v: unknown): Grants => (typeof v === 'string' ? (JSON.parse(v) as Grants) : (v as Grants));

/** API keys in PostgreSQL (their own table and migrations): create (the key shown once), list, revoke, verify. */
export class ApiKeyService {
  private migrated: Promise<unknown> | undefined;
  /** last_used_at is written at most once a minute per key (not on every request). */
  private readonly touched = new Map<string, number>();

  constructor(private readonly database: DatabaseHandle) {}

  private ready(): Promise<unknown> {
    this.migrated ??= migrate(this.database.db, 'api_keys', apiKeyMigrations, this.database.schema).catch((err: unknown) => {
      this.migrated = undefined;
      throw err;
    });
    return this.migrated;
  }

  async create(name: string, roles: Readonly<Record<string, Role>>, createdBy: string, now = new Date()): Promise<{ info: ApiKeyInfo; key: string }> {
    await this.ready();
    const g = generateKey();
    await this.database.db
      .insertInto(API_KEYS_TABLE)
      .values({ key_id: g.id, name, roles: JSON.stringify(roles), secret_sha256: g.secretSha256, created_by: createdBy, created_at: now.toISOString() })
      .execute();
    return { info: { key_id: g.id, name, roles, created_by: createdBy, created_at: now.toISOString(), last_used_at: null, revoked_at: null }, key: g.key };
  }

  async list(): Promise<ApiKeyInfo[]> {
    await this.ready();
    const rows = await this.database.db.selectFrom(API_KEYS_TABLE).select(['key_id', 'name', 'roles', 'created_by', 'created_at', 'last_used_at', 'revoked_at']).orderBy('created_at').execute();
    return rows.map((r) => ({ key_id: r.key_id as string, name: r.name as string, roles: parseRoles(r.roles), created_by: r.created_by as string, created_at: iso(r.created_at)!, last_used_at: iso(r.last_used_at), revoked_at: iso(r.revoked_at) }));
  }

  /** Revokes a key (at once: the next request with it is a 401). Undefined: no such key; revoking twice keeps the first time. */
  async revoke(keyId: string, now = new Date()): Promise<ApiKeyInfo | undefined> {
    await this.ready();
    await this.database.db.updateTable(API_KEYS_TABLE).set({ revoked_at: now.toISOString() }).where('key_id', '=', keyId).where('revoked_at', 'is', null).execute();
    return (await this.list()).find((k) => k.key_id === keyId);
  }

  /** The principal of a presented key, or undefined (not a key, unknown, wrong secret, revoked). */
  async verify(presented: string): Promise<Principal | undefined> {
    const parsed = parseKey(presented);
    if (!parsed) return undefined;
    await this.ready();
    const row = await this.database.db.selectFrom(API_KEYS_TABLE).select(['key_id', 'name', 'roles', 'secret_sha256', 'revoked_at']).where('key_id', '=', parsed.id).executeTakeFirst();
    if (!row || row.revoked_at !== null || !sameDigest(sha256Hex(parsed.secret), row.secret_sha256 as string)) return undefined;
    const last = this.touched.get(parsed.id) ?? 0;
    if (Date.now() - last > 60_000) {
      this.touched.set(parsed.id, Date.now());
      await this.database.db.updateTable(API_KEYS_TABLE).set({ last_used_at: new Date().toISOString() }).where('key_id', '=', parsed.id).execute();
    }
    const name = row.name as string;
    return { actor: actorOf(name), grants: parseRoles(row.roles), key_id: parsed.id, name };
  }
}
