// Benchmark: publish → timeline row lag under a sustained, paced publish rate.
//
//   node tools/build.mjs && node dist/tools/bench/timeline-lag.bench.js [--rate 2000] [--seconds 60]
//        [--batch-size 500] [--runs 200] [--publisher lib|raw] [--trace-events] [--runner library|buffered]
//        [--steady-after 10]
//
// One process holds both sides (they share the 2 cores with nats-server and PostgreSQL):
//  - a ProjectionRunner for timelineProjection on PostgreSQL (DATABASE_URL, a schema of its own);
//  - a publisher paced by the wall clock in 10 ms ticks: at each tick it sends what is due (rate × elapsed) without
//    waiting for acks. `--publisher lib` (default) uses EventPublisher.publish, as services do; `raw` sends
//    pre-serialized bodies with js.publish.
// Lag of an event = (time the runner's checkpoint first covers the event's stream seq) − (time publish was called).
// The seq comes from the PubAck. Progress is observed with the runner's public `waitFor(checkpoint + 1)` hook: the
// promise resolves in the microtask after the batch transaction committed and the checkpoint moved, so every
// checkpoint advance (= one applied batch) is seen, with no polling. Goal: p99 < 250 ms.
// `--runner buffered` swaps in tools/bench/experimental-runner.ts (an experiment for a suggested fix; see there).
// After the measurement, a probe times applyBatch alone for 1-event and 8-event batches (the per-batch floor).
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { REASON_CODES, RUN_EVENT_SCHEMA_VERSION, eventSubject, type RunEventDraft } from '@distillery/contracts';
import { openDatabase } from '@distillery/db';
import { EventLog, buildTopology, decodeRunEvent, type EventPublisher } from '@distillery/eventlog';
import { ProjectionRunner, applyBatch } from '@distillery/projection-runtime';
import { BufferedBatchFollower } from './experimental-runner.js';
import { getRun, timelineProjection } from '@distillery/timeline';
import { DATABASE_URL, NATS_URL, boolFlag, flag, fmt, goal, machine, main, numberFlag, onCleanup, quantile, round, sleep, table, uniqueName } from './common.js';

const RATE = numberFlag('rate', 2_000);
const SECONDS = numberFlag('seconds', 60);
const BATCH_SIZE = numberFlag('batch-size', 500);
const RUNS = numberFlag('runs', 200);
const TICK_MS = 10;
const PUBLISHER = (flag('publisher') ?? 'lib') as 'lib' | 'raw';
const TRACE_EVENTS = boolFlag('trace-events');
const RUNNER = (flag('runner') ?? 'library') as 'library' | 'buffered';
if (RUNNER !== 'library' && RUNNER !== 'buffered') throw new Error(`--runner must be library or buffered, got '${RUNNER}'`);
const GOAL_P99_MS = 250;
const DRAIN_TIMEOUT_MS = 120_000;
const STEADY_AFTER_S = Math.min(numberFlag('steady-after', 10), SECONDS / 2);
if (PUBLISHER !== 'lib' && PUBLISHER !== 'raw') throw new Error(`--publisher must be lib or raw, got '${PUBLISHER}'`);

const PRODUCER = { app: 'bench', version: '0.1.0' };
const PROJECT = 'bench';

function draft(i: number): RunEventDraft<'demo_run_progress'> {
  const total = Math.ceil((RATE * SECONDS) / RUNS);
  const step = Math.floor(i / RUNS) + 1;
  return { reason_code: 'demo_run_progress', project_id: PROJECT, run_id: `run-${i % RUNS}`, summary: `step ${step}/${total}`, payload: { step, total } };
}

/** The body EventPublisher would send (no span: no tracer provider registered in this process). */
function rawBody(d: RunEventDraft<'demo_run_progress'>, enc: { encode(s: string): Uint8Array }): Uint8Array {
  const id = uuidv7();
  const spec = REASON_CODES[d.reason_code];
  return enc.encode(
    JSON.stringify({
      id,
      project_id: d.project_id,
      run_id: d.run_id,
      parent_run_id: null,
      stage: spec.stage,
      reason_code: d.reason_code,
      severity: spec.severities[0],
      actor: `service:${PRODUCER.app}`,
      summary: d.summary,
      payload: d.payload,
      occurred_at: new Date().toISOString(),
      correlation_id: id,
      causation_id: null,
      trace_id: null,
      span_id: null,
      producer: `${PRODUCER.app}@${PRODUCER.version}`,
      schema_version: RUN_EVENT_SCHEMA_VERSION,
    }),
  );
}

await main(async () => {
  const total = Math.round(RATE * SECONDS);
  console.log(`timeline-lag: ${fmt(RATE)} events/s for ${SECONDS} s (${fmt(total)} events), ${RUNS} runs, batch size ${BATCH_SIZE}, publisher ${PUBLISHER}, traceEvents ${TRACE_EVENTS}, runner ${RUNNER}`);
  console.log(`machine: ${JSON.stringify(machine())}`);
  const name = uniqueName('benchlag');
  const streamName = name.toUpperCase();
  const topology = buildTopology({ streamName, subjectPrefix: name, consumers: [] });

  const log = await EventLog.connect({ url: NATS_URL, name: 'distillery-bench-lag', topology });
  onCleanup('close NATS connection', () => log.close());
  await log.applyTopology();
  onCleanup(`delete stream ${streamName}`, () => log.jsm.streams.delete(streamName));

  const dbh = await openDatabase({ url: DATABASE_URL, schema: name });
  onCleanup('close database', () => dbh.close());
  onCleanup(`drop schema ${name}`, () => sql`drop schema if exists ${sql.id(name)} cascade`.execute(dbh.db));

  const runner: Pick<ProjectionRunner, 'start' | 'stop' | 'waitFor'> & { readonly position: { checkpoint: number } } =
    RUNNER === 'library'
      ? new ProjectionRunner(timelineProjection, { log, db: dbh.db, schema: name, batchSize: BATCH_SIZE, traceEvents: TRACE_EVENTS })
      : new BufferedBatchFollower(timelineProjection, { log, db: dbh.db, schema: name, batchSize: BATCH_SIZE });
  await runner.start();
  onCleanup('stop runner', () => runner.stop());

  // seq → time publish was called (ms, performance.now()). Filled when the PubAck names the seq.
  const sentAt = new Float64Array(total + 2);
  // seq → time the runner's checkpoint first covered it. The lag is computed at the end: the projection may see an
  // event before the publisher has processed its PubAck (same connection, two subscriptions).
  const coveredAt = new Float64Array(total + 2).fill(NaN);
  let publishErrors = 0;
  let firstError: unknown;

  // ── progress hook: one waiter at a time on the next uncovered seq ─────────────────────────────────────────────
  const batches: Array<{ at: number; from: number; to: number }> = [];
  let covered = 0;
  let watching = true;
  const watch = async () => {
    while (watching) {
      try {
        await runner.waitFor(covered + 1, 3_600_000);
      } catch {
        continue;
      }
      const now = performance.now();
      const cp = runner.position.checkpoint;
      if (cp <= covered) continue;
      for (let s = covered + 1; s <= cp && s <= total; s += 1) coveredAt[s] = now;
      batches.push({ at: now, from: covered + 1, to: cp });
      covered = cp;
    }
  };
  const watcher = watch();

  // ── paced publisher ─────────────────────────────────────────────────────────────────────────────────────────
  const enc = new TextEncoder();
  const publisher: EventPublisher = log.publisher(PRODUCER);
  const publishOne = (i: number) => {
    const d = draft(i);
    const t = performance.now();
    const p =
      PUBLISHER === 'lib'
        ? publisher.publish(d, { dedupKey: `lag-${i}` }).then((r) => r.seq)
        : log.js.publish(eventSubject(name, { ...d, stage: 'demo' }), rawBody(d, enc), { msgID: `lag-${i}` }).then((a) => a.seq);
    return p.then(
      (seq) => {
        sentAt[seq] = t;
      },
      (err) => {
        publishErrors += 1;
        firstError ??= err;
      },
    );
  };

  const inflight = new Set<Promise<void>>();
  let sent = 0;
  let lateTicks = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  for (let tick = 1; ; tick += 1) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * RATE));
    while (sent < due) {
      const p = publishOne(sent);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      sent += 1;
    }
    if (sent >= total || now >= end) break;
    const nextTick = start + tick * TICK_MS;
    const wait = nextTick - performance.now();
    if (wait > 0) await sleep(wait);
    else lateTicks += 1;
  }
  const publishEnd = performance.now();
  await Promise.all([...inflight]);
  const ackEnd = performance.now();
  const achievedRate = (sent / (publishEnd - start)) * 1000;
  if (publishErrors > 0) throw new Error(`${publishErrors} publishes failed; first: ${String(firstError)}`);

  // Drain: wait until the projection covers the last seq.
  const lastSeq = await log.lastSeq();
  await runner.waitFor(lastSeq, DRAIN_TIMEOUT_MS);
  const drained = performance.now();
  while (covered < lastSeq) await sleep(1); // let the watcher record the last batch (it resumes a microtask later)
  const cpu = process.cpuUsage(cpu0);
  watching = false;
  void watcher;

  // ── results ──────────────────────────────────────────────────────────────────────────────────────────────────
  const lagMs = new Float64Array(lastSeq + 1).fill(NaN);
  for (let s = 1; s <= lastSeq; s += 1) lagMs[s] = coveredAt[s]! - sentAt[s]!;
  const lags = Array.from(lagMs.subarray(1)).filter((x) => Number.isFinite(x));
  if (lags.length !== sent) {
    const missing = [...Array(lastSeq).keys()].map((i) => i + 1).filter((s) => !Number.isFinite(lagMs[s]!)).slice(0, 10);
    throw new Error(`measured ${lags.length} lags for ${sent} events (last seq ${lastSeq}); first missing seqs ${missing.join(', ')}`);
  }
  const sorted = Float64Array.from(lags).sort();
  const p50 = quantile(sorted, 0.5);
  const p95 = quantile(sorted, 0.95);
  const p99 = quantile(sorted, 0.99);
  const max = sorted[sorted.length - 1]!;
  const mean = lags.reduce((a, b) => a + b, 0) / lags.length;
  // Steady state: events published after the first STEADY_AFTER_S seconds (start-up: JIT, first plans, consumer set-up).
  const steadyFrom = start + STEADY_AFTER_S * 1000;
  const steadyLags: number[] = [];
  for (let s = 1; s <= lastSeq; s += 1) if (sentAt[s]! >= steadyFrom) steadyLags.push(lagMs[s]!);
  const steady = Float64Array.from(steadyLags).sort();
  const steadyP50 = quantile(steady, 0.5);
  const steadyP99 = quantile(steady, 0.99);

  // Batches: sizes, rate, and lag over time (10 s windows) to see whether the projector keeps up or falls behind.
  const sizes = Float64Array.from(batches.map((b) => b.to - b.from + 1)).sort();
  const batchesDuringLoad = batches.filter((b) => b.at <= publishEnd).length;
  const batchesPerS = (batchesDuringLoad / (publishEnd - start)) * 1000;
  const windowS = SECONDS >= 30 ? 10 : Math.max(1, Math.round(SECONDS / 3));
  const windows: Array<[string, string, string, string, string]> = [];
  for (let w = 0; w * windowS < SECONDS; w += 1) {
    const lo = start + w * windowS * 1000;
    const hi = lo + windowS * 1000;
    const ls: number[] = [];
    for (let s = 1; s <= lastSeq; s += 1) if (sentAt[s]! >= lo && sentAt[s]! < hi) ls.push(lagMs[s]!);
    const wb = batches.filter((b) => b.at >= lo && b.at < hi);
    const ws = Float64Array.from(ls).sort();
    windows.push([
      `${w * windowS}-${(w + 1) * windowS} s`,
      fmt(quantile(ws, 0.5), 1),
      fmt(quantile(ws, 0.99), 1),
      fmt(wb.length / windowS, 1),
      fmt(wb.length ? wb.reduce((a, b) => a + b.to - b.from + 1, 0) / wb.length : NaN, 1),
    ]);
  }

  // Correctness, cheaply: every event is counted in exactly one timeline row.
  const agg = await sql<{ rows: number; events: number }>`select count(*)::int as rows, coalesce(sum(event_count), 0)::int as events from ${sql.table('timeline_runs')}`.execute(dbh.db);
  const { rows: runRows, events: counted } = agg.rows[0]!;
  const sampleRun = await getRun(dbh.db, 'run-0', PROJECT);
  const correct = runRows === Math.min(RUNS, sent) && counted === sent;

  // ── Per-batch floor: applyBatch alone (checkpoint CAS + upsert, one transaction), runner stopped ──────────────
  await runner.stop();
  const version = (await sql<{ v: number }>`select active_version as v from projection_state where name = 'timeline'`.execute(dbh.db)).rows[0]!.v;
  let cp = (await sql<{ s: number }>`select last_seq as s from projection_checkpoints where name = 'timeline' and version = ${version}`.execute(dbh.db)).rows[0]!.s;
  const probeEnc = new TextEncoder();
  const probe = async (size: number, iterations: number): Promise<number> => {
    const t = performance.now();
    for (let k = 0; k < iterations; k += 1) {
      const batch = Array.from({ length: size }, (_, j) => {
        const body = rawBody(draft(k * size + j), probeEnc);
        return { seq: cp + j + 1, subject: 'probe', headers: undefined, decoded: decodeRunEvent(body), pending: 0 };
      });
      cp = await applyBatch(dbh.db, timelineProjection, version, cp, batch);
    }
    return (performance.now() - t) / iterations;
  };
  await probe(1, 20); // warm
  const probe1 = await probe(1, 200);
  const probe8 = await probe(8, 200);
  const probe64 = await probe(64, 100);

  console.log('\n── Results ──');
  console.log(
    table(
      ['metric', 'value'],
      [
        ['target rate (events/s)', fmt(RATE)],
        ['achieved publish rate (events/s)', fmt(achievedRate)],
        ['events published', fmt(sent)],
        ['late 10 ms ticks (publisher behind)', fmt(lateTicks)],
        ['acks done after last send (ms)', fmt(ackEnd - publishEnd, 1)],
        ['drain after last send (ms)', fmt(drained - publishEnd, 1)],
        ['lag p50 (ms)', fmt(p50, 1)],
        ['lag p95 (ms)', fmt(p95, 1)],
        ['lag p99 (ms)', fmt(p99, 1)],
        ['lag max (ms)', fmt(max, 1)],
        ['lag mean (ms)', fmt(mean, 1)],
        [`steady state (published after ${STEADY_AFTER_S} s): p50 / p99 (ms)`, `${fmt(steadyP50, 1)} / ${fmt(steadyP99, 1)}`],
        ['batches (checkpoint advances)', fmt(batches.length)],
        ['batches/s during load', fmt(batchesPerS, 1)],
        ['batch size p50 / p99 / max', `${quantile(sizes, 0.5)} / ${quantile(sizes, 0.99)} / ${sizes[sizes.length - 1]}`],
        ['process CPU (user+sys, % of one core)', fmt(((cpu.user + cpu.system) / 1000 / (drained - start)) * 100, 0)],
        ['timeline rows / sum(event_count)', `${fmt(runRows)} / ${fmt(counted)} (${correct ? 'ok' : 'MISMATCH'})`],
        ['run-0 event_count', String(sampleRun?.event_count ?? 'missing')],
        ['probe: applyBatch ms per batch of 1 / 8 / 64 events', `${fmt(probe1, 2)} / ${fmt(probe8, 2)} / ${fmt(probe64, 2)}`],
        ['probe: max batches/s with 1-event batches', fmt(1000 / probe1)],
      ],
    ),
  );
  console.log('\n── Lag over time (by publish time) ──');
  console.log(table(['window', 'p50 ms', 'p99 ms', 'batches/s', 'avg batch'], windows));
  console.log(`\ngoal: p99 lag < ${GOAL_P99_MS} ms at ${fmt(RATE)} events/s: p99 ${fmt(p99, 1)} ms → ${goal(p99 < GOAL_P99_MS)}`);
  console.log(`      (steady state after ${STEADY_AFTER_S} s, informational: p99 ${fmt(steadyP99, 1)} ms → ${goal(steadyP99 < GOAL_P99_MS)})`);
  if (achievedRate < RATE * 0.98) console.log(`note: the publisher reached only ${fmt(achievedRate)} events/s of ${fmt(RATE)}`);
  if (!correct) throw new Error(`timeline rows ${runRows} (expected ${Math.min(RUNS, sent)}), sum(event_count) ${counted} (expected ${sent})`);

  console.log(
    JSON.stringify({
      bench: 'timeline-lag',
      rate: RATE,
      seconds: SECONDS,
      batch_size: BATCH_SIZE,
      runs: RUNS,
      publisher: PUBLISHER,
      trace_events: TRACE_EVENTS,
      machine: machine(),
      events: sent,
      achieved_rate: round(achievedRate, 1),
      late_ticks: lateTicks,
      drain_ms: round(drained - publishEnd, 1),
      lag_ms: { p50: round(p50, 1), p95: round(p95, 1), p99: round(p99, 1), max: round(max, 1), mean: round(mean, 1) },
      steady_lag_ms: { after_s: STEADY_AFTER_S, p50: round(steadyP50, 1), p99: round(steadyP99, 1) },
      batches: batches.length,
      batches_per_s: round(batchesPerS, 1),
      batch_size_p50: quantile(sizes, 0.5),
      batch_size_max: sizes[sizes.length - 1],
      cpu_pct_one_core: round(((cpu.user + cpu.system) / 1000 / (drained - start)) * 100, 0),
      correct,
      runner: RUNNER,
      probe_apply_batch_ms: { size_1: round(probe1, 2), size_8: round(probe8, 2), size_64: round(probe64, 2) },
      goal: { p99_ms_max: GOAL_P99_MS, met: p99 < GOAL_P99_MS },
    }),
  );
});
