import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Migration } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { ArtifactRef } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { migrate, type DatabaseHandle } from '@distillery/db';
import type { EventPublisher } from '@distillery/eventlog';
import { DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, buildSupportBundle, type SupportBundleManifest } from './bundle.js';
import type { SupportBundleScope } from './collect.js';

export const SUPPORT_BUNDLES_TABLE = 'support_bundles';

/** The bundles' own table: where each bundle's artifact is, when it expires, and the sha256 of its download token. */
export const supportBundleMigrations: Record<string, Migration> = {
  '0001_support_bundles': {
    async up(db) {
      await db.schema
        .createTable(SUPPORT_BUNDLES_TABLE)
        .ifNotExists()
        .addColumn('bundle_id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text')
        .addColumn('artifact_uri', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('token_sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('event_id', 'text')
        .execute();
      await db.schema.createIndex(`${SUPPORT_BUNDLES_TABLE}_project`).ifNotExists().on(SUPPORT_BUNDLES_TABLE).columns(['project_id', 'created_at']).execute();
    },
    async down(db) {
      await db.schema.dropTable(SUPPORT_BUNDLES_TABLE).ifExists().execute();
    },
  },
};

export interface SupportBundleServiceDeps {
  readonly database: DatabaseHandle;
  readonly artifacts: FileArtifactStore;
  readonly publisher: EventPublisher;
  readonly natsServerVersion: () => string;
  /** Who asked (`user:<id>`), stamped on the event. Default `user:local`. */
  readonly actor?: string;
}

export interface CreateSupportBundleRequest {
  readonly scope: SupportBundleScope;
  readonly ttlSeconds?: number;
  readonly actor?: string;
}

export interface CreatedSupportBundle {
  readonly bundle_id: string;
  readonly run_id: string;
  readonly sha256: string;
  readonly size: number;
  readonly expires_at: string;
  /** Shown once: only its sha256 is stored. */
  readonly download_token: string;
  readonly manifest: SupportBundleManifest;
  readonly event_id: string;
}

export type DownloadResult =
  | { readonly ok: true; readonly data: Buffer; readonly sha256: string; readonly filename: string }
  | { readonly ok: false; readonly status: 403 | 404 | 410; readonly error: string; readonly message: string };

export const TOKEN_PREFIX = 'dsb_';
const sha256Hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Compares a presented token with a stored sha256 in constant time (both sides are 32-byte digests). */
export function tokenMatches(presented: string, storedSha256: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = /^[0-9a-f]{64}$/.test(storedSha256) ? Buffer.from(storedSha256, 'hex') : Buffer.alloc(32);
  return timingSafeEqual(a, b) && /^[0-9a-f]{64}$/.test(storedSha256);
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/**
 * Creates support bundles (build, store as an artifact, record with a hashed one-time token, announce with
 * `support_bundle_created`) and serves their downloads against the token.
 */
export class SupportBundleService {
  private migrated: Promise<unknown> | undefined;

  constructor(private readonly deps: SupportBundleServiceDeps) {}

  private ready(): Promise<unknown> {
    this.migrated ??= migrate(this.deps.database.db, 'support_bundles', supportBundleMigrations, this.deps.database.schema).catch((err: unknown) => {
      this.migrated = undefined;
      throw err;
    });
    return this.migrated;
  }

  async create(req: CreateSupportBundleRequest): Promise<CreatedSupportBundle> {
    const ttl = req.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) throw new RangeError(`ttl_seconds must be an integer from 1 to ${MAX_TTL_SECONDS}`);
    await this.ready();
    const bundleId = uuidv7();
    const now = new Date();
    const built = await buildSupportBundle(
      { db: this.deps.database.db, artifacts: this.deps.artifacts, natsServerVersion: this.deps.natsServerVersion },
      { scope: req.scope, bundleId, now, ttlSeconds: ttl },
    );
    const ref: ArtifactRef = await this.deps.artifacts.put([built.zip], 'application/zip');
    if (ref.sha256 !== built.sha256) throw new Error(`support bundle ${bundleId}: stored sha256 ${ref.sha256} is not the built ${built.sha256}`);
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expiresAt = built.manifest.expires_at;
    const runId = `support-bundle-${bundleId}`;
    const sections = Object.fromEntries(built.manifest.sections.map((s) => [s.name, s.items]));
    await this.deps.database.db
      .insertInto(SUPPORT_BUNDLES_TABLE)
      .values({
        bundle_id: bundleId,
        project_id: req.scope.project_id,
        run_id: req.scope.run_id ?? null,
        artifact_uri: ref.uri,
        sha256: ref.sha256,
        bytes: ref.bytes,
        token_sha256: sha256Hex(token),
        created_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    const published = await this.deps.publisher.publish({
      reason_code: 'support_bundle_created',
      project_id: req.scope.project_id,
      run_id: runId,
      parent_run_id: req.scope.run_id ?? null,
      actor: req.actor ?? this.deps.actor ?? 'user:local',
      summary: `support bundle ${bundleId} of ${req.scope.run_id ? `run ${req.scope.run_id}` : `project ${req.scope.project_id}`} (${ref.bytes} bytes, ${built.manifest.redactions.total} redactions)`,
      payload: {
        bundle_id: bundleId,
        scope: { project_id: req.scope.project_id, ...(req.scope.run_id ? { run_id: req.scope.run_id } : {}) },
        artifact: ref,
        sha256: ref.sha256,
        bytes: ref.bytes,
        expires_at: expiresAt,
        sections,
        redactions: built.manifest.redactions.total,
      },
    });
    await this.deps.database.db.updateTable(SUPPORT_BUNDLES_TABLE).set({ event_id: published.event.id }).where('bundle_id', '=', bundleId).execute();
    return { bundle_id: bundleId, run_id: runId, sha256: ref.sha256, size: ref.bytes, expires_at: expiresAt, download_token: token, manifest: built.manifest, event_id: published.event.id };
  }

  /** The bundle's bytes when the token is right and the bundle has not expired; else why not (403 / 404 / 410). */
  async download(bundleId: string, token: string | undefined, now = new Date()): Promise<DownloadResult> {
    await this.ready();
    const row = (await this.deps.database.db.selectFrom(SUPPORT_BUNDLES_TABLE).selectAll().where('bundle_id', '=', bundleId).executeTakeFirst()) as
      | { bundle_id: string; project_id: string; artifact_uri: string; sha256: string; token_sha256: string; expires_at: unknown }
      | undefined;
    if (!row) return { ok: false, status: 404, error: 'not_found', message: `no support bundle '${bundleId}'` };
    if (!token || !tokenMatches(token, row.token_sha256)) {
      return { ok: false, status: 403, error: 'forbidden', message: `header x-distillery-bundle-token: ${token ? 'wrong token' : 'missing'} for support bundle '${bundleId}'` };
    }
    const expiresAt = iso(row.expires_at);
    if (new Date(expiresAt).getTime() <= now.getTime()) {
      return { ok: false, status: 410, error: 'expired', message: `support bundle '${bundleId}' expired at ${expiresAt}; create a new one` };
    }
    const data = await this.deps.artifacts.readBytes(row.artifact_uri);
    const actual = sha256Hex(data);
    if (actual !== row.sha256) throw new Error(`support bundle ${bundleId}: artifact sha256 ${actual} is not the recorded ${row.sha256}`);
    return { ok: true, data, sha256: actual, filename: `distillery-support-${row.project_id}-${bundleId}.zip` };
  }
}
