import {
  context,
  createContextKey,
  metrics,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Gauge,
  type Histogram,
  type MeterProvider,
  type ObservableGauge,
  type Span,
} from '@opentelemetry/api';

/**
 * Every instrument Distillery registers, by its OpenTelemetry name. Prometheus sees dots as underscores, counters
 * with a `_total` suffix and histograms as `_bucket`/`_sum`/`_count` series (the dashboards in deploy/helm use those).
 */
export const METRIC_NAMES = {
  eventsPublished: 'distillery.events.published',
  eventsConsumed: 'distillery.events.consumed',
  consumerLag: 'distillery.consumer.lag',
  stageDuration: 'distillery.stage.duration',
  trainingTokensPerSecond: 'distillery.training.tokens_per_second',
  trainingLoss: 'distillery.training.loss',
  trainingTokens: 'distillery.training.tokens',
  evalRows: 'distillery.eval.rows',
  evalRowsPerSecond: 'distillery.eval.rows_per_second',
  runnerRequestDuration: 'distillery.runner.request.duration',
  runnerRequestErrors: 'distillery.runner.request.errors',
} as const;

export type MetricKind = 'counter' | 'histogram' | 'gauge';

/** The kind of each instrument, which decides its Prometheus series names (see `prometheusSeriesNames`). */
export const METRIC_KINDS: Record<keyof typeof METRIC_NAMES, MetricKind> = {
  eventsPublished: 'counter',
  eventsConsumed: 'counter',
  consumerLag: 'gauge',
  stageDuration: 'histogram',
  trainingTokensPerSecond: 'gauge',
  trainingLoss: 'gauge',
  trainingTokens: 'counter',
  evalRows: 'counter',
  evalRowsPerSecond: 'gauge',
  runnerRequestDuration: 'histogram',
  runnerRequestErrors: 'counter',
};

/** The Prometheus series an instrument shows up as on a scrape (`/metrics`). */
export function prometheusSeriesNames(name: string, kind: MetricKind): string[] {
  const base = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (kind === 'counter') return [`${base}_total`];
  if (kind === 'histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [base];
}

/** Every Prometheus series name of every registered instrument. */
export function allPrometheusSeriesNames(): string[] {
  return (Object.keys(METRIC_NAMES) as Array<keyof typeof METRIC_NAMES>).flatMap((k) => prometheusSeriesNames(METRIC_NAMES[k], METRIC_KINDS[k]));
}

export interface DistilleryInstruments {
  /** Attributes: reason_code, stage, producer. */
  readonly eventsPublished: Counter;
  /** Attributes: reason_code, stage, consumer, outcome (ack | nak | term). */
  readonly eventsConsumed: Counter;
  /** Observed by each ConsumerHost from JetStream consumer info (num_pending); attributes stream, consumer. */
  readonly consumerLag: ObservableGauge;
  /** Seconds; attributes stage, outcome (ok | error). */
  readonly stageDuration: Histogram;
  /** Attributes run, method. */
  readonly trainingTokensPerSecond: Gauge;
  /** Attributes run, method. */
  readonly trainingLoss: Gauge;
  /** Attributes run, method. */
  readonly trainingTokens: Counter;
  /** Attributes metric. */
  readonly evalRows: Counter;
  /** Attributes metric. */
  readonly evalRowsPerSecond: Gauge;
  /** Seconds; attributes route, method, status_code. */
  readonly runnerRequestDuration: Histogram;
  /** Attributes route, status_code. */
  readonly runnerRequestErrors: Counter;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

const cache = new WeakMap<MeterProvider, DistilleryInstruments>();

/**
 * The instruments on the *current* global MeterProvider (set by `startTelemetry`; a no-op provider before that).
 * Cached per provider, so a later `startTelemetry` (tests) gets fresh instruments on its own provider.
 */
export function distilleryMetrics(): DistilleryInstruments {
  const provider = metrics.getMeterProvider();
  const hit = cache.get(provider);
  if (hit) return hit;
  const meter = provider.getMeter('distillery');
  const made: DistilleryInstruments = {
    eventsPublished: meter.createCounter(METRIC_NAMES.eventsPublished, { description: 'RunEvents published to the event log' }),
    eventsConsumed: meter.createCounter(METRIC_NAMES.eventsConsumed, { description: 'RunEvents handled by a durable consumer, by settlement' }),
    consumerLag: meter.createObservableGauge(METRIC_NAMES.consumerLag, { description: 'Messages not yet delivered to a durable consumer (JetStream num_pending)' }),
    stageDuration: meter.createHistogram(METRIC_NAMES.stageDuration, {
      description: 'Wall time of one pipeline stage handler',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    }),
    trainingTokensPerSecond: meter.createGauge(METRIC_NAMES.trainingTokensPerSecond, { description: 'Training throughput of the last epoch', unit: '{token}/s' }),
    trainingLoss: meter.createGauge(METRIC_NAMES.trainingLoss, { description: 'Mean training loss of the last epoch' }),
    trainingTokens: meter.createCounter(METRIC_NAMES.trainingTokens, { description: 'Tokens trained on', unit: '{token}' }),
    evalRows: meter.createCounter(METRIC_NAMES.evalRows, { description: 'Rows scored by evaluations', unit: '{row}' }),
    evalRowsPerSecond: meter.createGauge(METRIC_NAMES.evalRowsPerSecond, { description: 'Evaluation throughput of the last eval', unit: '{row}/s' }),
    runnerRequestDuration: meter.createHistogram(METRIC_NAMES.runnerRequestDuration, {
      description: 'Latency of requests to the OpenAI-compatible runner',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    }),
    runnerRequestErrors: meter.createCounter(METRIC_NAMES.runnerRequestErrors, { description: 'Runner requests answered with a 4xx/5xx status' }),
  };
  cache.set(provider, made);
  return made;
}

const stageTracer = () => trace.getTracer('distillery.stage');

/** What a stage reported about itself while it ran (set through the active context by `noteStageFailure`). */
interface StageState {
  failure?: string;
}
const STAGE_STATE = createContextKey('distillery.stage.state');

/**
 * Runs one pipeline stage's work inside a span `stage.<stage>` (a child of the active context, i.e. of the consumed
 * event's CONSUMER span inside a handler) and records `distillery.stage.duration` with its outcome. Events published
 * inside `fn` carry the stage span as their parent.
 *
 * Outcome: `error` when `fn` throws; `failed` when it returned normally but reported a failure as an event (a stage
 * that publishes `training_oom` has done its job as a handler, yet the stage failed — the span's status says so);
 * `ok` otherwise.
 */
export async function withStageSpan<T>(stage: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const span = stageTracer().startSpan(`stage.${stage}`, { attributes: { 'distillery.stage': stage, ...attributes } });
  const state: StageState = {};
  const ctx = trace.setSpan(context.active(), span).setValue(STAGE_STATE, state);
  let outcome = 'ok';
  try {
    return await context.with(ctx, () => fn(span));
  } catch (err) {
    outcome = 'error';
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    if (outcome === 'ok' && state.failure !== undefined) {
      outcome = 'failed';
      span.setStatus({ code: SpanStatusCode.ERROR, message: state.failure });
    }
    span.setAttribute('distillery.outcome', outcome);
    span.end();
    distilleryMetrics().stageDuration.record((performance.now() - startedAt) / 1000, { stage, outcome });
  }
}

/**
 * Tells the stage running in the active context (if any) that it failed, naming why (a reason code). The event
 * publisher calls it for every error-severity event, so a stage's span and duration metric carry `failed` without
 * each handler saying so.
 */
export function noteStageFailure(reason: string): void {
  const state = context.active().getValue(STAGE_STATE) as StageState | undefined;
  if (state && state.failure === undefined) state.failure = reason;
}

/**
 * A finished child span of the active span, for work whose start and end are only known afterwards (e.g. an epoch
 * reported by a progress callback): `startTime`/`endTime` in epoch milliseconds.
 */
export function recordChildSpan(name: string, attributes: Attributes, startTime: number, endTime: number): void {
  const span = stageTracer().startSpan(name, { attributes, startTime });
  span.end(endTime);
}

/** The data points of one instrument in a collection (`await reader.collect()`), whose attributes include `where`. */
export function metricPoints(
  collected: { resourceMetrics: { scopeMetrics: Array<{ metrics: Array<{ descriptor: { name: string }; dataPoints: Array<{ attributes: Attributes; value: unknown }> }> }> } },
  name: string,
  where: Attributes = {},
): Array<{ attributes: Attributes; value: unknown }> {
  return collected.resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints)
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v));
}

/** Sum of a counter's points, or of a histogram's counts, matching `where` (0 when there are none). */
export function metricTotal(collected: Parameters<typeof metricPoints>[0], name: string, where: Attributes = {}): number {
  return metricPoints(collected, name, where).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : ((p.value as { count?: number }).count ?? 0)), 0);
}
