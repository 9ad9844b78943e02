import { register as registerLoaderHook } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
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
}

export interface Telemetry {
  readonly provider: NodeTracerProvider;
  readonly serviceName: string;
  /** The processors this handle added, in order (the OTLP batch processor first when there is one). */
  readonly spanProcessors: readonly SpanProcessor[];
  /** Exports every finished span that is still buffered. Call it before asserting on exported spans. */
  forceFlush(): Promise<void>;
  /** Flushes, shuts the provider down and unregisters the globals, so a later `startTelemetry` starts afresh. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;
let loaderHookRegistered = false;

/** The OTLP/HTTP traces URL for an OTEL_EXPORTER_OTLP_ENDPOINT base URL, as the OTel spec defines it. */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Sets up tracing for one process. Always registers a NodeTracerProvider (so spans, and the RunEvents that carry
 * their ids, get real trace and span ids even without a collector), the W3C trace-context propagator and an
 * AsyncLocalStorage context manager. Idempotent: a second call returns the first handle unchanged.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (current) return current;

  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(options.otlpEndpoint) })));
  }
  if (options.spanExporter) spanProcessors.push(new SimpleSpanProcessor(options.spanExporter));

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
    }),
    spanProcessors,
  });
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
    serviceName: options.serviceName,
    spanProcessors,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      if (current !== handle) return;
      current = undefined;
      unregisterInstrumentations?.();
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
  current = handle;
  return handle;
}
