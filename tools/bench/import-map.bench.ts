// Benchmark: import + map (label_to_classification) of a generated 1,000,000-row JSONL and CSV file, Distillery's
// commitImport against a plain Python 3 standard-library script doing the same parse and field mapping.
//
//   node tools/build.mjs && node dist/tools/bench/import-map.bench.js [--rows 1000000] [--rounds 2]
//        [--formats jsonl,csv] [--no-pg] [--pg-rows N] [--cpu-prof DIR] [--python python3] [--keep] [--straight]
//
// 1. Generates into a temp dir (deleted at the end, unless --keep) a JSONL file (`{"text": …, "label": …}`, some
//    CRLF lines, a few blank lines) and a CSV file (header `text,label`, CRLF, quoted fields with commas, doubled
//    quotes and line breaks, a few stray unquoted quotes) holding the same rows, from a seeded generator: sentences
//    of 10–30 words, 3 string labels plus some numeric ones, and a few bad rows in each file — empty / blank text,
//    no label, empty label, malformed records (JSONL: truncated JSON; CSV: a record without its label cell, and an
//    unclosed quote as the file's last record). The generator counts what each file should give.
// 2. Per format, `--rounds` rounds of: Distillery, then Python (node, python, node, python), each in a fresh child
//    process, so that peak RSS is per run:
//    - distillery: import-map.runner.js → commitImport (sources → label_to_classification → FileArtifactStore
//      writers) with an in-memory RowIndex that claims every id as new and stores nothing (the database is measured
//      separately, below). Peak RSS from process.resourceUsage().maxRSS at exit.
//    - python: import_map_baseline.py (csv / json / hashlib): same parse, row ids, acceptance rules and output rows.
//      Peak RSS from getrusage(RUSAGE_SELF).ru_maxrss.
//    rows/s = records read / time of the import inside the process (start-up excluded; the process wall time is
//    reported too).
// 3. Correctness (a mismatch is an error): every run of a format has the same read / accepted / rejected counts and
//    per-reason counts as the Python baseline, the same accepted file byte for byte (sha256: same row ids, records and
//    source positions) and the same (row_id, reason) list of rejected rows. Counts that differ from what the generator
//    expects are reported (not an error: the libraries decide).
// 4. Unless --no-pg: one more Distillery run per format with the mapping service's DatasetStore as the RowIndex on
//    PostgreSQL (DATABASE_URL, own schema, dropped at the end), on the first --pg-rows rows (default: all).
// 5. --straight (EXPERIMENT, JSONL only, informational): in every round a third run, `import-map.runner.js --pipeline
//    straight` — the same per-row library functions in one synchronous loop with a joining writer (see the runner);
//    its output is checked like the others.
// 6. --cpu-prof DIR: one more Distillery run per format under `node --cpu-prof` (not in the table); summarize with
//    cpuprofile-summary.js.
// Goals: Distillery rows/s ≥ 3 × Python's, and Distillery peak RSS ≤ 300 MB (10^6 bytes).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DATABASE_URL, boolFlag, flag, fmt, goal, machine, main, median, numberFlag, onCleanup, round, table, uniqueName } from './common.js';

const ROWS = numberFlag('rows', 1_000_000);
const ROUNDS = numberFlag('rounds', 2);
const FORMATS = (flag('formats') ?? 'jsonl,csv').split(',').map((s) => s.trim()) as Array<'jsonl' | 'csv'>;
const PG = !boolFlag('no-pg');
const PG_ROWS = numberFlag('pg-rows', ROWS);
const CPU_PROF = flag('cpu-prof');
const PYTHON = flag('python') ?? 'python3';
const KEEP = boolFlag('keep');
const STRAIGHT = boolFlag('straight');
const SEED = numberFlag('seed', 20261122);
const GOAL_RATIO = 3;
const GOAL_RSS_MB = 300;
for (const f of FORMATS) if (f !== 'jsonl' && f !== 'csv') throw new Error(`--formats takes jsonl and/or csv, got '${f}'`);

const here = dirname(fileURLToPath(import.meta.url));
const RUNNER = join(here, 'import-map.runner.js');
// dist/tools/bench → repository root → tools/bench (the .py file is not copied to dist)
const BASELINE = flag('python-script') ?? resolve(here, '../../../tools/bench/import_map_baseline.py');

// ── seeded generator ───────────────────────────────────────────────────────────────────────────────────────────
let rngState = SEED | 0;
/** mulberry32 */
function rand(): number {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const WORDS = (
  'the a an and or but so of to in on at for with from by about after before over under again very really quite too not ' +
  'no just only also still even never always often sometimes i you he she we they it this that these those my your our ' +
  'their his her its is was are were be been being have has had do does did will would can could should may might must ' +
  'product service order delivery package price quality battery screen phone laptop camera sound speaker charger cable ' +
  'case box app update support staff manager store website account payment refund return shipping size color fit ' +
  'material design performance experience problem issue time day week month year hour minute minutes days weeks ' +
  'customer seller company brand model version feature features setting settings button keyboard mouse headphones ' +
  'good great excellent amazing perfect nice fine okay decent average poor bad terrible awful horrible broken slow ' +
  'fast cheap expensive easy hard simple useful useless happy sad angry disappointed satisfied impressed surprised ' +
  'work works worked working use used using buy bought arrive arrived break broke stop stopped love loved hate hated ' +
  'recommend recommended expect expected return returned call called wait waited try tried need needed want wanted ' +
  'first last new old second next same other every any some most more less much many few little long short ' +
  'back home here there now then today yesterday well better best worse worst right wrong definitely probably ' +
  'café naïve résumé Zürich Ångström façade jalapeño 東京 ラーメン 👍 🙂'
).split(' ');
const LABELS = ['positive', 'negative', 'neutral'] as const;

function sentence(): string {
  const n = 10 + Math.floor(rand() * 21); // 10–30 words
  const words: string[] = [];
  for (let i = 0; i < n; i += 1) {
    let w = pick(WORDS);
    if (i === 0) w = w.charAt(0).toUpperCase() + w.slice(1);
    if (i < n - 1 && rand() < 0.06) w += ',';
    words.push(w);
  }
  const x = rand();
  if (x < 0.03 && n > 4) {
    // a quoted phrase: He said "great value" …
    const at = 1 + Math.floor(rand() * (n - 3));
    words[at] = `"${words[at]}`;
    words[at + 1] = `${words[at + 1]!.replace(/,$/, '')}"`;
  } else if (x < 0.05) {
    words[Math.floor(rand() * n)] += ` ${2 + Math.floor(rand() * 20)}"`; // an inch mark: 6" screen
  }
  let s = words.join(' ') + (rand() < 0.9 ? '.' : rand() < 0.6 ? '!' : '?');
  const y = rand();
  if (y < 0.003) s = s.replace(/ (\S+) /, ' $1\n'); // a review over two lines
  else if (y < 0.013) s = `  ${s} `; // stray whitespace (trimmed by the mapper)
  return s;
}

type Kind = 'ok' | 'empty_text' | 'blank_text' | 'no_label' | 'empty_label' | 'malformed';
type Expect = { accepted: number; rejected: number; byReason: Record<string, number>; blankLines: number };

const csvCell = (s: string, forceQuote: boolean): string => (forceQuote || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Buffered writes to a file descriptor (1 MiB at a time). */
class Out {
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    this.bytes += writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function generate(dir: string, rows: number): { jsonl: string; csv: string; expect: Record<'jsonl' | 'csv', Expect>; kinds: Record<Kind, number> } {
  const jsonlPath = join(dir, 'rows.jsonl');
  const csvPath = join(dir, 'rows.csv');
  const j = new Out(jsonlPath);
  const c = new Out(csvPath);
  const kinds: Record<Kind, number> = { ok: 0, empty_text: 0, blank_text: 0, no_label: 0, empty_label: 0, malformed: 0 };
  const ej: Expect = { accepted: 0, rejected: 0, byReason: {}, blankLines: 0 };
  const ec: Expect = { accepted: 0, rejected: 0, byReason: {}, blankLines: 0 };
  const count = (e: Expect, reason: string | null) => {
    if (reason === null) e.accepted += 1;
    else {
      e.rejected += 1;
      e.byReason[reason] = (e.byReason[reason] ?? 0) + 1;
    }
  };
  c.write('text,label\r\n');
  for (let i = 0; i < rows; i += 1) {
    const last = i === rows - 1;
    const x = rand();
    const kind: Kind = last || x < 0.0005 ? 'malformed' : x < 0.0015 ? 'empty_text' : x < 0.002 ? 'blank_text' : x < 0.003 ? 'no_label' : x < 0.004 ? 'empty_label' : 'ok';
    kinds[kind] += 1;
    const text = kind === 'empty_text' ? '' : kind === 'blank_text' ? pick(['   ', ' \t ', '\t']) : sentence();
    const r = rand();
    const numeric = r < 0.05;
    const label: string | number = kind === 'empty_label' ? '' : numeric ? Math.floor(rand() * 3) : r < 0.06 ? ` ${pick(LABELS)} ` : pick(LABELS);
    if (rand() < 0.0002) {
      j.write('\n');
      c.write('\r\n');
      ej.blankLines += 1;
      ec.blankLines += 1;
    }
    // JSONL: 10 % of the lines end in CRLF
    const eol = rand() < 0.1 ? '\r\n' : '\n';
    const quoteAnyway = rand() < 0.05;
    if (kind === 'malformed') {
      const full = `{"text": ${JSON.stringify(text)}, "label": ${JSON.stringify(label)}}`;
      j.write(`${full.slice(0, Math.max(5, Math.floor(full.length / 2)))}${last ? '' : eol}`); // truncated JSON
      count(ej, 'parse_error');
      if (last) {
        c.write(`"${text.replace(/"/g, '""')},${label}`); // unclosed quote at the end of the file
        count(ec, 'parse_error');
      } else {
        c.write(`${csvCell(text, quoteAnyway)}\r\n`); // the label cell is missing
        count(ec, 'missing_field');
      }
      continue;
    }
    if (kind === 'no_label') {
      j.write(`{"text": ${JSON.stringify(text)}}${eol}`);
      c.write(`${csvCell(text, quoteAnyway)}\r\n`);
      count(ej, 'missing_field');
      count(ec, 'missing_field');
      continue;
    }
    j.write(`{"text": ${JSON.stringify(text)}, "label": ${JSON.stringify(label)}}${eol}`);
    // a messy writer that did not quote a field with a stray inch mark (no comma, not at the start)
    const unquotedStray = !quoteAnyway && /^[^",\r\n]+"[^,\r\n]*$/.test(text) && !text.startsWith(' ') && rand() < 0.3;
    c.write(`${unquotedStray ? text : csvCell(text, quoteAnyway)},${csvCell(String(label), false)}\r\n`);
    const reason = kind === 'ok' ? null : kind === 'empty_label' ? 'missing_label' : 'empty_text';
    count(ej, reason);
    count(ec, reason);
  }
  j.close();
  c.close();
  return { jsonl: jsonlPath, csv: csvPath, expect: { jsonl: ej, csv: ec }, kinds };
}

// ── child processes ────────────────────────────────────────────────────────────────────────────────────────────
interface RunResult {
  impl: 'distillery' | 'distillery_pg' | 'python' | 'straight';
  ms: number;
  wall_ms: number;
  read: number;
  accepted: number;
  rejected: number;
  duplicates?: number;
  index_rows?: number;
  rejection_counts: Record<string, number>;
  warnings: string[];
  accepted_sha256: string;
  accepted_bytes: number;
  accepted_path: string;
  rejected_sha256: string;
  rejected_path: string;
  cpu_ms: number;
  max_rss_kib: number;
  /** sha256 over "row_id reason\n" of the rejected rows, in order (computed here from the rejected file). */
  rejected_keys?: string;
}

function runChild(cmd: string, args: string[], label: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - t0;
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${label} exited with ${code}:\n${err.slice(-4000)}${out.slice(-2000)}`));
      try {
        resolvePromise({ ...(JSON.parse(last) as RunResult), wall_ms: wall });
      } catch {
        reject(new Error(`${label}: no JSON line on stdout:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

/** The (row_id, reason) sequence of a rejected-rows file, as one digest. */
function rejectedKeys(path: string): string {
  const h = createHash('sha256');
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { row_id: string; reason: string };
    h.update(`${r.row_id} ${r.reason}\n`);
  }
  return h.digest('hex');
}

const mb = (kib: number) => (kib * 1024) / 1e6;

await main(async () => {
  console.log(`import-map: ${fmt(ROWS)} rows per file, formats ${FORMATS.join(', ')}, ${ROUNDS} rounds (node, python alternating${STRAIGHT ? ', + straight-loop experiment on jsonl' : ''}), pg ${PG ? `on (${fmt(PG_ROWS)} rows)` : 'off'}, seed ${SEED}`);
  console.log(`machine: ${JSON.stringify(machine())}`);
  const pyVersion = await new Promise<string>((res) => {
    const p = spawn(PYTHON, ['--version']);
    let s = '';
    p.stdout.on('data', (d: Buffer) => (s += d.toString()));
    p.stderr.on('data', (d: Buffer) => (s += d.toString()));
    p.on('close', () => res(s.trim()));
    p.on('error', () => res('unavailable'));
  });
  console.log(`python: ${PYTHON} (${pyVersion}), baseline ${BASELINE}`);
  statSync(BASELINE);
  statSync(RUNNER);

  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'distillery-bench-import-')));
  if (KEEP) console.log(`keeping ${dir}`);
  else onCleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));

  // ── generate ──────────────────────────────────────────────────────────────────────────────────────────────────
  const g0 = performance.now();
  const gen = generate(dir, ROWS);
  const genMs = performance.now() - g0;
  const size = { jsonl: statSync(gen.jsonl).size, csv: statSync(gen.csv).size };
  console.log(
    `generated ${fmt(ROWS)} rows in ${fmt(genMs / 1000, 1)} s: ${gen.jsonl} (${fmt(size.jsonl / 2 ** 20, 1)} MiB), ${gen.csv} (${fmt(size.csv / 2 ** 20, 1)} MiB); ` +
      `kinds ${JSON.stringify(gen.kinds)}`,
  );
  let pgRows: Record<'jsonl' | 'csv', string> | undefined;
  if (PG && PG_ROWS < ROWS) {
    // the first PG_ROWS rows of each file (the CSV keeps its header; a cut inside a quoted field is unlikely at a line start)
    pgRows = { jsonl: join(dir, 'pg-rows.jsonl'), csv: join(dir, 'pg-rows.csv') };
    for (const f of ['jsonl', 'csv'] as const) {
      const lines = readFileSync(gen[f], 'utf8').split('\n');
      const o = new Out(pgRows[f]);
      o.write(lines.slice(0, PG_ROWS + (f === 'csv' ? 1 : 0)).join('\n') + '\n');
      o.close();
    }
  }

  // ── runs ──────────────────────────────────────────────────────────────────────────────────────────────────────
  let seq = 0;
  const runNode = async (format: 'jsonl' | 'csv', file: string, index: 'memory' | 'pg', nodeFlags: string[] = [], pipeline: 'commit' | 'straight' = 'commit') => {
    seq += 1;
    const dataDir = join(dir, `node-${seq}`);
    mkdirSync(dataDir);
    const args = [...nodeFlags, RUNNER, '--locator', `${format}:${file}`, '--data-root', dir, '--data-dir', dataDir, '--index', index, '--pipeline', pipeline];
    if (index === 'pg') {
      const schema = uniqueName('benchimport');
      args.push('--schema', schema);
      onCleanup(`drop schema ${schema}`, async () => {
        const c = new pg.Client({ connectionString: DATABASE_URL });
        await c.connect();
        try {
          await c.query(`drop schema if exists "${schema}" cascade`);
        } finally {
          await c.end();
        }
      });
    }
    const r = await runChild(process.execPath, args, `distillery ${format} run`);
    r.rejected_keys = rejectedKeys(r.rejected_path);
    rmSync(dataDir, { recursive: true, force: true });
    return r;
  };
  const runPython = async (format: 'jsonl' | 'csv', file: string) => {
    seq += 1;
    const outDir = join(dir, `python-${seq}`);
    mkdirSync(outDir);
    const args = [BASELINE, '--format', format, '--file', file, '--locator', `${format}:${file}`, '--accepted', join(outDir, 'accepted.jsonl'), '--rejected', join(outDir, 'rejected.jsonl')];
    const r = await runChild(PYTHON, args, `python ${format} run`);
    r.rejected_keys = rejectedKeys(r.rejected_path);
    rmSync(outDir, { recursive: true, force: true });
    return r;
  };
  const describe = (format: string, round: number, r: RunResult) =>
    `  ${format} round ${round} ${r.impl.padEnd(13)} ${fmt(r.ms / 1000, 2).padStart(6)} s  ${fmt((r.read / r.ms) * 1000).padStart(9)} rows/s  ` +
    `peak RSS ${fmt(mb(r.max_rss_kib)).padStart(4)} MB  CPU ${fmt((100 * r.cpu_ms) / r.ms)} %  (process ${fmt(r.wall_ms / 1000, 2)} s)  ` +
    `read ${fmt(r.read)} accepted ${fmt(r.accepted)} rejected ${fmt(r.rejected)}`;

  const sameOutput = (a: RunResult, b: RunResult): string[] => {
    const diffs: string[] = [];
    for (const k of ['read', 'accepted', 'rejected', 'accepted_sha256', 'rejected_keys'] as const) if (a[k] !== b[k]) diffs.push(`${k}: ${a.impl} ${a[k]} ≠ ${b.impl} ${b[k]}`);
    const reasons = new Set([...Object.keys(a.rejection_counts), ...Object.keys(b.rejection_counts)]);
    for (const k of reasons) if ((a.rejection_counts[k] ?? 0) !== (b.rejection_counts[k] ?? 0)) diffs.push(`${k}: ${a.impl} ${a.rejection_counts[k] ?? 0} ≠ ${b.impl} ${b.rejection_counts[k] ?? 0}`);
    return diffs;
  };

  interface FormatResult {
    format: 'jsonl' | 'csv';
    node: RunResult[];
    python: RunResult[];
    straight: RunResult[];
    pg?: RunResult;
    pgRead?: number;
    expectDiffs: string[];
  }
  const results: FormatResult[] = [];
  for (const format of FORMATS) {
    const file = gen[format];
    const fr: FormatResult = { format, node: [], python: [], straight: [], expectDiffs: [] };
    results.push(fr);
    console.log(`\n${format}: ${file}`);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const n = await runNode(format, file, 'memory');
      fr.node.push(n);
      console.log(describe(format, round, n));
      const p = await runPython(format, file);
      fr.python.push(p);
      console.log(describe(format, round, p));
      if (STRAIGHT && format === 'jsonl') {
        const x = await runNode(format, file, 'memory', [], 'straight');
        fr.straight.push(x);
        console.log(describe(format, round, x));
      }
    }
    // correctness: every run against the first Python run
    const ref = fr.python[0]!;
    for (const r of [...fr.node, ...fr.python, ...fr.straight]) {
      const diffs = sameOutput(r, ref);
      if (diffs.length > 0) throw new Error(`${format}: ${r.impl} and python disagree: ${diffs.join('; ')}`);
    }
    const e = gen.expect[format];
    const n0 = fr.node[0]!;
    if (n0.read !== e.accepted + e.rejected) fr.expectDiffs.push(`read ${n0.read}, generator ${e.accepted + e.rejected}`);
    if (n0.accepted !== e.accepted) fr.expectDiffs.push(`accepted ${n0.accepted}, generator ${e.accepted}`);
    for (const k of new Set([...Object.keys(e.byReason), ...Object.keys(n0.rejection_counts)])) {
      if ((e.byReason[k] ?? 0) !== (n0.rejection_counts[k] ?? 0)) fr.expectDiffs.push(`${k} ${n0.rejection_counts[k] ?? 0}, generator ${e.byReason[k] ?? 0}`);
    }
    console.log(
      `  check: node = python in every run (counts, per-reason counts ${JSON.stringify(ref.rejection_counts)}, accepted file sha256 ${ref.accepted_sha256.slice(0, 16)}…, ` +
        `rejected (row_id, reason) list) → ok; generator expectation ${fr.expectDiffs.length === 0 ? 'ok' : `DIFFERS: ${fr.expectDiffs.join('; ')}`}`,
    );

    if (PG) {
      const pgFile = pgRows ? pgRows[format] : file;
      const r = await runNode(format, pgFile, 'pg');
      fr.pg = r;
      fr.pgRead = r.read;
      console.log(describe(format, 0, r) + `  duplicates ${fmt(r.duplicates ?? 0)}, index rows ${fmt(r.index_rows ?? 0)}`);
      if (!pgRows && (r.accepted_sha256 !== n0.accepted_sha256 || r.rejected_keys !== n0.rejected_keys)) throw new Error(`${format}: the PostgreSQL run wrote other rows than the in-memory run`);
      if ((r.duplicates ?? 0) !== 0 || r.index_rows !== r.accepted) throw new Error(`${format}: PostgreSQL index holds ${r.index_rows} rows for ${r.accepted} accepted (${r.duplicates} duplicates)`);
    }
    if (CPU_PROF) {
      mkdirSync(CPU_PROF, { recursive: true });
      const r = await runNode(format, file, 'memory', ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF)}`, `--cpu-prof-name=import-map-${format}-${process.pid}.cpuprofile`]);
      console.log(`  cpu profile (${fmt(r.ms / 1000, 2)} s under the profiler): ${join(resolve(CPU_PROF), `import-map-${format}-${process.pid}.cpuprofile`)}`);
    }
  }

  // ── summary ───────────────────────────────────────────────────────────────────────────────────────────────────
  const summary = results.map((fr) => {
    const nodeRate = median(fr.node.map((r) => (r.read / r.ms) * 1000));
    const pyRate = median(fr.python.map((r) => (r.read / r.ms) * 1000));
    const nodeRss = Math.max(...fr.node.map((r) => mb(r.max_rss_kib)));
    const pyRss = Math.max(...fr.python.map((r) => mb(r.max_rss_kib)));
    const ratio = nodeRate / pyRate;
    return {
      format: fr.format,
      bytes: size[fr.format],
      read: fr.node[0]!.read,
      accepted: fr.node[0]!.accepted,
      rejected: fr.node[0]!.rejected,
      rejection_counts: fr.node[0]!.rejection_counts,
      node_rows_per_s: nodeRate,
      python_rows_per_s: pyRate,
      node_s: median(fr.node.map((r) => r.ms / 1000)),
      python_s: median(fr.python.map((r) => r.ms / 1000)),
      node_cpu_pct: median(fr.node.map((r) => (100 * r.cpu_ms) / r.ms)),
      python_cpu_pct: median(fr.python.map((r) => (100 * r.cpu_ms) / r.ms)),
      node_rss_mb: nodeRss,
      python_rss_mb: pyRss,
      ratio,
      ratio_met: ratio >= GOAL_RATIO,
      rss_met: nodeRss <= GOAL_RSS_MB,
      straight: fr.straight.length > 0 ? { s: median(fr.straight.map((r) => r.ms / 1000)), rows_per_s: median(fr.straight.map((r) => (r.read / r.ms) * 1000)), rss_mb: Math.max(...fr.straight.map((r) => mb(r.max_rss_kib))), cpu_pct: median(fr.straight.map((r) => (100 * r.cpu_ms) / r.ms)) } : undefined,
      pg: fr.pg ? { read: fr.pg.read, s: fr.pg.ms / 1000, rows_per_s: (fr.pg.read / fr.pg.ms) * 1000, rss_mb: mb(fr.pg.max_rss_kib), cpu_pct: (100 * fr.pg.cpu_ms) / fr.pg.ms } : undefined,
      expect_diffs: fr.expectDiffs,
    };
  });

  console.log('\n── Results (medians of the rounds; peak RSS = max over the rounds) ──');
  console.log(
    table(
      ['format', 'impl', 'seconds', 'rows/s', 'CPU % of a core', 'peak RSS MB', 'ratio node/python', `goal ≥ ${GOAL_RATIO}×`, `goal RSS ≤ ${GOAL_RSS_MB} MB`],
      summary.flatMap((s) => [
        [s.format, 'distillery', fmt(s.node_s, 2), fmt(s.node_rows_per_s), fmt(s.node_cpu_pct), fmt(s.node_rss_mb), fmt(s.ratio, 2), goal(s.ratio_met), goal(s.rss_met)],
        [s.format, 'python', fmt(s.python_s, 2), fmt(s.python_rows_per_s), fmt(s.python_cpu_pct), fmt(s.python_rss_mb), '1.00', '-', '-'],
        ...(s.straight ? [[s.format, 'experiment: straight loop', fmt(s.straight.s, 2), fmt(s.straight.rows_per_s), fmt(s.straight.cpu_pct), fmt(s.straight.rss_mb), fmt(s.straight.rows_per_s / s.python_rows_per_s, 2), '-', '-']] : []),
        ...(s.pg ? [[s.format, `distillery + pg index${s.pg.read !== s.read ? ` (${fmt(s.pg.read)} rows)` : ''}`, fmt(s.pg.s, 2), fmt(s.pg.rows_per_s), fmt(s.pg.cpu_pct), fmt(s.pg.rss_mb), fmt(s.pg.rows_per_s / s.python_rows_per_s, 2), '-', goal(s.pg.rss_mb <= GOAL_RSS_MB)]] : []),
      ]),
    ),
  );
  for (const s of summary) {
    console.log(
      `\ngoal ${s.format}: rows/s ratio ${fmt(s.ratio, 2)} (≥ ${GOAL_RATIO}) → ${goal(s.ratio_met)}; peak RSS ${fmt(s.node_rss_mb)} MB (≤ ${GOAL_RSS_MB}) → ${goal(s.rss_met)}` +
        `; read ${fmt(s.read)}, accepted ${fmt(s.accepted)}, rejected ${fmt(s.rejected)} ${JSON.stringify(s.rejection_counts)}`,
    );
  }

  console.log(
    JSON.stringify({
      bench: 'import-map',
      rows: ROWS,
      rounds: ROUNDS,
      seed: SEED,
      machine: machine(),
      python: pyVersion,
      generate_s: round(genMs / 1000, 2),
      formats: summary.map((s) => ({
        format: s.format,
        bytes: s.bytes,
        read: s.read,
        accepted: s.accepted,
        rejected: s.rejected,
        rejection_counts: s.rejection_counts,
        distillery: { rows_per_s: round(s.node_rows_per_s), seconds: round(s.node_s, 2), cpu_pct: round(s.node_cpu_pct), peak_rss_mb: round(s.node_rss_mb) },
        python: { rows_per_s: round(s.python_rows_per_s), seconds: round(s.python_s, 2), cpu_pct: round(s.python_cpu_pct), peak_rss_mb: round(s.python_rss_mb) },
        ratio: round(s.ratio, 2),
        ...(s.straight ? { experiment_straight: { rows_per_s: round(s.straight.rows_per_s), seconds: round(s.straight.s, 2), peak_rss_mb: round(s.straight.rss_mb) } } : {}),
        ...(s.pg ? { distillery_pg: { rows: s.pg.read, rows_per_s: round(s.pg.rows_per_s), seconds: round(s.pg.s, 2), peak_rss_mb: round(s.pg.rss_mb) } } : {}),
        goal: { ratio_min: GOAL_RATIO, ratio_met: s.ratio_met, rss_max_mb: GOAL_RSS_MB, rss_met: s.rss_met },
        generator_expectation_diffs: s.expect_diffs,
      })),
    }),
  );
});
