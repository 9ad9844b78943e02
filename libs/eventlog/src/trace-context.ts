import { context, propagation, trace, type Context, type Span, SpanKind, isSpanContextValid } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

/** W3C trace context travels in NATS message headers (there is no NATS auto-instrumentation). */
export const tracer = () => trace.getTracer('distillery.eventlog');

export function injectTraceHeaders(ctx: Context, hdrs: MsgHdrs): void {
  propagation.inject(ctx, hdrs, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
}

export function extractTraceContext(hdrs: MsgHdrs | undefined): Context {
  if (!hdrs) return context.active();
  return propagation.extract(context.active(), hdrs, {
    get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
    keys: (carrier) => carrier.keys(),
  });
}

export function spanIds(span: Span | undefined): { trace_id: string | null; span_id: string | null } {
  const sc = span?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return { trace_id: null, span_id: null };
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

export { SpanKind };
