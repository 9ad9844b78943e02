import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { finalize, tap, type Observable } from 'rxjs';

/**
 * Continues the caller's trace (W3C `traceparent`) in a SERVER span when nothing else did: in the deployed apps the
 * http instrumentation already runs each request inside its SERVER span, and this interceptor does nothing; where
 * that instrumentation is not loaded (the apps started in-process, e.g. under Jest) it makes the span itself, so
 * the events a request publishes still hang under the caller's trace (the CLI's `demo` root span, for one).
 * Nest runs the handler in the async scope `next.handle()` was called in, so the span is active inside it.
 */
@Injectable()
export class TraceInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const active = trace.getActiveSpan()?.spanContext();
    if (active && isSpanContextValid(active)) return next.handle();
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const route = req.routeOptions?.url ?? req.url.split('?')[0] ?? req.url;
    const span = trace.getTracer('distillery.api').startSpan(
      `${req.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.url.split('?')[0] ?? req.url } },
      parent,
    );
    return context.with(trace.setSpan(parent, span), () => next.handle()).pipe(
      tap({
        error: (err: unknown) => {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
        },
      }),
      finalize(() => span.end()),
    );
  }
}
