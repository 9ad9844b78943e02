import { ApiClient } from '../api-client.js';
import { barChart, color, ProgressBar } from '../render.js';

const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string): void => void process.stdout.write(`${m}\n`);

export interface TaskView {
  task_id: string;
  kind: 'clean' | 'prepare';
  status: 'requested' | 'running' | 'completed' | 'failed';
  phase: string | null;
  rows_done: number | null;
  rows_total: number | null;
  summary: string | null;
  result: Record<string, unknown> | null;
  findings: Array<{ code: string; severity: string; summary: string }>;
  failure_code: string | null;
  failure_message: string | null;
}

/**
 * Polls a clean / prepare task until it ends, showing its phase and rows as a progress bar. A task that is not in
 * the read model yet (the projector has not seen the request) is retried, not reported as missing.
 */
export async function pollTask(api: ApiClient, project: string, taskId: string, opts: { json: boolean; timeoutMs: number; intervalMs?: number }): Promise<TaskView> {
  const bar = opts.json ? undefined : new ProgressBar(`${taskId}`);
  const deadline = Date.now() + opts.timeoutMs;
  try {
    for (;;) {
      const t = await api.request<TaskView>(`/api/projects/${project}/tasks/${taskId}`).catch((err: { status?: number }) => {
        if (err.status === 404) return undefined;
        throw err;
      });
      if (t && t.rows_total !== null && t.rows_done !== null) bar?.update(t.rows_done, t.rows_total, t.phase ?? '');
      if (t && (t.status === 'completed' || t.status === 'failed')) return t;
      if (Date.now() > deadline) throw new Error(`task ${taskId} did not finish within ${Math.round(opts.timeoutMs / 1000)} s (status ${t?.status ?? 'not seen yet'})`);
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 300));
    }
  } finally {
    bar?.done();
  }
}

export interface CleanFlags {
  readonly project: string;
  readonly pii?: string;
  readonly policyJson?: string;
  readonly nearDedup: boolean;
  readonly outliers?: string;
  readonly json: boolean;
}

/** `--policy-json` first, then the shorthand flags on top of it. */
export function policyOf(f: CleanFlags): Record<string, unknown> {
  let policy: Record<string, unknown> = {};
  if (f.policyJson) {
    try {
      policy = JSON.parse(f.policyJson) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--policy-json: not JSON (${(err as Error).message})`);
    }
    if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) throw new Error('--policy-json: expected an object, e.g. {"pii": {"action": "mask"}}');
  }
  if (f.pii) policy = { ...policy, pii: { ...(policy['pii'] as object), action: f.pii } };
  if (!f.nearDedup) policy = { ...policy, dedup: { ...(policy['dedup'] as object), near: false } };
  if (f.outliers) policy = { ...policy, outliers: { ...(policy['outliers'] as object), action: f.outliers } };
  return policy;
}

interface CleaningReportView {
  rows_in: number;
  rows_out: number;
  removed: Record<string, number>;
  pii: { policy: { action: string }; rows_with_pii: number; findings_by_kind: Record<string, number>; actions: Record<string, number> };
  quality: { mean: number; histogram: { edges: number[]; counts: number[] } };
  languages: Record<string, number>;
  dedup: { exact_duplicates: number; near_duplicates: number; clusters: number };
  outliers: { rows: number; share: number; max_share: number; counts: Record<string, number> };
}

export async function cleanCommand(api: ApiClient, f: CleanFlags, timeoutMs = 60 * 60_000): Promise<number> {
  const created = await api.request<{ task_id: string; rows: number; inputs: number; warnings?: string[] }>(`/api/projects/${f.project}/clean`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ policy: policyOf(f) }),
  });
  if (!f.json) {
    say(`clean ${color.bold(created.task_id)}: ${created.rows} rows from ${created.inputs} import(s)`);
    for (const w of created.warnings ?? []) say(color.yellow(`  warning: ${w}`));
  }
  const t = await pollTask(api, f.project, created.task_id, { json: f.json, timeoutMs });
  const report = t.result?.['report_ref'] ? await api.request<CleaningReportView>(`/api/projects/${f.project}/tasks/${t.task_id}/report`) : undefined;
  if (f.json) {
    out(JSON.stringify({ task: t, report }));
    return t.status === 'completed' ? 0 : 1;
  }
  for (const x of t.findings) out(color.yellow(`  ${x.code}: ${x.summary}`));
  if (t.status !== 'completed') {
    say(color.red(`cleaning failed (${t.failure_code}): ${t.failure_message}`));
    const ids = (t.result?.['example_row_ids'] as string[] | undefined) ?? [];
    if (ids.length) say(`  e.g. rows ${ids.slice(0, 3).join(', ')} — see \`distillery rows explain <row_id> --project ${f.project}\``);
    return 1;
  }
  if (report) out(renderCleaningReport(report));
  out(color.dim(`next: distillery prepare --project ${f.project}`));
  return 0;
}

export function renderCleaningReport(r: CleaningReportView): string {
  const lines: string[] = [];
  lines.push(`${color.green('cleaned')}: ${r.rows_in} rows in = ${r.rows_out} kept + ${r.rows_in - r.rows_out} removed`);
  for (const [reason, n] of Object.entries(r.removed).sort((a, b) => b[1] - a[1])) lines.push(`  removed ${reason}: ${n}`);
  const pii = Object.entries(r.pii.findings_by_kind);
  lines.push(`PII (${r.pii.policy.action}): ${r.pii.rows_with_pii} rows${pii.length ? ` — ${pii.map(([k, n]) => `${n} ${k}`).join(', ')}` : ''}`);
  lines.push(`dedup: ${r.dedup.exact_duplicates} exact, ${r.dedup.near_duplicates} near duplicates in ${r.dedup.clusters} clusters`);
  lines.push(`outliers: ${r.outliers.rows} rows (${(r.outliers.share * 100).toFixed(1)}%, allowed ${(r.outliers.max_share * 100).toFixed(1)}%)`);
  lines.push(`quality (mean ${r.quality.mean.toFixed(2)}):`);
  const h = r.quality.histogram;
  lines.push(barChart(h.counts.map((c, i) => [`${h.edges[i]!.toFixed(1)}–${h.edges[i + 1]!.toFixed(1)}`, c] as const)));
  const langs = Object.entries(r.languages).sort((a, b) => b[1] - a[1]);
  lines.push(`languages: ${langs.slice(0, 6).map(([l, n]) => `${l} ${n}`).join(', ')}${langs.length > 6 ? ', …' : ''}`);
  return lines.join('\n');
}

export interface PrepareFlags {
  readonly project: string;
  readonly strategy?: string;
  readonly field?: string;
  readonly seed?: number;
  readonly ratios?: string;
  readonly leakageMaxShare?: number;
  readonly json: boolean;
}

/** `--ratios 0.8,0.1,0.1` → {train, eval, gold}. */
export function ratiosOf(s: string): { train: number; eval: number; gold: number } {
  const parts = s.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) throw new Error(`--ratios ${s}: expected three numbers train,eval,gold, e.g. 0.8,0.1,0.1`);
  return { train: parts[0]!, eval: parts[1]!, gold: parts[2]! };
}

interface ManifestView {
  task_profile: string;
  label_set?: string[];
  split: { strategy: { kind: string; field?: string; seed: number }; ratios: Record<string, number> };
  counts: { train: number; eval: number; gold: number; dropped: number };
  artifacts: Record<string, { uri: string; sha256: string }>;
}

export async function prepareCommand(api: ApiClient, f: PrepareFlags, timeoutMs = 60 * 60_000): Promise<number> {
  const body = {
    ...(f.strategy ? { strategy: f.strategy } : {}),
    ...(f.field ? { field: f.field } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    ...(f.ratios ? { ratios: ratiosOf(f.ratios) } : {}),
    ...(f.leakageMaxShare !== undefined ? { leakage_max_share: f.leakageMaxShare } : {}),
  };
  const created = await api.request<{ task_id: string; cleaning_task_id: string; warnings: string[] }>(`/api/projects/${f.project}/prepare`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!f.json) {
    say(`prepare ${color.bold(created.task_id)} from cleaning ${created.cleaning_task_id}`);
    for (const w of created.warnings) say(color.yellow(`  warning: ${w}`));
  }
  const t = await pollTask(api, f.project, created.task_id, { json: f.json, timeoutMs });
  const manifest = t.status === 'completed' ? await api.request<ManifestView>(`/api/projects/${f.project}/tasks/${t.task_id}/report`) : undefined;
  if (f.json) {
    out(JSON.stringify({ task: t, manifest }));
    return t.status === 'completed' ? 0 : 1;
  }
  for (const x of t.findings) out((x.severity === 'error' ? color.red : color.yellow)(`  ${x.code}: ${x.summary}`));
  if (t.status !== 'completed' || !manifest) {
    say(color.red(`prepare failed (${t.failure_code}): ${t.failure_message}`));
    return 1;
  }
  out(renderManifestSummary(manifest, t.result?.['warnings'] as Array<{ code: string; detail: string }> | undefined, t.result?.['label_counts'] as Record<string, Record<string, number>> | undefined));
  return 0;
}

export function renderManifestSummary(m: ManifestView, warnings: ReadonlyArray<{ code: string; detail: string }> = [], labelCounts?: Readonly<Record<string, Readonly<Record<string, number>>>>): string {
  const s = m.split.strategy;
  const lines = [
    `${color.green('prepared')} ${m.task_profile} dataset — split ${s.kind}${s.field ? ` by ${s.field}` : ''}, seed ${s.seed}`,
    barChart([
      ['train', m.counts.train],
      ['eval', m.counts.eval],
      ['gold', m.counts.gold],
      ['dropped', m.counts.dropped],
    ]),
  ];
  if (m.label_set) lines.push(`labels (${m.label_set.length}): ${m.label_set.slice(0, 12).join(', ')}${m.label_set.length > 12 ? ', …' : ''}`);
  const train = labelCounts?.['train'];
  if (train && Object.keys(train).length > 0) {
    const top = Object.entries(train).sort((a, b) => b[1] - a[1]);
    lines.push('train label balance:');
    lines.push(barChart(top.slice(0, 15)));
    if (top.length > 15) lines.push(color.dim(`  … ${top.length - 15} more labels`));
  }
  for (const w of warnings) lines.push(color.yellow(`  warning ${w.code}: ${w.detail}`));
  for (const [split, ref] of Object.entries(m.artifacts)) lines.push(color.dim(`  ${split.padEnd(5)} ${ref.uri}`));
  return lines.join('\n');
}

interface LineageEntry {
  stage: string;
  run_id: string;
  outcome: string;
  reason: string | null;
  detail: Record<string, unknown>;
  occurred_at: string;
}

export async function rowsExplain(api: ApiClient, project: string, rowId: string, json: boolean): Promise<number> {
  const r = await api.request<{ row_id: string; entries: LineageEntry[] }>(`/api/projects/${project}/rows/${rowId}`);
  if (json) {
    out(JSON.stringify(r));
    return 0;
  }
  out(renderLineage(r.row_id, r.entries));
  return 0;
}

const good = new Set(['accepted', 'kept', 'train', 'eval', 'gold', 'tokenized']);

interface TokenizationDetail {
  readonly tokens: number;
  readonly trained_tokens: number;
  readonly original_length: number;
  readonly truncated: boolean;
}

const tokenizationLine = (t: TokenizationDetail, maxSeqLen: unknown): string =>
  `${t.tokens} tokens (${t.trained_tokens} trained)${t.truncated ? `, cut from ${t.original_length} to max_seq_len ${String(maxSeqLen)}` : `, max_seq_len ${String(maxSeqLen)}`}`;

export function renderLineage(rowId: string, entries: readonly LineageEntry[]): string {
  const lines = [`row ${color.bold(rowId)}`];
  for (const e of entries) {
    const mark = good.has(e.outcome) ? color.green('✓') : color.red('✗');
    lines.push(`${mark} ${e.stage.padEnd(12)} ${e.outcome}${e.reason ? ` (${e.reason})` : ''}  ${color.dim(`${e.occurred_at}  ${e.run_id}`)}`);
    const d = e.detail;
    const source = d['source'] as { locator: string; position: number; file?: string } | undefined;
    if (source) lines.push(`    source ${source.locator}${source.file ? ` [${source.file}]` : ''} record #${source.position}${d['mapper_id'] ? ` via ${d['mapper_id']}` : ''}`);
    if (typeof d['detail'] === 'string') lines.push(`    ${d['detail']}`);
    const q = d['quality'] as { score: number; language: string; script: string } | undefined;
    if (q) lines.push(`    quality ${q.score.toFixed(2)}, language ${q.language}, script ${q.script}`);
    const pii = d['pii'] as Array<{ kind: string; action: string; field: string; start: number; end: number }> | undefined;
    for (const p of pii ?? []) lines.push(`    PII ${p.kind} in ${p.field} [${p.start}, ${p.end}) → ${p.action}`);
    const outliers = d['outliers'] as string[] | undefined;
    if (outliers?.length) lines.push(`    outlier: ${outliers.join(', ')}`);
    const dd = d['dedup'] as { cluster_id: string; exact_of?: string; near_of?: string; similarity?: number } | undefined;
    if (dd) {
      const of = dd.exact_of ? `exact duplicate of ${dd.exact_of}` : dd.near_of ? `near duplicate of ${dd.near_of} (similarity ${dd.similarity})` : 'first of its cluster';
      lines.push(`    dedup cluster ${dd.cluster_id}: ${of}`);
    }
    if (e.stage === 'training') {
      const split = typeof d['split'] === 'string' ? `${d['split']} shard: ` : '';
      if (typeof d['tokens'] === 'number') lines.push(`    ${split}${tokenizationLine(d as unknown as TokenizationDetail, d['max_seq_len'])}`);
      for (const side of ['chosen', 'rejected'] as const) {
        const t = d[side] as TokenizationDetail | undefined;
        if (t) lines.push(`    ${split}${side}: ${tokenizationLine(t, d['max_seq_len'])}`);
      }
    }
  }
  return lines.join('\n');
}
