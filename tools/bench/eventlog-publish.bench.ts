// Benchmark: libs/eventlog EventPublisher.publish throughput vs raw @nats-io/jetstream js.publish of the same
// pre-serialized RunEvent bodies, in the same process, over one NATS connection, with the same in-flight window.
//
//   node tools/build.mjs && node dist/tools/bench/eventlog-publish.bench.js [--events 20000] [--window 256]
//        [--rounds 3] [--no-otel] [--no-nat] [--breakdown-events 20000] [--variants raw,lib,lib_otel] [--runs 100]
//
// Variants (each round, each on a fresh stream and subject prefix, deleted afterwards):
//   raw       js.publish(subject, preEncodedBody, { msgID })             — the transport ceiling
//   lib       EventPublisher.publish(draft, { dedupKey })                — no OpenTelemetry SDK registered (no-op API)
//   lib_otel  the same with a NodeTracerProvider registered as the apps do (startTelemetry, no exporter)
//   raw_nat / lib_nat   raw and lib on a second connection opened with `noAsyncTraces: true` (informational: the
//             NATS client otherwise builds two Error objects per request to keep async stack traces)
// Order alternates per round (raw, lib, lib_otel / lib_otel, lib, raw / ...). Goal: median(lib) / median(raw) >= 0.5.
// Then an in-process breakdown times each step the publisher does per event, without the network.
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { context, trace } from '@opentelemetry/api';
import { REASON_CODES, RUN_EVENT_SCHEMA_VERSION, eventSubject, validateRunEvent, type RunEventDraft } from '@distillery/contracts';
import {
  EventLog,
  EventPublisher,
  applyTopology,
  buildTopology,
  deterministicMsgId,
  injectTraceHeaders,
  spanIds,
  tracer,
  SpanKind,
} from '@distillery/eventlog';
import { startTelemetry, type Telemetry } from '@distillery/telemetry';
import { NATS_URL, boolFlag, flag, fmt, goal, machine, main, median, numberFlag, onCleanup, round, table, uniqueName, windowed } from './common.js';

const EVENTS = numberFlag('events', 20_000);
const WINDOW = numberFlag('window', 256);
const ROUNDS = numberFlag('rounds', 3);
const RUNS = numberFlag('runs', 100);
const WITH_OTEL = !boolFlag('no-otel');
const BREAKDOWN_EVENTS = numberFlag('breakdown-events', 20_000);
const GOAL_RATIO = 0.5;

const PRODUCER = { app: 'bench', version: '0.1.0' };
const PROJECT = 'bench';
type Variant = 'raw' | 'lib' | 'lib_otel' | 'raw_nat' | 'lib_nat';
const ALL_VARIANTS: readonly Variant[] = ['raw', 'lib', 'lib_otel', 'raw_nat', 'lib_nat'];
const WITH_NAT = !boolFlag('no-nat');

type Draft = RunEventDraft<'demo_run_progress'>;

function drafts(n: number): Draft[] {
  const total = Math.ceil(n / RUNS);
  return Array.from({ length: n }, (_, i) => {
    const step = Math.floor(i / RUNS) + 1;
    return {
      reason_code: 'demo_run_progress',
      project_id: PROJECT,
      run_id: `run-${i % RUNS}`,
      summary: `step ${step}/${total}`,
      payload: { step, total },
    } satisfies Draft;
  });
}
const dedupKey = (d: Draft) => `step-${d.payload.step}`;

/** The event object exactly as EventPublisher.publish builds it (same keys, same order), with no active span. */
function envelope(d: Draft, producer = PRODUCER) {
  const spec = REASON_CODES[d.reason_code];
  const id = uuidv7();
  return {
    id,
    project_id: d.project_id,
    run_id: d.run_id,
    parent_run_id: d.parent_run_id ?? null,
    stage: spec.stage,
    reason_code: d.reason_code,
    severity: d.severity ?? spec.severities[0],
    actor: d.actor ?? `service:${producer.app}`,
    summary: d.summary,
    payload: d.payload,
    occurred_at: new Date().toISOString(),
    correlation_id: id,
    causation_id: null,
    trace_id: null as string | null,
    span_id: null as string | null,
    producer: `${producer.app}@${producer.version}`,
    schema_version: RUN_EVENT_SCHEMA_VERSION,
  };
}

interface RawMessage {
  readonly body: Uint8Array;
  readonly msgId: string;
  readonly draft: Draft;
}

function preSerialize(ds: readonly Draft[]): RawMessage[] {
  const enc = new TextEncoder();
  return ds.map((d) => {
    const e = envelope(d);
    const msgId = deterministicMsgId({ producer: PRODUCER.app, causationId: null, dedupKey: dedupKey(d), reasonCode: d.reason_code, runId: d.run_id })!;
    return { body: enc.encode(JSON.stringify(e)), msgId, draft: d };
  });
}

/** CPU time of the local nats-server process (ms, from /proc), or NaN when it cannot be read (not Linux, remote). */
let natsPid: string | null | undefined;
function natsServerCpuMs(): number {
  try {
    if (natsPid === undefined) {
      natsPid = readdirSync('/proc').find((d) => /^\d+$/.test(d) && readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'nats-server') ?? null;
    }
    if (!natsPid) return NaN;
    const fields = readFileSync(`/proc/${natsPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

let telemetry: Telemetry | undefined;
async function setOtel(on: boolean): Promise<void> {
  if (on && !telemetry) telemetry = startTelemetry({ serviceName: 'bench', serviceVersion: PRODUCER.version });
  if (!on && telemetry) {
    await telemetry.shutdown();
    telemetry = undefined;
  }
}

await main(async () => {
  console.log(`eventlog-publish: ${fmt(EVENTS)} events, window ${WINDOW}, ${ROUNDS} rounds, ${RUNS} runs, otel variant ${WITH_OTEL ? 'on' : 'off'}`);
  console.log(`machine: ${JSON.stringify(machine())}`);
  const log = await EventLog.connect({ url: NATS_URL, name: 'distillery-bench-publish', topology: buildTopology({ consumers: [] }) });
  onCleanup('close NATS connection', () => log.close());
  const base = uniqueName('benchpub');
  const ncNoTraces = await connect({ servers: NATS_URL, name: 'distillery-bench-publish-notraces', noAsyncTraces: true });
  onCleanup('close second NATS connection', () => ncNoTraces.drain());
  const jsNoTraces = jetstream(ncNoTraces);

  /** A fresh stream and prefix; deleted at the end of the measurement (and at cleanup if interrupted). */
  let streams = 0;
  async function freshStream(tag: string): Promise<{ name: string; prefix: string; remove: () => Promise<void> }> {
    streams += 1;
    const name = `${base}_${tag}_${streams}`.toUpperCase();
    const prefix = `${base}_${tag}_${streams}`;
    await applyTopology(log.jsm, buildTopology({ streamName: name, subjectPrefix: prefix, consumers: [] }));
    let removed = false;
    const remove = async () => {
      if (removed) return;
      removed = true;
      await log.jsm.streams.delete(name);
    };
    onCleanup(`delete stream ${name}`, remove);
    return { name, prefix, remove };
  }

  const ds = drafts(EVENTS);
  const t0 = performance.now();
  const raw = preSerialize(ds);
  console.log(`pre-serialized ${fmt(EVENTS)} bodies in ${fmt(performance.now() - t0)} ms (avg ${fmt(raw.reduce((s, m) => s + m.body.byteLength, 0) / EVENTS)} bytes)`);

  // Shape check: one event through EventPublisher, read back, must have exactly the keys (in order) of the raw body.
  {
    const s = await freshStream('shape');
    const pub = new EventPublisher(log.js, s.prefix, PRODUCER);
    const r = await pub.publish(ds[0]!, { dedupKey: dedupKey(ds[0]!) });
    const stored = await log.jsm.streams.getMessage(s.name, { seq: r.seq });
    const libKeys = Object.keys(stored!.json<Record<string, unknown>>());
    const rawKeys = Object.keys(JSON.parse(new TextDecoder().decode(raw[0]!.body)) as object);
    if (libKeys.join() !== rawKeys.join()) throw new Error(`raw body shape differs from EventPublisher's:\n lib ${libKeys}\n raw ${rawKeys}`);
    if (r.msgId !== raw[0]!.msgId) throw new Error(`msg id differs: lib ${r.msgId} raw ${raw[0]!.msgId}`);
    const v = validateRunEvent(JSON.parse(new TextDecoder().decode(raw[0]!.body)));
    if (!v.ok) throw new Error(`raw body invalid: ${v.errors.join('; ')}`);
    console.log(`shape check: raw body has the EventPublisher's ${libKeys.length} keys in order, same msg id, valid; lib headers: ${[...(stored!.header?.keys() ?? [])].join(', ')}`);
    await s.remove();
  }

  interface Measurement {
    rate: number;
    cpuUs: number;
    serverCpuUs: number;
  }
  async function measure(variant: Variant, n: number): Promise<Measurement> {
    await setOtel(variant === 'lib_otel');
    const js = variant.endsWith('_nat') ? jsNoTraces : log.js;
    const s = await freshStream(variant);
    try {
      const subjects = variant.startsWith('raw') ? raw.slice(0, n).map((m) => eventSubject(s.prefix, { ...m.draft, stage: 'demo' })) : [];
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      const srv0 = natsServerCpuMs();
      if (variant.startsWith('raw')) {
        await windowed(n, WINDOW, async (i) => {
          const m = raw[i]!;
          const ack = await js.publish(subjects[i]!, m.body, { msgID: m.msgId });
          if (ack.duplicate) throw new Error(`unexpected duplicate at ${i}`);
        });
      } else {
        const pub = new EventPublisher(js, s.prefix, PRODUCER);
        await windowed(n, WINDOW, async (i) => {
          const d = ds[i]!;
          const r = await pub.publish(d, { dedupKey: dedupKey(d) });
          if (r.duplicate) throw new Error(`unexpected duplicate at ${i}`);
        });
      }
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpu0);
      const srv = natsServerCpuMs() - srv0;
      const last = (await log.jsm.streams.info(s.name)).state.last_seq;
      if (last !== n) throw new Error(`${variant}: stream holds ${last} messages, expected ${n}`);
      return { rate: (n / ms) * 1000, cpuUs: (cpu.user + cpu.system) / n, serverCpuUs: (srv * 1000) / n };
    } finally {
      await s.remove();
    }
  }

  const variants: Variant[] =
    (flag('variants')?.split(',') as Variant[] | undefined) ??
    ALL_VARIANTS.filter((v) => (WITH_OTEL || v !== 'lib_otel') && (WITH_NAT || !v.endsWith('_nat')));
  for (const v of variants) if (!ALL_VARIANTS.includes(v)) throw new Error(`--variants: unknown variant '${v}'`);
  // Warm-up (not counted): JIT of both paths and of the client, on its own streams.
  for (const v of variants) await measure(v, Math.min(EVENTS, 3_000));

  const results: Record<Variant, number[]> = { raw: [], lib: [], lib_otel: [], raw_nat: [], lib_nat: [] };
  const cpuUs: Record<Variant, number[]> = { raw: [], lib: [], lib_otel: [], raw_nat: [], lib_nat: [] };
  const serverUs: Record<Variant, number[]> = { raw: [], lib: [], lib_otel: [], raw_nat: [], lib_nat: [] };
  const rows: Array<[string, ...string[]]> = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const m = await measure(v, EVENTS);
      results[v].push(m.rate);
      cpuUs[v].push(m.cpuUs);
      serverUs[v].push(m.serverCpuUs);
      rows.push([`${r + 1}`, v, fmt(m.rate), fmt((EVENTS / m.rate) * 1000), fmt(m.cpuUs, 1), fmt(m.serverCpuUs, 1)]);
      console.log(`round ${r + 1} ${v.padEnd(8)} ${fmt(m.rate).padStart(8)} events/s  client CPU ${fmt(m.cpuUs, 1)} µs/event  nats-server CPU ${fmt(m.serverCpuUs, 1)} µs/event`);
    }
  }
  await setOtel(false);

  const med = (v: Variant) => median(results[v]);
  const ratio = med('lib') / med('raw');
  const hasOtel = variants.includes('lib_otel');
  const ratioOtel = hasOtel ? med('lib_otel') / med('raw') : NaN;
  const hasNat = variants.includes('raw_nat') && variants.includes('lib_nat');
  const ratioNat = hasNat ? med('lib_nat') / med('raw_nat') : NaN;
  // Ratio within each round (the two runs are adjacent in time): less sensitive to load from other processes.
  const perRound = (a: Variant, b: Variant) => results[a].map((x, i) => x / results[b][i]!);
  const ratioRoundMedian = median(perRound('lib', 'raw'));

  // ── In-process breakdown: the publisher's per-event steps in isolation (no network), µs/event ──────────────
  const K = Math.min(BREAKDOWN_EVENTS, EVENTS);
  const sample = ds.slice(0, K);
  const objs = sample.map((d) => envelope(d));
  const time = (fn: (i: number) => unknown): number => {
    for (let i = 0; i < Math.min(K, 2_000); i += 1) fn(i); // warm
    const t = performance.now();
    for (let i = 0; i < K; i += 1) fn(i);
    return ((performance.now() - t) * 1000) / K;
  };
  const enc = new TextEncoder();
  const strs = objs.map((o) => JSON.stringify(o));
  const steps: Array<[string, number]> = [];
  steps.push(['uuidv7()', time(() => uuidv7())]);
  steps.push(['new Date().toISOString()', time(() => new Date().toISOString())]);
  steps.push(['build envelope object', time((i) => envelope(sample[i]!))]);
  steps.push(['validateRunEvent (zod)', time((i) => validateRunEvent(objs[i]))]);
  steps.push(['deterministicMsgId (sha256)', time((i) => deterministicMsgId({ producer: 'bench', causationId: null, dedupKey: `step-${i}`, reasonCode: 'demo_run_progress', runId: 'run-1' }))]);
  steps.push(['JSON.stringify(event)', time((i) => JSON.stringify(objs[i]))]);
  steps.push(['TextEncoder.encode(body) (client)', time((i) => enc.encode(strs[i]))]);
  steps.push(['3 × new Error() (nats-core per request, asyncTraces on)', time(() => [new Error('x'), new Error('timeout'), new Error('cancelled')])]);
  steps.push(['natsHeaders()+inject+set', time(() => {
    const h = natsHeaders();
    injectTraceHeaders(context.active(), h);
    h.set('Distillery-Event-Id', 'x');
  })]);
  const spanStep = () =>
    tracer().startActiveSpan('publish demo_run_progress', { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'distillery.run_id': 'run-1' } }, (span) => {
      spanIds(span);
      span.setAttribute('messaging.nats.stream_seq', 1);
      span.end();
    });
  steps.push(['startActiveSpan+end (no SDK)', time(spanStep)]);
  if (WITH_OTEL) {
    await setOtel(true);
    steps.push(['startActiveSpan+end (NodeTracerProvider)', time(spanStep)]);
    steps.push(['natsHeaders()+inject traceparent+set (SDK)', time(() =>
      tracer().startActiveSpan('x', (span) => {
        const h = natsHeaders();
        injectTraceHeaders(trace.setSpan(context.active(), span), h);
        h.set('Distillery-Event-Id', 'x');
        span.end();
      }),
    )]);
    await setOtel(false);
  }
  const perEvent = (rate: number) => 1e6 / rate;
  const libOverheadUs = perEvent(med('lib')) - perEvent(med('raw'));

  console.log('\n── Results (events/s, median of rounds) ──');
  console.log(table(['round', 'variant', 'events/s', 'ms', 'client CPU µs/ev', 'server CPU µs/ev'], rows));
  console.log('');
  console.log(
    table(
      ['variant', 'median events/s', 'µs/event (wall)', 'ratio vs raw', 'client CPU µs/ev', 'server CPU µs/ev'],
      variants.map((v) => [v, fmt(med(v)), fmt(perEvent(med(v)), 1), fmt(med(v) / med('raw'), 2), fmt(median(cpuUs[v]), 1), fmt(median(serverUs[v]), 1)]),
    ),
  );
  console.log(`\ngoal: lib/raw >= ${GOAL_RATIO}: ratio ${fmt(ratio, 2)} → ${goal(ratio >= GOAL_RATIO)}`);
  console.log(`      per-round lib/raw: ${perRound('lib', 'raw').map((r) => fmt(r, 2)).join(', ')} (median ${fmt(ratioRoundMedian, 2)})`);
  if (hasNat) console.log(`      informational: lib_nat/raw_nat (both with noAsyncTraces) ${fmt(ratioNat, 2)}; raw_nat/raw ${fmt(med('raw_nat') / med('raw'), 2)}`);
  if (hasOtel) console.log(`      lib_otel/raw (as the apps run, tracer provider registered): ${fmt(ratioOtel, 2)} → ${goal(ratioOtel >= GOAL_RATIO)}`);
  console.log(`lib costs ${fmt(libOverheadUs, 1)} µs/event of wall time more than raw (2 cores shared with nats-server)`);
  console.log(`\n── Per-event CPU of the publisher's steps, in isolation (${fmt(K)} events, µs/event) ──`);
  console.log(table(['step', 'µs/event'], steps.map(([s, us]) => [s, fmt(us, 2)])));

  console.log(
    JSON.stringify({
      bench: 'eventlog-publish',
      events: EVENTS,
      window: WINDOW,
      rounds: ROUNDS,
      runs: RUNS,
      machine: machine(),
      events_per_s: Object.fromEntries(variants.map((v) => [v, results[v].map((x) => round(x))])),
      median_events_per_s: Object.fromEntries(variants.map((v) => [v, round(med(v))])),
      median_client_cpu_us_per_event: Object.fromEntries(variants.map((v) => [v, round(median(cpuUs[v]), 1)])),
      median_server_cpu_us_per_event: Object.fromEntries(variants.map((v) => [v, round(median(serverUs[v]), 1)])),
      ratio_lib_raw: round(ratio, 3),
      ratio_lib_raw_per_round: perRound('lib', 'raw').map((r) => round(r, 3)),
      ratio_lib_otel_raw: hasOtel ? round(ratioOtel, 3) : null,
      ratio_lib_nat_raw_nat: hasNat ? round(ratioNat, 3) : null,
      goal: { ratio_min: GOAL_RATIO, met: ratio >= GOAL_RATIO, met_with_otel: hasOtel ? ratioOtel >= GOAL_RATIO : null },
      breakdown_us_per_event: Object.fromEntries(steps.map(([s, us]) => [s, round(us, 3)])),
    }),
  );
});
