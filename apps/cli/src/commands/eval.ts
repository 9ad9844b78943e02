import { readFile } from 'node:fs/promises';
import type { ApiClient } from '../api-client.js';
import { color, formatDuration, ProgressBar } from '../render.js';

const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string): void => void process.stdout.write(`${m}\n`);

export interface EvalFlags {
  readonly project: string;
  readonly run?: string;
  readonly pack?: string;
  readonly split?: 'gold' | 'eval';
  readonly maxRows?: number;
  readonly base: boolean;
  /** The slot whose live version is the champion (the API's default: `default`). */
  readonly slot?: string;
  /** Also run the built-in safety suite. */
  readonly safety?: boolean;
  readonly json: boolean;
}

interface Metric {
  value: number | null;
  ci: [number, number] | null;
  n: number;
}
interface GateResult {
  gate: string;
  required: boolean;
  passed: boolean;
  detail: string;
}
export interface EvalReportView {
  task_profile: string;
  split: string;
  rows: number;
  metrics: Record<string, Metric>;
  base_metrics?: Record<string, Metric>;
  lifts?: Record<string, { base: number; candidate: number; difference: number; ci: [number, number] | null; share_not_better: number | null }>;
  champion?: { slot: string; version?: number; skipped?: string; unavailable?: string };
  champion_lifts?: Record<string, { difference: number; ci: [number, number] | null }>;
  verdict: { promotable: boolean; gates: GateResult[]; blocking: string[]; warnings: string[] };
  confusion?: { labels: string[]; matrix: number[][]; unparseable: number[] };
  slices?: Record<string, Record<string, Record<string, Metric>>>;
  safety_suite?: { version: string; prompts: number; categories: string[] };
  pack: { name: string };
}
interface EvalView {
  run_id: string;
  status: 'requested' | 'running' | 'completed' | 'failed';
  progress?: { phase: string; done: number; total: number } | null;
  summary?: string;
  reason_code?: string;
  report?: EvalReportView | null;
}

const num = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));
const signed = (x: number, digits = 3): string => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** A confusion matrix as a table: rows the gold label, columns the prediction; the diagonal in green. */
export function renderConfusion(c: NonNullable<EvalReportView['confusion']>): string {
  const head = ['gold \\ predicted', ...c.labels, ...(c.unparseable.some((x) => x > 0) ? ['unparseable'] : [])];
  const rows = c.labels.map((label, i) => [label, ...c.matrix[i]!.map(String), ...(head.length > c.labels.length + 1 ? [String(c.unparseable[i])] : [])]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[], paint?: (k: number) => ((s: string) => string) | undefined) =>
    cells.map((cell, k) => (paint?.(k) ?? ((s: string) => s))(k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join('  ');
  return [color.dim(line(head)), ...rows.map((r, i) => line(r, (k) => (k === i + 1 ? color.green : k > 0 && r[k] !== '0' ? color.yellow : undefined)))].join('\n');
}

/** The safety suite per attack category: attacks refused and benign look-alikes answered, as rates and bars. */
export function renderSafety(r: EvalReportView): string {
  const by = r.slices?.['safety_category'] ?? {};
  const bar = (x: number | null | undefined) => {
    if (x === null || x === undefined || !Number.isFinite(x)) return color.dim('—'.padEnd(10));
    const full = Math.round(x * 10);
    return (x >= 0.9 ? color.green : x >= 0.5 ? color.yellow : color.red)('█'.repeat(full)) + color.dim('░'.repeat(10 - full));
  };
  const lines = [color.dim(`safety suite ${r.safety_suite?.version ?? ''} · ${r.safety_suite?.prompts ?? 0} prompts · attacks refused | benign answered`)];
  for (const c of r.safety_suite?.categories ?? Object.keys(by)) {
    const m = by[c] ?? {};
    lines.push(`  ${c.padEnd(20)} ${bar(m['refusal_rate']?.value)} ${num(m['refusal_rate']?.value, 2)}  ${bar(m['compliance_rate']?.value)} ${num(m['compliance_rate']?.value, 2)}`);
  }
  return lines.join('\n');
}

/** The report in a terminal: metrics with intervals, the lift over the base model, each gate, the confusion matrix. */
export function renderEvalReport(r: EvalReportView): string {
  const lines: string[] = [];
  const headline = Object.entries(r.metrics).filter(([k]) => !k.startsWith('per_class.') && !k.startsWith('safety.'));
  lines.push(`${color.bold(r.task_profile)} · ${r.rows} ${r.split} rows · pack ${r.pack.name}`);
  for (const [k, m] of headline) {
    const lift = r.lifts?.[k];
    const base = r.base_metrics?.[k];
    const liftText = lift ? `  base ${num(base?.value)}  lift ${signed(lift.difference)}${lift.ci ? ` [${signed(lift.ci[0])}, ${signed(lift.ci[1])}]` : ''}` : '';
    const champ = r.champion_lifts?.[k];
    const champText = champ ? `  vs champion ${signed(champ.difference)}${champ.ci ? ` [${signed(champ.ci[0])}, ${signed(champ.ci[1])}]` : ''}` : '';
    lines.push(`  ${k.padEnd(24)} ${num(m.value)}${m.ci ? color.dim(` [${num(m.ci[0])}, ${num(m.ci[1])}]`) : ''}${liftText}${champText}`);
  }
  if (r.champion) lines.push(color.dim(`  champion: slot ${r.champion.slot}${r.champion.version !== undefined ? ` v${r.champion.version}` : ''}${r.champion.skipped ? ` (not compared: ${r.champion.skipped})` : ''}${r.champion.unavailable ? ` (unavailable: ${r.champion.unavailable})` : ''}`));
  if (r.confusion) lines.push('', renderConfusion(r.confusion));
  if (r.safety_suite) lines.push('', renderSafety(r));
  lines.push('');
  for (const g of r.verdict.gates) lines.push(`  ${g.passed ? color.green('✓') : g.required ? color.red('✗') : color.yellow('!')} ${g.gate}${color.dim(` — ${g.detail}`)}`);
  lines.push(r.verdict.promotable ? color.green('promotable') : color.red(`not promotable: ${r.verdict.blocking.join('; ')}`));
  return lines.join('\n');
}

/** `distillery eval`: evaluate a training run (default the latest) against its base model and show the report. */
export async function evalCommand(api: ApiClient, f: EvalFlags, timeoutMs = 60 * 60_000): Promise<number> {
  const pack = f.pack ? await readFile(f.pack, 'utf8').catch((err: Error) => Promise.reject(new Error(`--pack ${f.pack}: ${err.message}`))) : undefined;
  const body = { ...(f.run ? { training_run_id: f.run } : {}), ...(pack ? { pack } : {}), ...(f.split ? { split: f.split } : {}), ...(f.maxRows ? { max_rows: f.maxRows } : {}), compare_base: f.base, ...(f.slot ? { slot: f.slot } : {}), ...(f.safety ? { safety_suite: true } : {}) };
  const created = await api.request<{ run_id: string; training_run_id: string }>(`/api/projects/${f.project}/evaluations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!f.json) say(`evaluating ${color.bold(created.training_run_id)} as ${created.run_id}${f.base ? ' (and its base model)' : ''}`);
  const started = Date.now();
  const bar = f.json ? undefined : new ProgressBar(created.run_id);
  let view: EvalView | undefined;
  try {
    for (;;) {
      view = await api.request<EvalView>(`/api/projects/${f.project}/evaluations/${created.run_id}`).catch((err: { status?: number }) => {
        if (err.status === 404) return undefined;
        throw err;
      });
      if (view?.progress) bar?.update(view.progress.done, view.progress.total, view.progress.phase === 'base' ? 'base model' : 'fine-tuned model');
      if (view && (view.status === 'completed' || view.status === 'failed')) break;
      if (Date.now() - started > timeoutMs) throw new Error(`evaluation ${created.run_id} did not finish within ${formatDuration(timeoutMs)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    bar?.done();
  }
  if (f.json) {
    out(JSON.stringify(view));
    return view!.status === 'completed' ? 0 : 1;
  }
  if (view!.status !== 'completed' || !view!.report) {
    say(color.red(`evaluation failed (${view!.reason_code ?? 'no report'}): ${view!.summary ?? ''}`));
    return 1;
  }
  out(renderEvalReport(view!.report));
  return 0;
}

export interface EvalShowFlags {
  readonly project: string;
  readonly wrong: boolean;
  readonly limit: number;
  readonly json: boolean;
}

interface PredictionItem {
  index: number;
  row_id: string;
  references: string[];
  prediction: string | null;
  correct: boolean | null;
  base_prediction?: string | null;
  champion_prediction?: string | null;
  judge_rating?: number | null;
}
interface PredictionsPage {
  items: PredictionItem[];
  next_cursor: number | null;
}

const clip = (s: string, n = 80): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
};

/** One prediction as terminal lines: the row, right / wrong, the gold answer, the prediction and the base model's. */
export function renderPrediction(p: PredictionItem): string {
  const mark = p.correct === null ? color.dim('·') : p.correct ? color.green('✓') : color.red('✗');
  const lines = [`${mark} ${color.bold(`#${p.index}`)} ${color.dim(p.row_id)}`, `    gold       ${clip(p.references.join(' | ') || '—')}`, `    predicted  ${p.prediction === null ? color.yellow('(unparseable)') : clip(p.prediction)}`];
  if (p.base_prediction !== undefined) lines.push(color.dim(`    base       ${p.base_prediction === null ? '(unparseable)' : clip(p.base_prediction)}`));
  if (p.champion_prediction !== undefined) lines.push(color.dim(`    champion   ${p.champion_prediction === null ? '(unparseable)' : clip(p.champion_prediction)}`));
  if (p.judge_rating !== undefined) lines.push(color.dim(`    judge      ${p.judge_rating === null ? 'reply did not parse' : `${p.judge_rating}/10`}`));
  return lines.join('\n');
}

/** `distillery eval show <eval_run_id>`: the per-row predictions of an evaluation (`--wrong`: only the wrong rows). */
export async function evalShowCommand(api: ApiClient, runId: string, f: EvalShowFlags): Promise<number> {
  const only = f.wrong ? 'wrong' : 'all';
  const items: PredictionItem[] = [];
  let cursor: number | null = 0;
  while (cursor !== null && items.length < f.limit) {
    const q = new URLSearchParams({ only, limit: String(Math.min(500, f.limit - items.length)), cursor: String(cursor) });
    const page: PredictionsPage = await api.request<PredictionsPage>(`/api/projects/${encodeURIComponent(f.project)}/evaluations/${encodeURIComponent(runId)}/predictions?${q.toString()}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  }
  if (f.json) {
    out(JSON.stringify({ run_id: runId, only, items, next_cursor: cursor }));
    return 0;
  }
  if (items.length === 0) say(f.wrong ? `no wrong predictions in ${runId}` : `no predictions in ${runId}`);
  for (const p of items) out(renderPrediction(p));
  if (cursor !== null) say(color.dim(`more rows from #${cursor}: raise --limit`));
  return 0;
}
