import type { FailureCluster, FailureClusterDetail, Page } from '@distillery/failure-clusters';
import type { ApiClient } from '../api-client.js';
import { color } from '../render.js';

const out = (m: string): void => void process.stdout.write(`${m}\n`);

export interface FailuresListFlags {
  readonly project?: string;
  readonly stage?: string;
  readonly code?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
  readonly json: boolean;
}

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since 24h` / `7d` / `30m` / `2w` (back from now) or an ISO 8601 date or time; returns an ISO time. */
export function parseTimeFlag(flag: string, value: string, now = Date.now()): string {
  const rel = /^(\d+)\s*([mhdw])$/i.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  throw new Error(`${flag} ${value}: expected a time such as 2026-11-22, 2026-11-22T10:00:00Z, or a span back from now: 30m, 24h, 7d, 2w`);
}

/** The clusters of a filter, newest last seen first: follows cursors until `limit` clusters (or the last page). */
export async function fetchClusters(api: ApiClient, f: FailuresListFlags): Promise<{ items: FailureCluster[]; more: boolean }> {
  const items: FailureCluster[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ limit: String(Math.min(100, f.limit - items.length)) });
    if (f.project) q.set('project_id', f.project);
    if (f.stage) q.set('stage', f.stage);
    if (f.code) q.set('reason_code', f.code);
    if (f.since) q.set('since', parseTimeFlag('--since', f.since));
    if (f.until) q.set('until', parseTimeFlag('--until', f.until));
    if (cursor) q.set('cursor', cursor);
    const page: Page<FailureCluster> = await api.request(`/api/failure-clusters?${q}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < f.limit);
  return { items, more: cursor !== null };
}

const ellipsis = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const severity = (s: string) => (s === 'critical' ? color.red(color.bold(s)) : color.red(s));
// eslint-disable-next-line no-control-regex
const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/** A plain table: a header row, then one row per item, columns padded to their widest cell (colour codes ignored). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c))))
      .join('  ')
      .trimEnd();
  return [color.dim(line(header)), ...rows.map(line)].join('\n');
}

/** Shown length of a cluster id in the list; `failures show` takes any unique prefix of 8+ characters. */
const SHORT_ID = 12;

export function renderClusterList(items: readonly FailureCluster[], more: boolean): string {
  if (items.length === 0) return 'no failure clusters match';
  const rows = items.map((c) => [
    c.cluster_id.slice(0, SHORT_ID),
    severity(c.severity),
    c.stage,
    c.reason_code,
    String(c.count),
    String(c.runs_count),
    time(c.last_seen),
    ellipsis(c.signature, 80),
  ]);
  const lines = [table(['ID', 'SEVERITY', 'STAGE', 'CODE', 'EVENTS', 'RUNS', 'LAST SEEN', 'SIGNATURE'], rows)];
  if (more) lines.push(color.dim('… more clusters: raise --limit or narrow the filter'));
  lines.push(color.dim('details and the known fix: distillery failures show <id>'));
  return lines.join('\n');
}

export function renderClusterDetail(c: FailureClusterDetail): string {
  const lines = [
    `${color.bold(`cluster ${c.cluster_id}`)}  ${c.project_id} · ${c.stage} · ${c.reason_code} (${severity(c.severity)})`,
    `signature  ${c.signature}`,
    `events     ${c.count} (${c.counts.error} error, ${c.counts.critical} critical) in ${c.runs_count} run${c.runs_count === 1 ? '' : 's'}`,
    `seen       first ${time(c.first_seen)}, last ${time(c.last_seen)}`,
  ];
  if (c.known_fix) {
    lines.push('', color.bold('known fix'), `  cause: ${c.known_fix.cause}`, '  try:');
    c.known_fix.try.forEach((t, i) => lines.push(`    ${i + 1}. ${t}`));
  }
  const hidden = c.runs_count - c.affected_runs.length;
  lines.push('', color.bold(`affected runs (newest first${hidden > 0 ? `, ${c.affected_runs.length} of ${c.runs_count}` : ''})`));
  lines.push(indent(table(['RUN', 'EVENTS', 'FIRST SEEN', 'LAST SEEN'], c.affected_runs.map((r) => [r.run_id, String(r.count), time(r.first_seen), time(r.last_seen)]))));
  lines.push('', color.bold(`newest events (${c.exemplars.length} of ${c.count})`));
  lines.push(indent(table(['TIME', 'RUN', 'SEVERITY', 'SUMMARY'], c.exemplars.map((x) => [time(x.occurred_at), x.run_id, severity(x.severity), ellipsis(x.summary, 160)]))));
  return lines.join('\n');
}

const indent = (s: string) =>
  s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

export async function failuresList(api: ApiClient, f: FailuresListFlags): Promise<number> {
  const { items, more } = await fetchClusters(api, f);
  out(f.json ? JSON.stringify({ items, more }) : renderClusterList(items, more));
  return 0;
}

export async function failuresShow(api: ApiClient, id: string, json: boolean): Promise<number> {
  const c = await api.request<FailureClusterDetail>(`/api/failure-clusters/${encodeURIComponent(id)}`);
  out(json ? JSON.stringify(c) : renderClusterDetail(c));
  return 0;
}
