import { isSpanContextValid, trace } from '@opentelemetry/api';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** Structural match for the `Logger` of libs/eventlog (consumer-host.ts), plus `debug` and `child`. */
export interface StructuredLogger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ consumer }`). */
  child(fields: LogFields): StructuredLogger;
}

/** Where lines go: stderr by default; a test may pass a collecting function. Each call gets one line without "\n". */
export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

const RESERVED = new Set(['time', 'level', 'service', 'msg', 'trace_id', 'span_id']);

function toJsonValue(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }), stack: value.stack };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function serialize(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line, (_key, value: unknown) => toJsonValue(value));
  } catch (err) {
    // circular fields: keep the line, drop the fields
    const { time, level, service, msg, trace_id, span_id } = line;
    return JSON.stringify({ time, level, service, msg, trace_id, span_id, log_error: String(err) });
  }
}

/**
 * A JSON-lines logger: one line per call with `time, level, service, msg, trace_id, span_id` (from the active span,
 * null outside one) and then the given fields. Fields never overwrite those keys; they are kept as `field.<key>`.
 */
export function createLogger(service: string, level: LogLevel = 'info', sink: LogSink = stderrSink): StructuredLogger {
  const threshold = RANK[level];
  const make = (base: LogFields): StructuredLogger => {
    const write = (lvl: LogLevel, msg: string, fields?: LogFields) => {
      if (RANK[lvl] < threshold) return;
      const sc = trace.getActiveSpan()?.spanContext();
      const valid = sc !== undefined && isSpanContextValid(sc);
      const line: Record<string, unknown> = {
        time: new Date().toISOString(),
        level: lvl,
        service,
        msg,
        trace_id: valid ? sc.traceId : null,
        span_id: valid ? sc.spanId : null,
      };
      for (const [k, v] of Object.entries({ ...base, ...fields })) line[RESERVED.has(k) ? `field.${k}` : k] = v;
      sink(serialize(line));
    };
    return {
      debug: (msg, fields) => write('debug', msg, fields),
      info: (msg, fields) => write('info', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      error: (msg, fields) => write('error', msg, fields),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make({});
}
