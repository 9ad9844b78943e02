// Every real dataset through the CLI as a new user would run it: `distillery up`, then per dataset
// `import run --auto`, `clean`, `prepare` (each a separate CLI process, JSON output), and a table of the counts with
// the checks that they add up: read = accepted + rejected; cleaned in = accepted; kept + removed = in;
// train + eval + gold = kept; dropped = removed + rejected.
// Usage: npm run build && node dist/tools/datasets-cli-check.js [datasets-dir] [--json]
// Needs NATS (NATS_URL or nats-server on PATH); uses a fresh data dir and PGlite unless DATABASE_URL is set.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATASETS } from './datasets-list.js';

const dir = resolve(process.argv.find((a, i) => i > 1 && !a.startsWith('--')) ?? '../shared/datasets');
const json = process.argv.includes('--json');
const bin = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'bin', 'distillery.mjs');
const port = String(18000 + Math.floor(Math.random() * 2000));
const suffix = Math.random().toString(36).slice(2, 8);
const env = {
  ...process.env,
  PORT: port,
  DISTILLERY_API_URL: `http://127.0.0.1:${port}`,
  DISTILLERY_DATA_ROOTS: dir,
  DISTILLERY_DATA_DIR: mkdtempSync(join(tmpdir(), 'distillery-datasets-')),
  DISTILLERY_STREAM: `DATASETS_${suffix.toUpperCase()}`,
  DISTILLERY_SUBJECT_PREFIX: `datasets${suffix}`,
  DATABASE_SCHEMA: `datasets_${suffix}`,
  LOG_LEVEL: 'warn',
  NO_COLOR: '1',
};

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => done({ code: code ?? 1, out, err }));
  });
}
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as T;

const up = spawn(process.execPath, [bin, 'up'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 240) throw new Error('distillery up did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const rows = [];
  for (const d of DATASETS) {
    const project = d.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().replace(/^-|-$/g, '');
    const started = Date.now();
    const imp = await cli(['import', 'run', '--project', project, '--locator', d.locator, '--auto', '--force', '--json']);
    if (imp.code !== 0) {
      rows.push({ dataset: d.name, error: `import: ${(imp.err || imp.out).trim().split('\n').at(-1)}` });
      continue;
    }
    const ip = lastJson<{ payload: { mapper_id: string; rows_read: number; rows_accepted: number; rows_rejected: number; rejections: Record<string, number> } }>(imp.out).payload;
    await new Promise((r) => setTimeout(r, 300)); // the imports read model catches up with the event the CLI saw
    const clean = await cli(['clean', '--project', project, '--json']);
    const ct = lastJson<{ task: { status: string; failure_message?: string; result: { rows_in: number; rows_out: number; removed: Record<string, number> } } }>(clean.out).task;
    if (clean.code !== 0 || ct.status !== 'completed') {
      rows.push({ dataset: d.name, mapper: ip.mapper_id, error: `clean: ${ct?.failure_message ?? clean.err.trim()}` });
      continue;
    }
    const prep = await cli(['prepare', '--project', project, '--json']);
    const pt = lastJson<{ task: { status: string; failure_message?: string }; manifest?: { counts: Record<string, number>; split: { strategy: { kind: string } } } }>(prep.out);
    if (prep.code !== 0 || !pt.manifest) {
      rows.push({ dataset: d.name, mapper: ip.mapper_id, error: `prepare: ${pt.task?.failure_message ?? prep.err.trim()}` });
      continue;
    }
    const c = ct.result;
    const m = pt.manifest.counts;
    const removed = Object.values(c.removed).reduce((a, b) => a + b, 0);
    rows.push({
      dataset: d.name,
      mapper: ip.mapper_id,
      read: ip.rows_read,
      accepted: ip.rows_accepted,
      rejected: ip.rows_rejected,
      rejections: ip.rejections,
      kept: c.rows_out,
      removed: c.removed,
      split: `${pt.manifest.split.strategy.kind}: ${m['train']}/${m['eval']}/${m['gold']}`,
      adds_up:
        ip.rows_read === ip.rows_accepted + ip.rows_rejected &&
        c.rows_in === ip.rows_accepted &&
        c.rows_out + removed === c.rows_in &&
        m['train']! + m['eval']! + m['gold']! === c.rows_out &&
        m['dropped'] === removed + ip.rows_rejected,
      s: ((Date.now() - started) / 1000).toFixed(1),
    });
  }
  if (json) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log('| dataset | mapper | read | accepted | rejected (by reason) | kept after cleaning | removed (by reason) | split train/eval/gold | adds up | s |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    const fmt = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ') || '—';
    for (const r of rows) {
      if ('error' in r) console.log(`| ${r.dataset} | ${r.mapper ?? ''} | ERROR: ${r.error} |`);
      else console.log(`| ${r.dataset} | ${r.mapper} | ${r.read} | ${r.accepted} | ${r.rejected} (${fmt(r.rejections)}) | ${r.kept} | ${fmt(r.removed)} | ${r.split} | ${r.adds_up ? 'yes' : 'NO'} | ${r.s} |`);
    }
  }
  process.exitCode = rows.every((r) => !('error' in r) && r.adds_up) ? 0 : 1;
} finally {
  up.kill('SIGTERM');
}
