import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { buildTopology } from '@distillery/eventlog';
import { FileSpanExporter, startTelemetry, type Telemetry } from '@distillery/telemetry';
import { DISTILLERY_VERSION } from '@distillery/contracts';

export interface RunningApp {
  readonly name: string;
  readonly context: INestApplicationContext;
  /** The HTTP address when the app serves HTTP. */
  readonly url?: string;
  stop(): Promise<void>;
}

/**
 * Starts a Nest app: with HTTP (Fastify) when a port is given, otherwise as an application context.
 * Nest and Fastify load here, lazily, so telemetry started before this call can instrument `http`.
 */
export async function startNestApp(
  name: string,
  module: Type<unknown> | ReturnType<typeof Object>,
  http?: { port: number; host?: string; configure?: (app: NestFastifyApplication) => void | Promise<void> },
): Promise<RunningApp> {
  const { NestFactory } = await import('@nestjs/core');
  if (!http) {
    const context = await NestFactory.createApplicationContext(module as Type<unknown>, { logger: ['error', 'warn'] });
    await context.init();
    return { name, context, stop: () => context.close() };
  }
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const app = await NestFactory.create<NestFastifyApplication>(module as Type<unknown>, new FastifyAdapter(), {
    logger: ['error', 'warn'],
  });
  await http.configure?.(app);
  await app.listen(http.port, http.host ?? '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : http.port;
  return { name, context: app, url: `http://${http.host ?? '127.0.0.1'}:${port}`, stop: () => app.close() };
}

export interface TelemetryConfig {
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  readonly DISTILLERY_SPAN_FILE?: string;
}

/** Telemetry for a process: OTLP only when an endpoint is configured; a span file in cross-process tests. */
export function startProcessTelemetry(serviceName: string, cfg: TelemetryConfig): Telemetry {
  return startTelemetry({
    serviceName,
    serviceVersion: DISTILLERY_VERSION,
    otlpEndpoint: cfg.OTEL_EXPORTER_OTLP_ENDPOINT,
    spanExporter: cfg.DISTILLERY_SPAN_FILE ? new FileSpanExporter(cfg.DISTILLERY_SPAN_FILE) : undefined,
    instrument: true,
  });
}

export const topologyFromConfig = (cfg: { DISTILLERY_STREAM: string; DISTILLERY_SUBJECT_PREFIX: string }) =>
  buildTopology({ streamName: cfg.DISTILLERY_STREAM, subjectPrefix: cfg.DISTILLERY_SUBJECT_PREFIX });
