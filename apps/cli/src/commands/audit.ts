import type { RunEventRow, TimelineRow } from '@distillery/timeline';
import type { ApiClient } from '../api-client.js';
import { color, formatDuration } from '../render.js';
import { parseTimeFlag } from './failures.js';

const out = (m: string): void => void process.stdout.write(`${m}\n`);

export interface AuditFlags {
  readonly project?: string;
  readonly run?: string;
  /** A run and all its descendants. */
  readonly subtree?: string;
  readonly stage?: string;
  readonly severity?: string;
  readonly code?: string;
  readonly actor?: string;
  readonly text?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
  readonly jsonl: boolean;
}

/** The query string of the audit filters (shared by the table and the JSON Lines export). */
export function auditQuery(f: Omit<AuditFlags, 'limit' | 'jsonl'>, now = Date.now()): URLSearchParams {
  const q = new URLSearchParams();
  if (f.project) q.set('project_id', f.project);
  if (f.run) q.set('run_id', f.run);
  if (f.subtree) q.set('root_run_id', f.subtree);
  if (f.stage) q.set('stage', f.stage);
  if (f.severity) q.set('severity', f.severity);
  if (f.code) q.set('reason_code', f.code);
  if (f.actor) q.set('actor', f.actor);
  if (f.text) q.set('q', f.text);
  if (f.since) q.set('since', parseTimeFlag('--since', f.since, now));
  if (f.until) q.set('until', parseTimeFlag('--until', f.until, now));
  return q;
}

const SEVERITY_COLOR: Readonly<Record<string, (s: string) => string>> = { warning: color.yellow, error: color.red, critical: color.red };

/** One event as a terminal line: time, severity, run, code, actor, summary. */
export function renderAuditLine(e: Pick<RunEventRow, 'seq' | 'occurred_at' | 'severity' | 'run_id' | 'reason_code' | 'actor' | 'summary'>): string {
  const sev = (SEVERITY_COLOR[e.severity] ?? ((s: string) => s))(e.severity.padEnd(8));
  return `${color.dim(`#${e.seq} ${e.occurred_at}`)} ${sev} ${e.run_id} ${color.bold(e.reason_code)} ${color.dim(e.actor)} ${e.summary}`;
}

/** `distillery audit events`: events matching the filters as a table, or (`--jsonl`) every match as JSON Lines. */
export async function auditEvents(api: ApiClient, f: AuditFlags): Promise<number> {
  const q = auditQuery(f);
  if (f.jsonl) {
    const body = await api.stream(`/api/events/export?${q}`);
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(chunk);
    return 0;
  }
  let cursor: string | null = null;
  let shown = 0;
  do {
    const page: { items: RunEventRow[]; next_cursor: string | null } = await api.request(`/api/events?${q}&limit=${Math.min(500, f.limit - shown)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const e of page.items) out(renderAuditLine(e));
    shown += page.items.length;
    cursor = page.next_cursor;
  } while (cursor && shown < f.limit);
  if (shown === 0) out(color.dim('no events match'));
  if (cursor) out(color.dim(`more events match: raise --limit, or export them all with --jsonl`));
  return 0;
}

/** A run as it stood at a time (`distillery audit run <id> --at <time>`). */
export function renderRunAsOf(r: TimelineRow & { as_of?: string }): string {
  return [
    `${color.bold(r.run_id)} ${color.dim(`(${r.project_id}${r.parent_run_id ? `, child of ${r.parent_run_id}` : ''})`)}${r.as_of ? ` as of ${r.as_of}` : ''}`,
    `  ${r.event_count} events (${r.counts.info} info, ${r.counts.warning} warning, ${r.counts.error} error, ${r.counts.critical} critical), ${r.children_count} child runs, over ${formatDuration(r.duration_ms)}`,
    `  latest: ${r.latest_reason_code} (${r.latest_stage}) by ${r.last_actor}: ${r.last_summary}`,
    `  stages: ${r.stages.join(' → ')}; highest severity ${r.highest_severity}${r.orphan ? color.yellow(' (its parent had no events yet)') : ''}`,
  ].join('\n');
}

export async function auditRun(api: ApiClient, runId: string, f: { project?: string; at?: string; json: boolean }): Promise<number> {
  const q = new URLSearchParams();
  if (f.project) q.set('project_id', f.project);
  if (f.at) q.set('at', parseTimeFlag('--at', f.at));
  const row: TimelineRow & { as_of?: string } = await api.request(`/api/runs/${encodeURIComponent(runId)}?${q}`);
  out(f.json ? JSON.stringify(row) : renderRunAsOf(row));
  return 0;
}

interface SlotView {
  slot: string;
  live: number | null;
  promotions: number[];
  versions: Array<{ version: number; status: string; target: string; training_run_id?: string }>;
  as_of?: string;
}

export async function auditSlot(api: ApiClient, slot: string, f: { project: string; at?: string; json: boolean }): Promise<number> {
  const q = new URLSearchParams();
  if (f.at) q.set('at', parseTimeFlag('--at', f.at));
  const view: SlotView = await api.request(`/api/projects/${encodeURIComponent(f.project)}/deployments/${encodeURIComponent(slot)}?${q}`);
  if (f.json) {
    out(JSON.stringify(view));
    return 0;
  }
  out(`${color.bold(`slot ${view.slot}`)}${view.as_of ? ` as of ${view.as_of}` : ''}: live ${view.live === null ? color.yellow('none') : color.green(`v${view.live}`)}; promoted in turn: ${view.promotions.map((v) => `v${v}`).join(' → ') || '—'}`);
  for (const v of view.versions) out(`  v${v.version} ${v.status.padEnd(10)} ${v.target}${v.training_run_id ? color.dim(` from ${v.training_run_id}`) : ''}`);
  return 0;
}
