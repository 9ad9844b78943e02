// One measured Distillery import, in its own process (spawned by import-map.bench.ts, so peak RSS is per run):
// commitImport(source → label_to_classification → two JSON Lines artifacts) over one file, then one JSON line on
// stdout with the counts, the artifact references, the time of the import and the process's peak RSS.
//
//   node dist/tools/bench/import-map.runner.js --locator jsonl:/tmp/x/rows.jsonl --data-root /tmp/x --data-dir /tmp/x/node-1
//        [--index memory|pg] [--schema bench_import_…]
//
// --index memory (default): a RowIndex whose claim() returns every id as new and stores nothing. It isolates the data
//   path (read, decode, parse, row ids, map, serialize, hash, write) from the database; it is what an import into a
//   fresh project costs minus the row index round trips. Memory: nothing is kept per row.
// --pipeline straight (EXPERIMENT, JSONL only; not product code): the same per-row library functions — rowId /
//   makeRow / sentinelRow (@distillery/sources), the label_to_classification mapper through MappingTally
//   (@distillery/mappers), JSON.stringify of the same rows — in one synchronous loop per 64 KiB chunk instead of
//   async generators and one await per row, with a writer that joins the lines of a chunk into one string (no rope)
//   before encoding, hashing and writing it. It writes the same bytes as commitImport (the bench checks), and
//   shows how much of the time is plumbing rather than parsing, hashing and serializing.
// --index pg: the mapping service's own DatasetStore (apps/mapping/src/dataset-store.ts) on PostgreSQL (DATABASE_URL),
//   in schema --schema (created by the migration, dropped at the end by this process): one INSERT … ON CONFLICT …
//   RETURNING per 1,000 accepted rows, as the service does.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, realpathSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { FileArtifactStore } from '@distillery/artifacts';
import { openDatabase, type DatabaseHandle } from '@distillery/db';
import { artifactsDir, commitImport, importerFromConfig, type ImportOutcome, type RowIndex } from '@distillery/importer';
import { MappingTally, createMapperRegistry } from '@distillery/mappers';
import { makeRow, parseLocator, sentinelRow, type RowOrigin } from '@distillery/sources';
import { DatasetStore } from '../../apps/mapping/src/dataset-store.js';
import { DATABASE_URL, flag } from './common.js';

const locator = flag('locator');
const dataRoot = flag('data-root');
const dataDir = flag('data-dir');
const indexKind = flag('index') ?? 'memory';
const schema = flag('schema');
const pipeline = flag('pipeline') ?? 'commit';
if (pipeline !== 'commit' && pipeline !== 'straight') throw new Error(`--pipeline must be commit or straight, got '${pipeline}'`);
if (!locator || !dataRoot || !dataDir) throw new Error('usage: import-map.runner --locator <l> --data-root <dir> --data-dir <dir> [--index memory|pg --schema s]');
if (indexKind !== 'memory' && indexKind !== 'pg') throw new Error(`--index must be memory or pg, got '${indexKind}'`);
if (indexKind === 'pg' && !schema) throw new Error('--index pg needs --schema');

/** JSON Lines to a file, hashed as written: the lines of a chunk are joined once, then encoded (no rope, no await). */
class StraightWriter {
  private readonly fd: number;
  private readonly sha = createHash('sha256');
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(value: unknown): void {
    const s = JSON.stringify(value);
    this.parts.push(s);
    this.size += s.length + 1;
    if (this.size >= 64 * 1024) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    this.parts.push('');
    const buf = Buffer.from(this.parts.join('\n'));
    this.parts = [];
    this.size = 0;
    this.sha.update(buf);
    this.bytes += buf.length;
    writeSync(this.fd, buf);
  }
  close(): string {
    this.flush();
    closeSync(this.fd);
    return this.sha.digest('hex');
  }
}

/** The straight JSONL pipeline (see the header): same rows, same bytes, no per-row async plumbing. */
async function straightJsonl(dir: string): Promise<{ outcome: Pick<ImportOutcome, 'report' | 'warnings' | 'rows_duplicate'>; accepted: StraightWriter; rejected: StraightWriter; acceptedSha: string; rejectedSha: string }> {
  const parsed = parseLocator(locator!);
  if (parsed.scheme !== 'jsonl') throw new Error('--pipeline straight reads jsonl: locators only');
  const path = realpathSync(parsed.body);
  const origin: RowOrigin = { locator: locator!, resolved: path, identity: path };
  const mapper = createMapperRegistry().get('label_to_classification')!;
  const tally = new MappingTally(mapper, { text: 'text', label: 'label' }, { sampleSize: 20 });
  const accepted = new StraightWriter(join(dir, 'accepted.jsonl'));
  const rejected = new StraightWriter(join(dir, 'rejected.jsonl'));
  const decoder = new TextDecoder('utf-8', { ignoreBOM: false });
  let carry = '';
  let position = 0;
  let blank = 0;
  const line = (raw: string) => {
    if (raw.trim() === '') {
      blank += 1;
      return;
    }
    let row;
    try {
      const value: unknown = JSON.parse(raw);
      row = makeRow(origin, position, raw, typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value });
    } catch (err) {
      row = sentinelRow(origin, position, raw, `line ${position + blank + 1}: not valid JSON (${(err as Error).message})`);
    }
    position += 1;
    const result = tally.add(row);
    if (result.ok) accepted.write(result.row);
    else rejected.write(result.row);
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    const text = carry + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      line(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  carry += decoder.decode();
  if (carry.length > 0) line(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
  const warnings = blank > 0 ? [`skipped ${blank} blank line${blank > 1 ? 's' : ''} (not records)`] : [];
  const acceptedSha = accepted.close();
  const rejectedSha = rejected.close();
  return { outcome: { report: tally.report(), warnings, rows_duplicate: 0 }, accepted, rejected, acceptedSha, rejectedSha };
}

/** Claims every id as new and remembers nothing: the import path without the database (see the header). */
const claimAll: RowIndex = {
  claim: async (_project, _run, rowIds) => new Set(rowIds),
  release: async () => 0,
};

const startedAt = performance.now();
const config = { DISTILLERY_DATA_ROOTS: dataRoot, DISTILLERY_DATA_DIR: dataDir, HF_ENDPOINT: 'https://huggingface.co', KAGGLE_API_URL: 'https://www.kaggle.com' };
const deps = await importerFromConfig(config);
const store = new FileArtifactStore(artifactsDir(config));
let dbh: DatabaseHandle | undefined;
let index: RowIndex = claimAll;
let failed = false;
try {
  if (indexKind === 'pg') {
    dbh = await openDatabase({ url: DATABASE_URL, schema: schema! });
    index = await DatasetStore.open(dbh.db, schema!);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (pipeline === 'straight') {
    const s = await straightJsonl(dataDir);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const r = s.outcome.report;
    console.log(
      JSON.stringify({
        impl: 'straight',
        ms,
        process_ms: performance.now() - startedAt,
        read: r.read,
        accepted: r.accepted,
        rejected: r.rejected,
        duplicates: 0,
        rejection_counts: r.rejection_counts,
        warnings: s.outcome.warnings,
        accepted_sha256: s.acceptedSha,
        accepted_bytes: s.accepted.bytes,
        accepted_path: s.accepted.path,
        rejected_sha256: s.rejectedSha,
        rejected_bytes: s.rejected.bytes,
        rejected_path: s.rejected.path,
        cpu_ms: (cpu.user + cpu.system) / 1000,
        max_rss_kib: process.resourceUsage().maxRSS,
        heap_used_end: process.memoryUsage().heapUsed,
      }),
    );
    process.exit(0);
  }
  const outcome = await commitImport(
    { ...deps, store, index },
    { locator, mapper_id: 'label_to_classification', field_map: { text: 'text', label: 'label' }, project_id: 'bench', import_run_id: 'bench-run-1' },
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const r = outcome.report;
  let indexRows: number | undefined;
  if (dbh) {
    const c = await sql<{ n: number }>`select count(*)::int as n from ${sql.table('mapping_dataset_rows')}`.execute(dbh.db);
    indexRows = c.rows[0]!.n;
  }
  const ru = process.resourceUsage();
  console.log(
    JSON.stringify({
      impl: indexKind === 'pg' ? 'distillery_pg' : 'distillery',
      ms,
      process_ms: performance.now() - startedAt,
      read: r.read,
      accepted: r.accepted,
      rejected: r.rejected,
      duplicates: outcome.rows_duplicate,
      rejection_counts: r.rejection_counts,
      warnings: outcome.warnings,
      accepted_sha256: outcome.accepted_ref.sha256,
      accepted_bytes: outcome.accepted_ref.bytes,
      accepted_path: store.pathFor(outcome.accepted_ref),
      rejected_sha256: outcome.rejected_ref.sha256,
      rejected_bytes: outcome.rejected_ref.bytes,
      rejected_path: store.pathFor(outcome.rejected_ref),
      ...(indexRows !== undefined ? { index_rows: indexRows } : {}),
      cpu_ms: (cpu.user + cpu.system) / 1000,
      max_rss_kib: ru.maxRSS,
      heap_used_end: process.memoryUsage().heapUsed,
    }),
  );
} catch (err) {
  failed = true;
  console.error('import-map runner failed:', err);
} finally {
  if (dbh) {
    await sql`drop schema if exists ${sql.id(schema!)} cascade`.execute(dbh.db).catch((e: Error) => console.error(`drop schema ${schema}: ${e.message}`));
    await dbh.close();
  }
}
process.exit(failed ? 1 : 0);
