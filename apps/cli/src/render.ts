import type { RunEvent } from '@distillery/contracts';
import type { TimelineRow } from '@distillery/timeline';

const tty = process.stdout.isTTY === true && !process.env['NO_COLOR'];
const paint = (code: number) => (s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
export const color = { red: paint(31), green: paint(32), yellow: paint(33), dim: paint(2), bold: paint(1), cyan: paint(36) };

const severityColor = (s: string) => (s === 'error' || s === 'critical' ? color.red : s === 'warning' ? color.yellow : color.dim);

export function formatEvent(seq: number, e: RunEvent): string {
  const time = e.occurred_at.slice(11, 23);
  return `${color.dim(String(seq).padStart(6))} ${time} ${severityColor(e.severity)(e.severity.padEnd(8))} ${e.stage.padEnd(11)} ${e.reason_code.padEnd(26)} ${e.project_id}/${e.run_id}  ${e.summary}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

const statusMark = (r: TimelineRow) =>
  r.highest_severity === 'error' || r.highest_severity === 'critical'
    ? color.red('✗')
    : /_completed$|_prepared$|_passed$|_promoted$/.test(r.latest_reason_code)
      ? color.green('✓')
      : color.yellow('…');

/** Renders timeline rows as a tree (children under parents; orphans flagged at the top level). */
export function renderTimelineTree(rows: readonly TimelineRow[]): string {
  const byParent = new Map<string, TimelineRow[]>();
  const ids = new Set(rows.map((r) => `${r.project_id}/${r.run_id}`));
  const roots: TimelineRow[] = [];
  for (const r of rows) {
    const parentKey = r.parent_run_id ? `${r.project_id}/${r.parent_run_id}` : null;
    if (parentKey && ids.has(parentKey)) {
      const list = byParent.get(parentKey) ?? [];
      list.push(r);
      byParent.set(parentKey, list);
    } else roots.push(r);
  }
  const lines: string[] = [];
  const line = (r: TimelineRow, prefix: string, branch: string) => {
    const counts = Object.entries(r.counts)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => severityColor(s)(`${n} ${s}`))
      .join(', ');
    const orphan = r.orphan ? color.yellow(` (orphan: parent ${r.parent_run_id} has no events)`) : '';
    lines.push(
      `${prefix}${branch}${statusMark(r)} ${color.bold(r.run_id)}  ${r.latest_reason_code}  ${r.event_count} events (${counts})  ${formatDuration(r.duration_ms)}  [${r.stages.join(', ')}]${orphan}`,
    );
    lines.push(`${prefix}${branch ? (branch.startsWith('└') ? '   ' : '│  ') : ''}  ${color.dim(`${r.last_at}  ${r.last_actor}: ${r.last_summary}`)}`);
  };
  const walk = (r: TimelineRow, prefix: string, branch: string) => {
    line(r, prefix, branch);
    const kids = byParent.get(`${r.project_id}/${r.run_id}`) ?? [];
    const childPrefix = prefix + (branch ? (branch.startsWith('└') ? '   ' : '│  ') : '');
    kids.forEach((k, i) => walk(k, childPrefix, i === kids.length - 1 ? '└─ ' : '├─ '));
  };
  for (const r of roots) walk(r, '', '');
  return lines.join('\n');
}

/** A one-line progress bar on a TTY; plain lines otherwise (CI logs). */
export class ProgressBar {
  private last = '';
  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number, note = ''): void {
    const width = 30;
    const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
    const text = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${note}`;
    if (this.out.isTTY) this.out.write(`\r${text.padEnd(this.last.length)}`);
    else if (text !== this.last) this.out.write(`${text}\n`);
    this.last = text;
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

/** Horizontal bars for labelled counts, scaled to the largest (histograms, split sizes, label balance). */
export function barChart(rows: ReadonlyArray<readonly [string, number]>, width = 30): string {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  const labelWidth = Math.max(...rows.map(([l]) => l.length));
  const countWidth = Math.max(...rows.map(([, n]) => String(n).length));
  return rows
    .map(([label, n]) => {
      const len = n === 0 ? 0 : Math.max(1, Math.round((n / max) * width));
      return `  ${label.padEnd(labelWidth)} ${String(n).padStart(countWidth)} ${color.cyan('█'.repeat(len))}`;
    })
    .join('\n');
}

/**
 * A line chart of a series in the terminal (the loss curve): `height` rows, at most `width` columns (the series is
 * bucketed by mean), the y range labelled; a second series (eval loss) is drawn with another mark where present.
 */
export function lineChart(series: ReadonlyArray<{ x: number; y: number; y2?: number }>, opts: { height?: number; width?: number; label?: string; label2?: string } = {}): string {
  const height = opts.height ?? 10;
  const width = Math.min(opts.width ?? 60, series.length);
  if (series.length === 0) return '  (no points)';
  const cols: Array<{ y: number; y2?: number; x: number }> = [];
  for (let c = 0; c < width; c++) {
    const from = Math.floor((c * series.length) / width);
    const to = Math.max(from + 1, Math.floor(((c + 1) * series.length) / width));
    const part = series.slice(from, to);
    const y2s = part.filter((p) => p.y2 !== undefined).map((p) => p.y2!);
    cols.push({ x: part.at(-1)!.x, y: part.reduce((a, p) => a + p.y, 0) / part.length, ...(y2s.length ? { y2: y2s.at(-1)! } : {}) });
  }
  const ys = cols.flatMap((c) => (c.y2 !== undefined ? [c.y, c.y2] : [c.y]));
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const span = hi - lo || 1;
  const row = (v: number) => Math.round(((hi - v) / span) * (height - 1));
  const grid = Array.from({ length: height }, () => Array<string>(cols.length).fill(' '));
  cols.forEach((c, i) => {
    grid[row(c.y)]![i] = color.cyan('•');
    if (c.y2 !== undefined) grid[row(c.y2)]![i] = color.yellow('◆');
  });
  const labelW = Math.max(hi.toFixed(3).length, lo.toFixed(3).length);
  const lines = grid.map((r, i) => {
    const v = i === 0 ? hi.toFixed(3) : i === height - 1 ? lo.toFixed(3) : '';
    return `  ${v.padStart(labelW)} │${r.join('')}`;
  });
  lines.push(`  ${' '.repeat(labelW)} └${'─'.repeat(cols.length)}`);
  lines.push(`  ${' '.repeat(labelW)}  step ${cols[0]!.x} … ${cols.at(-1)!.x}   ${color.cyan('•')} ${opts.label ?? 'loss'}${cols.some((c) => c.y2 !== undefined) ? `   ${color.yellow('◆')} ${opts.label2 ?? 'eval loss'}` : ''}`);
  return lines.join('\n');
}
