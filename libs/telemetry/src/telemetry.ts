import { readFile, writeFile } from 'node:fs/promises';
import { register as registerLoaderHook } from 'node:module';
import { context, metrics, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly serviceVersion: string;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (e.g. `http://otel-collector:4318`). Spans go to
   * `<endpoint>/v1/traces` as OTLP/protobuf through a BatchSpanProcessor. Unset: nothing is sent anywhere.
   */
  readonly otlpEndpoint?: string;
  /** An extra exporter behind a SimpleSpanProcessor: tests, or a FileSpanExporter when DISTILLERY_SPAN_FILE is set. */
  readonly spanExporter?: SpanExporter;
  /**
   * Register the http and pg instrumentations (and the ESM loader hook they need). Only modules imported *after*
   * this call are instrumented, so a main.ts starts telemetry first and then `await import()`s the app.
   */
  readonly instrument?: boolean;
  /** An extra metric reader: tests pass an `InMemoryMetricReader` and call its `collect()`. */
  readonly metricReader?: MetricReader;
  /**
   * PROMETHEUS_PORT: serve a Prometheus scrape endpoint (`GET /metrics`, text format) on this port. Defaults to the
   * PROMETHEUS_PORT environment variable; unset (or empty): no endpoint.
   */
  readonly prometheusPort?: number;
  /** Interface the Prometheus endpoint listens on (default all interfaces). */
  readonly prometheusHost?: string;
  /** How often metrics are pushed to the OTLP endpoint (default OTEL_METRIC_EXPORT_INTERVAL or 15 s). */
  readonly metricExportIntervalMs?: number;
  /**
   * DISTILLERY_METRICS_FILE (default: that env var): on every flush (`forceFlush()`, `flushTelemetry()`, shutdown)
   * the metrics collected so far are written to this file as JSON (`readMetricFile`), so a test can read a child
   * process's metrics the way DISTILLERY_SPAN_FILE gives it its spans.
   */
  readonly metricsFile?: string;
}

export interface Telemetry {
  readonly provider: NodeTracerProvider;
  /** The global MeterProvider (instruments: `distilleryMetrics()`). */
  readonly meterProvider: MeterProvider;
  /** The Prometheus scrape endpoint, when one was asked for; `ready` settles once it listens. */
  readonly prometheus?: { readonly port: number; readonly ready: Promise<void> };
  readonly serviceName: string;
  /** The processors this handle added, in order (the OTLP batch processor first when there is one). */
  readonly spanProcessors: readonly SpanProcessor[];
  /** Exports every finished span (and pushes metrics) still buffered. Call it before asserting on exported spans. */
  forceFlush(): Promise<void>;
  /** Flushes, shuts the providers down and unregisters the globals, so a later `startTelemetry` starts afresh. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;
let loaderHookRegistered = false;

/** The OTLP/HTTP traces URL for an OTEL_EXPORTER_OTLP_ENDPOINT base URL, as the OTel spec defines it. */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** The OTLP/HTTP metrics URL for an OTEL_EXPORTER_OTLP_ENDPOINT base URL. */
export function otlpMetricsUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/metrics`;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PROMETHEUS_PORT must be a port number (0-65535), got '${value}'`);
  return port;
}

/**
 * A metric reader that only collects when asked: `await reader.collect()` returns what every instrument holds.
 * For tests (pass it as `metricReader`), and `metricValue` reads one number back out.
 */
export class InMemoryMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** One instrument in a metrics file: its data points (a histogram's value is `{ count, sum, … }`). */
export interface FileMetric {
  readonly name: string;
  readonly dataPoints: ReadonlyArray<{ attributes: Record<string, unknown>; value: unknown }>;
}

/** Writes everything collected so far to a JSON file on each flush (DISTILLERY_METRICS_FILE). */
export class FileMetricReader extends MetricReader {
  constructor(readonly path: string) {
    super();
  }

  protected override async onForceFlush(): Promise<void> {
    const { resourceMetrics } = await this.collect();
    const metrics: FileMetric[] = resourceMetrics.scopeMetrics.flatMap((s) =>
      s.metrics.map((m) => ({ name: m.descriptor.name, dataPoints: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })) })),
    );
    await writeFile(this.path, `${JSON.stringify({ metrics })}\n`, 'utf8');
  }

  protected override async onShutdown(): Promise<void> {
    await this.onForceFlush();
  }
}

/** Reads a metrics file back in the shape `metricTotal` / `metricPoints` take. */
export async function readMetricFile(path: string): Promise<{ resourceMetrics: { scopeMetrics: Array<{ metrics: Array<{ descriptor: { name: string }; dataPoints: Array<{ attributes: Attributes; value: unknown }> }> }> } }> {
  const { metrics } = JSON.parse(await readFile(path, 'utf8')) as { metrics: FileMetric[] };
  return { resourceMetrics: { scopeMetrics: [{ metrics: metrics.map((m) => ({ descriptor: { name: m.name }, dataPoints: m.dataPoints.map((p) => ({ attributes: p.attributes as Attributes, value: p.value })) })) }] } };
}

/** Flushes the running telemetry (spans and metrics), if any: before a CLI command exits. */
export async function flushTelemetry(): Promise<void> {
  await current?.forceFlush();
}

/**
 * Sets up tracing and metrics for one process. Always registers a NodeTracerProvider (so spans, and the RunEvents that carry
 * their ids, get real trace and span ids even without a collector), the W3C trace-context propagator and an
 * AsyncLocalStorage context manager; and a global MeterProvider (instruments: `distilleryMetrics()`) read by an OTLP
 * exporter (with an endpoint), a Prometheus endpoint (PROMETHEUS_PORT) and/or `metricReader`.
 * Idempotent: a second call returns the first handle unchanged.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (current) return current;

  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(options.otlpEndpoint) })));
  }
  if (options.spanExporter) spanProcessors.push(new SimpleSpanProcessor(options.spanExporter));

  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName,
    [ATTR_SERVICE_VERSION]: options.serviceVersion,
  });
  const provider = new NodeTracerProvider({ resource, spanProcessors });

  const readers: MetricReader[] = [];
  if (options.otlpEndpoint) {
    const interval = options.metricExportIntervalMs ?? (Number(process.env['OTEL_METRIC_EXPORT_INTERVAL']) || 15_000);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: otlpMetricsUrl(options.otlpEndpoint) }),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, 10_000),
      }),
    );
  }
  const prometheusPort = options.prometheusPort ?? parsePort(process.env['PROMETHEUS_PORT']);
  let prometheus: Telemetry['prometheus'];
  if (prometheusPort !== undefined) {
    let settle: (err?: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    // A port already taken is reported (a rejected `ready` and a line on stderr), never a crash of the app.
    ready.catch((err: Error) => {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', service: options.serviceName, msg: 'prometheus endpoint not started', port: prometheusPort, err: err.message })}\n`);
    });
    readers.push(new PrometheusExporter({ port: prometheusPort, host: options.prometheusHost }, (err) => settle(err ?? undefined)));
    prometheus = { port: prometheusPort, ready };
  }
  if (options.metricReader) readers.push(options.metricReader);
  const metricsFile = options.metricsFile ?? (process.env['DISTILLERY_METRICS_FILE'] || undefined);
  if (metricsFile) readers.push(new FileMetricReader(metricsFile));
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);
  provider.register({
    propagator: new W3CTraceContextPropagator(),
    contextManager: new AsyncLocalStorageContextManager(),
  });

  let unregisterInstrumentations: (() => void) | undefined;
  if (options.instrument) {
    if (!loaderHookRegistered) {
      loaderHookRegistered = true;
      try {
        // ESM imports of http/pg are only patchable through import-in-the-middle's loader hook; limit it to those.
        registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
          data: { include: ['http', 'https', 'pg'] },
        });
      } catch {
        // Jest refuses module.register() (its sandbox has its own loader); CommonJS require hooks still apply.
      }
    }
    unregisterInstrumentations = registerInstrumentations({
      tracerProvider: provider,
      instrumentations: [new HttpInstrumentation(), new PgInstrumentation()],
    });
  }

  const handle: Telemetry = {
    provider,
    meterProvider,
    prometheus,
    serviceName: options.serviceName,
    spanProcessors,
    forceFlush: async () => {
      await provider.forceFlush();
      await meterProvider.forceFlush();
    },
    shutdown: async () => {
      if (current !== handle) return;
      current = undefined;
      unregisterInstrumentations?.();
      try {
        await provider.shutdown();
        await meterProvider.shutdown();
      } finally {
        metrics.disable();
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
  current = handle;
  return handle;
}
