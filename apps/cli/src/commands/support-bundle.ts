import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readZip, type SupportBundleManifest } from '@distillery/support-bundle';
import type { ApiClient } from '../api-client.js';
import { color } from '../render.js';

const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string): void => void process.stdout.write(`${m}\n`);

export interface SupportBundleFlags {
  readonly project: string;
  readonly run?: string;
  readonly out?: string;
  readonly ttl?: number;
  readonly json: boolean;
}

interface CreatedBundle {
  bundle_id: string;
  sha256: string;
  size: number;
  expires_at: string;
  download_token: string;
}

/** The manifest's sections and redaction counts as a few lines of text. */
export function manifestSummary(m: SupportBundleManifest): string {
  const w = Math.max('redactions'.length, ...m.sections.map((s) => s.name.length)) + 2;
  const label = (s: string) => s.padEnd(w);
  const lines = [
    `${label('scope')}${m.scope.project_id}${m.scope.run_id ? ` / run ${m.scope.run_id}` : ' (whole project)'}`,
    `${label('created')}${m.created_at}`,
    `${label('expires')}${m.expires_at}`,
  ];
  for (const s of m.sections) lines.push(`${label(s.name)}${String(s.items).padStart(7)}  ${color.dim(s.file)}${s.truncated ? color.yellow('  (truncated)') : ''}`);
  const kinds = Object.entries(m.redactions.by_kind)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(`${label('redactions')}${String(m.redactions.total).padStart(7)}${kinds ? `  ${color.dim(`(${kinds})`)}` : ''}`);
  return lines.join('\n');
}

/**
 * `distillery support-bundle create`: asks the API for a redacted support bundle, downloads it with the one-time
 * token (in a header), checks its sha256 and writes it; prints the manifest summary.
 */
export async function supportBundleCreate(api: ApiClient, f: SupportBundleFlags): Promise<number> {
  const body = { project_id: f.project, ...(f.run ? { run_id: f.run } : {}), ...(f.ttl ? { ttl_seconds: f.ttl } : {}) };
  const created = await api.request<CreatedBundle>('/api/support-bundles', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const zip = await api.downloadSupportBundle(created.bundle_id, created.download_token);
  const actual = createHash('sha256').update(zip).digest('hex');
  if (actual !== created.sha256) {
    say(color.red(`support bundle ${created.bundle_id}: downloaded sha256 ${actual} is not the announced ${created.sha256}`));
    return 1;
  }
  const manifestEntry = readZip(zip).find((e) => e.name === 'manifest.json');
  if (!manifestEntry) {
    say(color.red(`support bundle ${created.bundle_id}: no manifest.json in the archive`));
    return 1;
  }
  const manifest = JSON.parse(manifestEntry.data.toString('utf8')) as SupportBundleManifest;
  const file = resolve(f.out ?? `distillery-support-${f.project}${f.run ? `-${f.run}` : ''}-${created.bundle_id.slice(-12)}.zip`);
  await writeFile(file, zip);
  if (f.json) {
    out(JSON.stringify({ bundle_id: created.bundle_id, file, sha256: created.sha256, size: created.size, expires_at: created.expires_at, manifest }));
    return 0;
  }
  out(`${color.green('support bundle')} ${created.bundle_id} · ${created.size} bytes · sha256 ${created.sha256}`);
  out(`written to ${file}`);
  out(manifestSummary(manifest));
  return 0;
}
