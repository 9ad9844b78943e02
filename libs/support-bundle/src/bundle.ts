import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { Redactor, type Redaction } from '@distillery/redaction';
import {
  deploymentsSection,
  exportsSection,
  failureClustersSection,
  postgresVersion,
  projectSummary,
  runsSection,
  scopeEvents,
  scopeRuns,
  type Db,
  type SupportBundleScope,
} from './collect.js';
import { createZip } from './zip.js';

export const SUPPORT_BUNDLE_SCHEMA_VERSION = 1 as const;
/** How long a bundle can be downloaded unless the request says otherwise, and the longest it may say. */
export const DEFAULT_TTL_SECONDS = 24 * 3600;
export const MAX_TTL_SECONDS = 30 * 24 * 3600;
/** Most events a bundle carries (per scope, and per deployment slot); more are left out and the manifest says so. */
export const DEFAULT_MAX_EVENTS = 200_000;

export interface SupportBundleSources {
  /** The read models (run_events, timeline, training runs, failure clusters). */
  readonly db: Db;
  /** Where recipe / manifest artifacts are read from. */
  readonly artifacts: FileArtifactStore;
  /** The NATS server version, from the connection's server info (`EventLog.serverVersion()`). */
  readonly natsServerVersion: () => string;
}

export interface BuildSupportBundleOptions {
  readonly scope: SupportBundleScope;
  readonly bundleId?: string;
  readonly now?: Date;
  readonly ttlSeconds?: number;
  readonly maxEvents?: number;
  /** Default: the redaction library's default rules. */
  readonly redactor?: Redactor;
}

export interface SupportBundleSection {
  readonly name: string;
  readonly file: string;
  readonly items: number;
  readonly truncated?: boolean;
}

export interface SupportBundleManifest {
  readonly schema_version: typeof SUPPORT_BUNDLE_SCHEMA_VERSION;
  readonly bundle_id: string | null;
  readonly created_at: string;
  readonly expires_at: string;
  readonly scope: SupportBundleScope;
  readonly generator: string;
  readonly sections: readonly SupportBundleSection[];
  readonly redactions: {
    readonly total: number;
    /** Count per rule kind: `key` (a secret key name) or a value pattern (`openai_key`, `jwt`, `url_credentials`, …). */
    readonly by_kind: Readonly<Record<string, number>>;
    readonly by_file: Readonly<Record<string, number>>;
  };
  /** sha256 and size of every other file of the archive. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly bytes: number; readonly sha256: string }>;
}

export interface BuiltSupportBundle {
  readonly zip: Buffer;
  readonly sha256: string;
  readonly bytes: number;
  readonly manifest: SupportBundleManifest;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The platform version from the repository's package.json (the nearest one named `distillery` up from here). */
export function appVersion(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 8; i += 1) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'distillery' && pkg.version) return pkg.version;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return DISTILLERY_VERSION;
}

/**
 * Builds a support bundle: a ZIP of the scope's project summary, runs (with recipes and data manifests), events,
 * failure clusters, deployments and exports, plus the environment (versions only, never environment variables).
 * Every file goes through the redaction library before it is written; `manifest.json` counts what was redacted and
 * lists the sha256 of every other file. Throws SupportBundleScopeError when the scope has no events.
 */
export async function buildSupportBundle(sources: SupportBundleSources, options: BuildSupportBundleOptions): Promise<BuiltSupportBundle> {
  const { scope } = options;
  const now = options.now ?? new Date();
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const redactor = options.redactor ?? new Redactor();
  const { db, artifacts } = sources;

  const runs = await scopeRuns(db, scope);
  const runIds = scope.run_id ? runs.map((r) => r.run_id) : undefined;
  const { events, truncated } = await scopeEvents(db, scope.project_id, runIds, maxEvents);
  const project = await projectSummary(db, scope.project_id);
  const runItems = await runsSection(db, artifacts, scope.project_id, runs, events);
  const clusters = await failureClustersSection(db, scope.project_id);
  const deployments = await deploymentsSection(db, scope.project_id, maxEvents);
  const exportsList = exportsSection(events);
  const environment = {
    distillery_version: appVersion(),
    node_version: process.version,
    platform: process.platform,
    arch: process.arch,
    nats_server_version: sources.natsServerVersion(),
    postgres_version: await postgresVersion(db),
  };

  const byKind: Record<string, number> = {};
  const byFile: Record<string, number> = {};
  const tally = (file: string, redactions: readonly Redaction[]) => {
    for (const r of redactions) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
    if (redactions.length > 0) byFile[file] = (byFile[file] ?? 0) + redactions.length;
  };
  const json = (file: string, value: unknown): string => {
    const r = redactor.redact(value, file.replace(/\.json$/, ''));
    tally(file, r.redactions);
    return `${JSON.stringify(r.value, null, 2)}\n`;
  };
  const jsonl = (file: string, values: readonly unknown[]): string => {
    let out = '';
    for (let i = 0; i < values.length; i += 1) {
      const r = redactor.redact(values[i], `events[${i}]`);
      tally(file, r.redactions);
      out += `${JSON.stringify(r.value)}\n`;
    }
    return out;
  };

  const sections: SupportBundleSection[] = [
    { name: 'project', file: 'project.json', items: 1 },
    { name: 'runs', file: 'runs.json', items: runItems.length },
    { name: 'events', file: 'events.jsonl', items: events.length, ...(truncated ? { truncated: true } : {}) },
    { name: 'failure_clusters', file: 'failure-clusters.json', items: clusters.length },
    { name: 'deployments', file: 'deployments.json', items: deployments.length },
    { name: 'exports', file: 'exports.json', items: exportsList.length },
  ];
  const files: Array<{ path: string; text: string }> = [
    { path: 'environment.json', text: json('environment.json', environment) },
    { path: 'project.json', text: json('project.json', { ...project, scope }) },
    { path: 'runs.json', text: json('runs.json', runItems) },
    { path: 'events.jsonl', text: jsonl('events.jsonl', events) },
    { path: 'failure-clusters.json', text: json('failure-clusters.json', clusters) },
    { path: 'deployments.json', text: json('deployments.json', deployments) },
    { path: 'exports.json', text: json('exports.json', exportsList) },
  ];

  // The manifest is generated (counts, hashes, file and kind names) but for the scope, which came from the caller.
  const scopeOut = redactor.redact({ project_id: scope.project_id, ...(scope.run_id ? { run_id: scope.run_id } : {}) }, 'manifest.scope');
  tally('manifest.json', scopeOut.redactions);
  const manifest: SupportBundleManifest = {
    schema_version: SUPPORT_BUNDLE_SCHEMA_VERSION,
    bundle_id: options.bundleId ?? null,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
    scope: scopeOut.value,
    generator: `distillery@${environment.distillery_version}`,
    sections,
    redactions: { total: Object.values(byKind).reduce((a, b) => a + b, 0), by_kind: byKind, by_file: byFile },
    files: files.map((f) => {
      const b = Buffer.from(f.text, 'utf8');
      return { path: f.path, bytes: b.length, sha256: sha256(b) };
    }),
  };
  const zip = createZip(
    [{ name: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` }, ...files.map((f) => ({ name: f.path, data: f.text }))],
    { mtime: now },
  );
  return { zip, sha256: sha256(zip), bytes: zip.length, manifest };
}
