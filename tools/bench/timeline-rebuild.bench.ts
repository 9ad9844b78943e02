// Benchmark: timeline rebuild (rebuildProjection from sequence 0) over a large log.
//
//   node tools/build.mjs && node dist/tools/bench/timeline-rebuild.bench.js [--events 1000000] [--runs 10000]
//        [--batch-sizes 5000,20000] [--window 2048] [--fill js|core] [--instrument]
//
// 1. Generates N valid RunEvents (10,000 runs in trees of one root and 9 children over 10 projects, parent/child
//    links, mixed stages, reason codes and severities, events of all runs interleaved) and checks a sample with
//    validateRunEvent. Bodies are pre-serialized into one off-heap buffer.
// 2. Fills a fresh stream with them: `--fill js` (default) js.publish with `window` publishes in flight, on a
//    connection opened with noAsyncTraces (the NATS client otherwise builds two Error objects per publish);
//    `--fill core` fire-and-forget core publishes to the stream's subjects (no PubAck), then waits for the stream to
//    hold N messages. The fill is timed separately from the rebuild.
// 3. Times rebuildProjection(timelineProjection, { log, db, schema, batchSize }) for each batch size (each rebuild
//    makes a new version). Goal: < 60 s for 1,000,000 events.
//    `--instrument` runs the rebuilds on a second Kysely over the same database and schema with a query log, and
//    splits the time into the upsert statements, the checkpoint updates and the rest (read, decode, fold, commit).
// 4. Checks cheaply: rows of the new version = runs, sum(event_count) = events, a root run has 9 children.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import {
  REASON_CODES,
  RUN_EVENT_SCHEMA_VERSION,
  eventSubject,
  isReasonCode,
  validatePayload,
  validateRunEvent,
  type ReasonCode,
  type Severity,
} from '@distillery/contracts';
import { openDatabase } from '@distillery/db';
import { EventLog, buildTopology } from '@distillery/eventlog';
import { rebuildProjection } from '@distillery/projection-runtime';
import { getRun, timelineProjection } from '@distillery/timeline';
import { DATABASE_URL, NATS_URL, boolFlag, flag, fmt, goal, listFlag, machine, main, numberFlag, onCleanup, round, sleep, table, uniqueName, windowed } from './common.js';

const EVENTS = numberFlag('events', 1_000_000);
const RUNS = numberFlag('runs', 10_000);
const BATCH_SIZES = listFlag('batch-sizes', [5_000, 20_000]);
const WINDOW = numberFlag('window', 2_048);
const FILL = (flag('fill') ?? 'js') as 'js' | 'core';
const CHILDREN = 9; // each tree: one root and 9 children
const PROJECTS = 10;
const GOAL_S = 60;
const INSTRUMENT = boolFlag('instrument');
if (FILL !== 'js' && FILL !== 'core') throw new Error(`--fill must be js or core, got '${FILL}'`);
if (RUNS > EVENTS) throw new Error('--runs must not exceed --events (every run needs an event)');

// ── deterministic generator ────────────────────────────────────────────────────────────────────────────────────
let rngState = 0x9e3779b9;
/** mulberry32: fast, deterministic, good enough for picking. */
function rand(): number {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let pool = randomBytes(1 << 20);
let poolPos = 0;
function randomByte(): number {
  if (poolPos >= pool.length) {
    pool = randomBytes(1 << 20);
    poolPos = 0;
  }
  return pool[poolPos++]!;
}
const hex = (bytes: number) => {
  let s = '';
  for (let i = 0; i < bytes; i += 1) s += HEX[randomByte()];
  return s;
};
/** A lowercase UUIDv7 for time `ms` (random from a pool; the format the contracts check). */
function uuidV7(ms: number): string {
  const t = ms.toString(16).padStart(12, '0');
  const b6 = 0x70 | (randomByte() & 0x0f);
  const b8 = 0x80 | (randomByte() & 0x3f);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-${HEX[b6]}${HEX[randomByte()]}-${HEX[b8]}${HEX[randomByte()]}-${hex(6)}`;
}
const artifact = (what: string) => ({ uri: `s3://bench/${what}`, sha256: hex(32), bytes: Math.floor(rand() * 1e6), media_type: 'application/octet-stream' });
const failure = (cls: string) => ({ error_class: cls, message: `${cls} in bench`, fingerprint: hex(4) });

type Gen = () => unknown;
/** Reason codes used by the generator, with a payload factory each, and a weight (progress events dominate). */
const PAYLOADS: Array<[ReasonCode, number, Gen]> = [
  ['dataset_import_run', 2, () => ({ locator: 'hf://bench/ds', rows_read: 1000, rows_rejected: Math.floor(rand() * 10) })],
  ['ingest_validation_failed', 1, () => ({ locator: 'hf://bench/ds', issues: ['no text column'] })],
  ['cleaning_completed', 2, () => ({ rows_in: 1000, rows_out: 990 })],
  ['cleaning_outlier_threshold_exceeded', 1, () => ({ metric: 'length', share: 0.2, threshold: 0.1 })],
  ['dataset_prepared', 2, () => ({ manifest_ref: artifact('manifest.json'), counts: { train: 900, eval: 100 } })],
  ['preflight_warning', 1, () => ({ warnings: ['small dataset'] })],
  ['training_started', 2, () => ({ engine: 'bench', total_steps: 1000 })],
  ['training_progress', 30, () => ({ step: Math.floor(rand() * 1000), total_steps: 1000, loss: rand() * 3, tokens_per_s: 1e4 * rand() })],
  ['training_checkpoint_saved', 4, () => ({ step: Math.floor(rand() * 1000), checkpoint_ref: artifact('ckpt.bin') })],
  ['training_oom', 1, () => ({ step: Math.floor(rand() * 1000), failure: failure('CudaOutOfMemory') })],
  ['eval_completed', 3, () => ({ metrics: { accuracy: rand(), f1: rand() }, promotable: rand() < 0.5 })],
  ['eval_judge_unavailable', 1, () => ({ endpoint: 'http://judge', failure: failure('ConnectError') })],
  ['export_completed', 2, () => ({ format: 'gguf', bundle_ref: artifact('bundle.tgz') })],
  ['deployment_drift_detected', 1, () => ({ metrics: { accuracy: rand() }, drifted: ['accuracy'] })],
  ['demo_run_progress', 30, () => ({ step: 1 + Math.floor(rand() * 100), total: 100 })],
  ['demo_run_failed', 1, () => ({ failure: failure('DemoFailure') })],
];
const FIRST: Array<[ReasonCode, Gen]> = [
  ['dataset_import_requested', () => ({ locator: 'hf://bench/ds' })],
  ['training_requested', () => ({ autopilot: true })],
  ['eval_requested', () => ({ pack: 'default' })],
  ['demo_run_requested', () => ({ steps: 100, children: CHILDREN })],
];
// The registry evolves: a factory whose payload no longer validates is left out (and named), not silently kept.
const skipped: string[] = [];
const stillValid = (code: ReasonCode, gen: Gen): boolean => {
  const ok = [0, 1, 2].every(() => validatePayload(code, gen()).ok) && isReasonCode(code);
  if (!ok) skipped.push(code);
  return ok;
};
const USED = PAYLOADS.filter(([code, , gen]) => stillValid(code, gen));
const FIRST_USED = FIRST.filter(([code, gen]) => stillValid(code, gen));
if (USED.length === 0 || FIRST_USED.length === 0) throw new Error(`no generator payload validates any more (${skipped.join(', ')})`);
const cumulative: Array<[number, ReasonCode, Gen]> = [];
{
  const total = USED.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  for (const [code, w, gen] of USED) {
    acc += w / total;
    cumulative.push([acc, code, gen]);
  }
}
function weightedCode(): [ReasonCode, Gen] {
  const x = rand();
  for (const [c, code, gen] of cumulative) if (x <= c) return [code, gen];
  const last = cumulative[cumulative.length - 1]!;
  return [last[1], last[2]];
}

interface Run {
  readonly project: string;
  readonly id: string;
  readonly parent: string | null;
  correlation: string | null;
  events: number;
}

function makeRuns(n: number): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < n; i += 1) {
    const tree = Math.floor(i / (CHILDREN + 1));
    const isRoot = i % (CHILDREN + 1) === 0;
    const project = `proj-${tree % PROJECTS}`;
    runs.push({ project, id: isRoot ? `run-${tree}` : `run-${tree}-c${i % (CHILDREN + 1)}`, parent: isRoot ? null : `run-${tree}`, correlation: null, events: 0 });
  }
  return runs;
}

/** Shuffled run order per "epoch" of RUNS events, so every run gets floor/ceil(N/RUNS) events, interleaved. */
function runOrder(n: number, runs: number): Uint32Array {
  const out = new Uint32Array(n);
  const perm = Uint32Array.from({ length: runs }, (_, i) => i);
  for (let i = 0; i < n; i += 1) {
    const k = i % runs;
    if (k === 0) {
      for (let j = runs - 1; j > 0; j -= 1) {
        const r = Math.floor(rand() * (j + 1));
        const t = perm[j]!;
        perm[j] = perm[r]!;
        perm[r] = t;
      }
    }
    out[i] = perm[k]!;
  }
  return out;
}

interface Generated {
  readonly data: Buffer;
  readonly offsets: Uint32Array; // event i is data[offsets[i], offsets[i+1])
  readonly subjects: string[];
  readonly runs: Run[];
  readonly severities: Record<Severity, number>;
  readonly codes: number;
  readonly stages: number;
}

function generate(n: number, prefix: string): Generated {
  const runs = makeRuns(RUNS);
  const order = runOrder(n, RUNS);
  const chunks: Buffer[] = [];
  let chunk = Buffer.allocUnsafe(64 << 20);
  let pos = 0;
  let base = 0;
  const offsets = new Uint32Array(n + 1);
  const subjects = new Array<string>(n);
  const severities: Record<Severity, number> = { info: 0, warning: 0, error: 0, critical: 0 };
  const codes = new Set<string>();
  const stages = new Set<string>();
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < n; i += 1) {
    const run = runs[order[i]!]!;
    const [code, gen] = run.events === 0 ? pick(FIRST_USED) : weightedCode();
    const spec = REASON_CODES[code];
    const severity = spec.severities.length === 1 ? spec.severities[0]! : pick(spec.severities);
    const ms = t0 + i * 3;
    const id = uuidV7(ms);
    run.correlation ??= id;
    const traced = rand() < 0.5;
    const event = {
      id,
      project_id: run.project,
      run_id: run.id,
      parent_run_id: run.parent,
      stage: spec.stage,
      reason_code: code,
      severity,
      actor: rand() < 0.2 ? 'user:alice' : 'service:bench-fill',
      summary: `${code} #${run.events + 1} of ${run.id}`,
      payload: gen(),
      occurred_at: new Date(ms).toISOString(),
      correlation_id: run.correlation,
      causation_id: run.events === 0 ? null : run.correlation,
      trace_id: traced ? hex(16) : null,
      span_id: traced ? hex(8) : null,
      producer: 'bench-fill@0.1.0',
      schema_version: RUN_EVENT_SCHEMA_VERSION,
    };
    run.events += 1;
    severities[severity] += 1;
    codes.add(code);
    stages.add(spec.stage);
    const json = JSON.stringify(event);
    if (pos + json.length * 3 > chunk.length) {
      chunks.push(chunk.subarray(0, pos));
      base += pos;
      chunk = Buffer.allocUnsafe(64 << 20);
      pos = 0;
    }
    offsets[i] = base + pos;
    pos += chunk.write(json, pos, 'utf8');
    subjects[i] = eventSubject(prefix, { project_id: run.project, run_id: run.id, stage: spec.stage, reason_code: code });
  }
  chunks.push(chunk.subarray(0, pos));
  const data = Buffer.concat(chunks);
  offsets[n] = data.length;
  return { data, offsets, subjects, runs, severities, codes: codes.size, stages: stages.size };
}

await main(async () => {
  console.log(`timeline-rebuild: ${fmt(EVENTS)} events, ${fmt(RUNS)} runs, batch sizes ${BATCH_SIZES.join(', ')}, fill ${FILL} (window ${WINDOW})`);
  console.log(`machine: ${JSON.stringify(machine())}`);
  const name = uniqueName('benchrebuild');
  const streamName = name.toUpperCase();
  const topology = buildTopology({ streamName, subjectPrefix: name, consumers: [] });

  // ── generate ────────────────────────────────────────────────────────────────────────────────────────────────
  const g0 = performance.now();
  const gen = generate(EVENTS, name);
  const genMs = performance.now() - g0;
  const body = (i: number) => gen.data.subarray(gen.offsets[i]!, gen.offsets[i + 1]!);
  // Validate a sample: the first 1,000 and every 997th event.
  let checked = 0;
  for (let i = 0; i < EVENTS; i += i < 1_000 ? 1 : 997) {
    const v = validateRunEvent(JSON.parse(body(i).toString('utf8')));
    if (!v.ok) throw new Error(`generated event ${i} is invalid: ${v.errors.join('; ')}`);
    checked += 1;
  }
  const withParent = gen.runs.filter((r) => r.parent).length;
  console.log(
    `generated ${fmt(EVENTS)} events (${fmt(gen.data.length / 2 ** 20, 1)} MiB, avg ${fmt(gen.data.length / EVENTS)} bytes) in ${fmt(genMs / 1000, 1)} s; ` +
      `${fmt(RUNS)} runs (${fmt(withParent)} with a parent), ${gen.codes} reason codes, ${gen.stages} stages, severities ${JSON.stringify(gen.severities)}; ` +
      `validateRunEvent ok on a sample of ${fmt(checked)}`,
  );
  if (skipped.length > 0) console.log(`note: left out reason codes whose generator payload no longer validates: ${skipped.join(', ')}`);

  // ── services ──────────────────────────────────────────────────────────────────────────────────────────────
  const log = await EventLog.connect({ url: NATS_URL, name: 'distillery-bench-rebuild', topology });
  onCleanup('close NATS connection', () => log.close());
  await log.applyTopology();
  onCleanup(`delete stream ${streamName}`, () => log.jsm.streams.delete(streamName));
  const dbh = await openDatabase({ url: DATABASE_URL, schema: name });
  onCleanup('close database', () => dbh.close());
  onCleanup(`drop schema ${name}`, () => sql`drop schema if exists ${sql.id(name)} cascade`.execute(dbh.db));

  // ── fill ──────────────────────────────────────────────────────────────────────────────────────────────────
  const nc = await connect({ servers: NATS_URL, name: 'distillery-bench-rebuild-fill', noAsyncTraces: true });
  onCleanup('close fill connection', async () => {
    if (!nc.isClosed()) await nc.close();
  });
  const f0 = performance.now();
  let lastReport = f0;
  let done = 0;
  const progress = () => {
    const now = performance.now();
    if (now - lastReport > 5_000) {
      lastReport = now;
      console.log(`  fill: ${fmt(done)} / ${fmt(EVENTS)} (${fmt((done / (now - f0)) * 1000)} events/s)`);
    }
  };
  if (FILL === 'js') {
    const js = jetstream(nc, { timeout: 30_000 });
    await windowed(EVENTS, WINDOW, async (i) => {
      await js.publish(gen.subjects[i]!, body(i));
      done += 1;
      if ((done & 0x3fff) === 0) progress();
    });
  } else {
    for (let i = 0; i < EVENTS; i += 1) {
      nc.publish(gen.subjects[i]!, body(i));
      if ((i & 0x3fff) === 0x3fff) {
        await nc.flush();
        done = i + 1;
        progress();
      }
    }
    await nc.flush();
    for (;;) {
      const st = (await log.jsm.streams.info(streamName)).state;
      if (st.messages >= EVENTS) break;
      if (performance.now() - f0 > 600_000) throw new Error(`stream holds ${st.messages} of ${EVENTS} after 10 min`);
      await sleep(100);
    }
  }
  const fillMs = performance.now() - f0;
  await nc.close();
  const state = (await log.jsm.streams.info(streamName)).state;
  if (state.messages !== EVENTS) throw new Error(`stream holds ${state.messages} messages, expected ${EVENTS}`);
  console.log(`filled ${fmt(EVENTS)} events in ${fmt(fillMs / 1000, 1)} s (${fmt((EVENTS / fillMs) * 1000)} events/s); stream ${fmt(state.bytes / 2 ** 20, 1)} MiB`);

  // Query timing (only with --instrument): same database and schema, a Kysely with a log callback.
  const queryMs = { upsert: 0, checkpoint: 0, other: 0, upserts: 0 };
  const otherByQuery = new Map<string, number>();
  let rebuildDb = dbh.db;
  if (INSTRUMENT) {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10, options: `-c search_path=${name}` });
    const idb = new Kysely({
      dialect: new PostgresDialect({ pool }),
      log: (e: LogEvent) => {
        const q = e.query.sql;
        if (q.startsWith('insert into "timeline_runs_v')) {
          queryMs.upsert += e.queryDurationMillis;
          queryMs.upserts += 1;
        } else if (q.startsWith('update "projection_checkpoints"')) queryMs.checkpoint += e.queryDurationMillis;
        else {
          queryMs.other += e.queryDurationMillis;
          const k = q.slice(0, 60);
          otherByQuery.set(k, (otherByQuery.get(k) ?? 0) + e.queryDurationMillis);
        }
      },
    });
    onCleanup('close instrumented pool', () => idb.destroy());
    rebuildDb = idb;
  }

  // ── rebuilds ──────────────────────────────────────────────────────────────────────────────────────────────
  const results: Array<{ batchSize: number; ms: number; rate: number; version: number; rows: number; events: number; correct: boolean; cpuPct: number }> = [];
  for (const batchSize of BATCH_SIZES) {
    let nextReport = 0.1;
    const q0 = { ...queryMs };
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    const r = await rebuildProjection(timelineProjection, {
      log,
      db: rebuildDb,
      schema: name,
      batchSize,
      onProgress: ({ seq, endSeq, events }) => {
        if (seq / endSeq >= nextReport) {
          nextReport += 0.1;
          const s = (performance.now() - t) / 1000;
          console.log(`  rebuild batch ${fmt(batchSize)}: ${fmt(events)} events, seq ${fmt(seq)}/${fmt(endSeq)} at ${fmt(s, 1)} s (${fmt(events / s)} events/s)`);
        }
      },
    });
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const agg = await sql<{ rows: number; events: number }>`select count(*)::int as rows, coalesce(sum(event_count), 0)::int as events from ${sql.table(`timeline_runs_v${r.toVersion}`)}`.execute(dbh.db);
    const { rows, events } = agg.rows[0]!;
    const root = await getRun(dbh.db, 'run-0', 'proj-0');
    const correct = rows === RUNS && events === EVENTS && r.events === EVENTS && root?.children_count === Math.min(CHILDREN, RUNS - 1);
    results.push({ batchSize, ms, rate: (EVENTS / ms) * 1000, version: r.toVersion, rows, events, correct, cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100 });
    console.log(
      `rebuild batch ${fmt(batchSize)}: ${fmt(ms / 1000, 1)} s, ${fmt((EVENTS / ms) * 1000)} events/s, v${r.fromVersion}→v${r.toVersion}; ` +
        `rows ${fmt(rows)} (expected ${fmt(RUNS)}), sum(event_count) ${fmt(events)} (expected ${fmt(EVENTS)}), run-0 children ${root?.children_count} → ${correct ? 'ok' : 'MISMATCH'}`,
    );
    if (INSTRUMENT) {
      const up = queryMs.upsert - q0.upsert;
      const cp = queryMs.checkpoint - q0.checkpoint;
      const other = queryMs.other - q0.other;
      const n = queryMs.upserts - q0.upserts;
      console.log(
        `  instrumented: upsert statements ${fmt(up / 1000, 1)} s (${fmt((100 * up) / ms, 0)}%, ${fmt(n)} statements, ${fmt(up / n, 1)} ms each), ` +
          `checkpoint updates ${fmt(cp / 1000, 1)} s, other queries ${fmt(other / 1000, 1)} s, ` +
          `rest (read + decode + fold + compile + begin/commit) ${fmt((ms - up - cp - other) / 1000, 1)} s`,
      );
      const top = [...otherByQuery.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
      console.log(`  other queries, top (cumulative): ${top.map(([q, t]) => `${fmt(t)} ms ${JSON.stringify(q)}`).join('; ')}`);
      otherByQuery.clear();
    }
    if (!correct) throw new Error(`rebuild with batch size ${batchSize} is wrong: rows ${rows}, events ${events}, root ${JSON.stringify(root)}`);
  }

  console.log('\n── Results ──');
  console.log(
    table(
      ['phase', 'batch size', 'seconds', 'events/s', 'process CPU % of a core', `goal < ${GOAL_S} s`],
      [
        ['generate (in memory)', '-', fmt(genMs / 1000, 1), fmt((EVENTS / genMs) * 1000), '-', '-'],
        [`fill (${FILL})`, '-', fmt(fillMs / 1000, 1), fmt((EVENTS / fillMs) * 1000), '-', '-'],
        ...results.map((r) => ['rebuild', fmt(r.batchSize), fmt(r.ms / 1000, 1), fmt(r.rate), fmt(r.cpuPct), goal(r.ms / 1000 < GOAL_S)]),
      ],
    ),
  );
  const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
  console.log(`\ngoal: rebuild of ${fmt(EVENTS)} events < ${GOAL_S} s: best ${fmt(best.ms / 1000, 1)} s (batch ${fmt(best.batchSize)}) → ${goal(best.ms / 1000 < GOAL_S)}`);

  console.log(
    JSON.stringify({
      bench: 'timeline-rebuild',
      events: EVENTS,
      runs: RUNS,
      fill: FILL,
      window: WINDOW,
      machine: machine(),
      bytes: gen.data.length,
      generate_s: round(genMs / 1000, 2),
      fill_s: round(fillMs / 1000, 2),
      fill_events_per_s: round((EVENTS / fillMs) * 1000),
      rebuilds: results.map((r) => ({ batch_size: r.batchSize, seconds: round(r.ms / 1000, 2), events_per_s: round(r.rate), cpu_pct_one_core: round(r.cpuPct), rows: r.rows, sum_event_count: r.events, correct: r.correct })),
      goal: { seconds_max: GOAL_S, met: best.ms / 1000 < GOAL_S, best_batch_size: best.batchSize },
    }),
  );
});
