import { appendFile, readFile } from 'node:fs/promises';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** One finished span as a JSON line of a span file. `kind` is the SpanKind name, e.g. `"PRODUCER"`. */
export interface FileSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly kind: keyof typeof SpanKind;
  readonly serviceName: string;
  readonly attributes: Attributes;
  /** Start and end, in milliseconds since the epoch (fractional). */
  readonly startMs: number;
  readonly endMs: number;
}

const hrMs = (t: readonly [number, number]): number => t[0] * 1e3 + t[1] / 1e6;

export function toFileSpan(span: ReadableSpan): FileSpan {
  const sc = span.spanContext();
  return {
    traceId: sc.traceId,
    spanId: sc.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    kind: SpanKind[span.kind] as keyof typeof SpanKind,
    serviceName: String(span.resource.attributes[ATTR_SERVICE_NAME] ?? 'unknown_service'),
    attributes: span.attributes,
    startMs: hrMs(span.startTime),
    endMs: hrMs(span.endTime),
  };
}

/**
 * Appends finished spans as JSON lines to a file, so a test can follow one trace across processes (the apps use it
 * when DISTILLERY_SPAN_FILE is set). Each export is one append of whole lines, so several processes may share a
 * file. Read it back with `readSpanFile`.
 */
export class FileSpanExporter implements SpanExporter {
  /** The last write: each export appends after it, so lines land in export order (concurrent appends need not). */
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(readonly path: string) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('FileSpanExporter is shut down') });
      return;
    }
    const lines = spans.map((s) => `${JSON.stringify(toFileSpan(s))}\n`).join('');
    this.tail = this.tail.then(() =>
      appendFile(this.path, lines, 'utf8').then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
      ),
    );
  }

  async forceFlush(): Promise<void> {
    await this.tail;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
  }
}

/** Reads a span file written by FileSpanExporter; a missing file reads as no spans. */
export async function readSpanFile(path: string): Promise<FileSpan[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FileSpan);
}
