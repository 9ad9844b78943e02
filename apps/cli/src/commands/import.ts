import type { RunEvent } from '@distillery/contracts';
import { ApiClient, ApiError } from '../api-client.js';
import { color, ProgressBar } from '../render.js';

export interface ImportFlags {
  readonly locator?: string;
  readonly mapper?: string;
  readonly auto: boolean;
  readonly force: boolean;
  readonly map: string[];
  readonly mapJson?: string;
  readonly drop: string[];
  readonly limit?: number;
  readonly project: string;
  readonly saveAs?: string;
  readonly json: boolean;
}

const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string): void => void process.stdout.write(`${m}\n`);

/** `--map text=sentence --map label=sentiment` and/or `--map-json '{"text":"sentence"}'` → field map. */
export function fieldMapOf(flags: Pick<ImportFlags, 'map' | 'mapJson'>): Record<string, string> | undefined {
  const map: Record<string, string> = {};
  if (flags.mapJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags.mapJson);
    } catch (err) {
      throw new Error(`--map-json: not JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
      throw new Error('--map-json: expected an object of role → column, e.g. {"text": "sentence", "label": "sentiment"}');
    }
    Object.assign(map, parsed);
  }
  for (const pair of flags.map) {
    const i = pair.indexOf('=');
    if (i <= 0 || i === pair.length - 1) throw new Error(`--map ${pair}: expected ROLE=COLUMN, e.g. --map text=sentence`);
    map[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return Object.keys(map).length ? map : undefined;
}

const requestBody = (f: ImportFlags) => ({
  locator: f.locator,
  ...(f.mapper ? { mapper: f.mapper } : {}),
  ...(fieldMapOf(f) ? { field_map: fieldMapOf(f) } : {}),
  auto: f.auto,
  force: f.force,
  drop: f.drop,
  ...(f.limit ? { limit: f.limit } : {}),
});

function lowConfidenceHelp(err: unknown): never {
  if (err instanceof ApiError && err.status === 422) {
    throw new Error(`${err.message}\nrun \`distillery import introspect --locator …\` to see the hypotheses, then pass --mapper and --map, or --force`);
  }
  throw err;
}

export async function importSources(api: ApiClient, json: boolean): Promise<void> {
  const r = await api.request<{ prefixes: string[] }>('/api/sources');
  out(json ? JSON.stringify(r) : r.prefixes.map((p) => `${p}:`).join('\n'));
}

export async function importMappers(api: ApiClient, json: boolean): Promise<void> {
  const r = await api.request<{ items: Array<{ id: string; task_profile: string; roles: Array<{ name: string; required: boolean }> }> }>('/api/mappers');
  if (json) return out(JSON.stringify(r));
  for (const m of r.items) out(`${m.id.padEnd(28)} ${m.task_profile.padEnd(22)} roles: ${m.roles.map((x) => `${x.name}${x.required ? '' : '?'}`).join(', ')}`);
}

export async function importIntrospect(api: ApiClient, f: ImportFlags): Promise<void> {
  const r = await api.request<{
    description: { resolved: string; format: string; columns: string[]; approx_rows: number | null; warnings: string[] };
    introspection: {
      columns: Array<{ name: string; kind: string; non_null_share?: number }>;
      hypotheses: Array<{ mapper_id: string; task_profile: string; field_map: Record<string, string>; confidence: number; rationale: string; warnings: string[] }>;
      auto_ok: boolean;
    };
  }>(`/api/projects/${f.project}/imports/introspect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locator: f.locator }) });
  if (f.json) return out(JSON.stringify(r, null, 2));
  const d = r.description;
  out(`${color.bold(d.resolved)}  (${d.format}, ~${d.approx_rows ?? '?'} rows)`);
  for (const w of d.warnings) out(color.yellow(`  warning: ${w}`));
  out('\ncolumns:');
  for (const c of r.introspection.columns) out(`  ${c.name.padEnd(24)} ${c.kind}`);
  out('\nhypotheses (best first):');
  for (const h of r.introspection.hypotheses) {
    const conf = h.confidence >= 0.8 ? color.green(h.confidence.toFixed(2)) : color.yellow(h.confidence.toFixed(2));
    out(`  ${conf}  ${h.mapper_id.padEnd(26)} ${h.task_profile.padEnd(22)} ${Object.entries(h.field_map).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    out(color.dim(`        ${h.rationale}`));
    for (const w of h.warnings) out(color.yellow(`        warning: ${w}`));
  }
  out(r.introspection.auto_ok ? color.green('\n--auto would import with the first hypothesis.') : color.yellow('\n--auto would refuse (below 0.80): choose --mapper and --map, or add --force.'));
}

interface DryRunAnswer {
  choice: { mapper_id: string; field_map: Record<string, string>; selection: string; confidence: number | null };
  report: {
    read: number;
    accepted: number;
    rejected: number;
    rejections: Array<{ reason: string; meaning?: string; count: number; dropped: boolean; examples: Array<{ detail: string; source: { position: number } }> }>;
    accepted_sample: Array<{ record: unknown }>;
  };
}

export async function importDryRun(api: ApiClient, f: ImportFlags): Promise<void> {
  const r = await api
    .request<DryRunAnswer>(`/api/projects/${f.project}/imports/dry-run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(requestBody(f)) })
    .catch(lowConfidenceHelp);
  if (f.json) return out(JSON.stringify(r, null, 2));
  const { choice, report } = r;
  out(`mapper ${color.bold(choice.mapper_id)} (${choice.selection}${choice.confidence !== null ? `, confidence ${choice.confidence.toFixed(2)}` : ''})  ${Object.entries(choice.field_map).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  out(`read ${report.read}: ${color.green(`${report.accepted} accepted`)}, ${report.rejected ? color.red(`${report.rejected} rejected`) : '0 rejected'}`);
  for (const g of report.rejections) {
    out(`  ${g.reason.padEnd(22)} ${String(g.count).padStart(7)}  ${g.meaning ?? ''}${g.dropped ? color.dim(' (dropped: examples hidden)') : ''}`);
    for (const ex of g.examples.slice(0, 3)) out(color.dim(`      row ${ex.source.position}: ${ex.detail}`));
  }
  out('\nsample of accepted rows:');
  for (const s of report.accepted_sample.slice(0, 5)) out(`  ${JSON.stringify(s.record).slice(0, 160)}`);
}

const FAILURES = new Set(['dataset_import_failed', 'ingest_unsupported_format', 'ingest_io_error', 'ingest_validation_failed', 'ingest_source_unreachable', 'extension_load_failed', 'extension_contract_invalid']);

/** Requests the import, follows its events live (progress bar), and prints the outcome. Exit code 1 on failure. */
export async function importRun(api: ApiClient, f: ImportFlags, timeoutMs = 30 * 60_000): Promise<number> {
  const created = await api
    .request<{ run_id: string; project_id: string; choice: DryRunAnswer['choice'] }>(`/api/projects/${f.project}/imports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...requestBody(f), ...(f.saveAs ? { save_as: f.saveAs } : {}) }),
    })
    .catch(lowConfidenceHelp);
  return followImport(api, created.project_id, created.run_id, f.json, timeoutMs, created.choice);
}

export async function followImport(api: ApiClient, project: string, runId: string, json: boolean, timeoutMs: number, choice?: DryRunAnswer['choice']): Promise<number> {
  if (!json && choice) say(`import ${color.bold(runId)}: ${choice.mapper_id} (${choice.selection}${choice.confidence !== null ? `, confidence ${choice.confidence.toFixed(2)}` : ''})`);
  const bar = json ? undefined : new ProgressBar(`import ${runId}`);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let outcome: RunEvent | undefined;
  try {
    await api.streamRun(
      runId,
      project,
      (e) => {
        if (e.reason_code === 'dataset_import_progress') {
          const p = e.payload as { rows_read: number; bytes_read: number; bytes_total: number | null };
          bar?.update(p.bytes_read, p.bytes_total ?? p.bytes_read, `${p.rows_read} rows`);
        }
        if (e.reason_code === 'dataset_import_run' || FAILURES.has(e.reason_code)) {
          outcome = e;
          if (e.reason_code === 'dataset_import_run') {
            const rows = (e.payload as { rows_read: number }).rows_read;
            bar?.update(rows, rows, `${rows} rows`);
          }
          return true;
        }
        return false;
      },
      abort.signal,
    );
  } finally {
    clearTimeout(timer);
    bar?.done();
  }
  if (!outcome) throw new Error(`import ${runId} did not finish within ${Math.round(timeoutMs / 1000)} s`);
  if (json) out(JSON.stringify(outcome));
  if (outcome.reason_code !== 'dataset_import_run') {
    say(color.red(`import failed (${outcome.reason_code}): ${outcome.summary}`));
    return 1;
  }
  if (!json) {
    const p = outcome.payload as { rows_read: number; rows_accepted: number; rows_rejected: number; rows_duplicate: number; rejections: Record<string, number>; dataset_id: string; warnings?: string[] };
    out(`${color.green('imported')} into ${p.dataset_id}: ${p.rows_read} read = ${p.rows_accepted} accepted (${p.rows_accepted - p.rows_duplicate} new, ${p.rows_duplicate} already there) + ${p.rows_rejected} rejected`);
    for (const [reason, n] of Object.entries(p.rejections).sort((a, b) => b[1] - a[1])) out(`  rejected ${reason}: ${n}`);
    for (const w of p.warnings ?? []) out(color.yellow(`  warning: ${w}`));
  }
  return 0;
}

export async function mappingsList(api: ApiClient, project: string, json: boolean): Promise<void> {
  const r = await api.request<{ items: Array<{ saved_mapping_id: string; name: string; locator: string; mapper_id: string; runs: number; last_run_at: string | null; last_rows_accepted: number | null; last_rows_rejected: number | null }> }>(
    `/api/projects/${project}/mappings`,
  );
  if (json) return out(JSON.stringify(r));
  if (r.items.length === 0) return out(`no saved mappings in project ${project} (save one with \`distillery import run … --save-as NAME\`)`);
  for (const m of r.items) {
    out(`${m.name.padEnd(20)} ${m.saved_mapping_id}  ${m.mapper_id.padEnd(26)} ${m.locator}`);
    out(color.dim(`     ${m.runs} runs; last ${m.last_run_at ?? 'never'}: ${m.last_rows_accepted ?? '-'} accepted, ${m.last_rows_rejected ?? '-'} rejected`));
  }
}

export async function mappingsRerun(api: ApiClient, project: string, idOrName: string, json: boolean): Promise<number> {
  const created = await api.request<{ run_id: string; project_id: string; choice: DryRunAnswer['choice'] }>(`/api/projects/${project}/mappings/${encodeURIComponent(idOrName)}/rerun`, { method: 'POST' });
  return followImport(api, created.project_id, created.run_id, json, 30 * 60_000, created.choice);
}
