import { z } from 'zod';

/**
 * Reusable field schemas for environment variables. Each takes the raw string and yields a typed value; its error
 * message says what was expected (ConfigError adds the variable name and the value it got). Add `.default(…)` or
 * `.optional()` at the use site.
 */

/** A TCP port: an integer from 1 to 65535. */
export function port() {
  const expected = 'expected a number from 1 to 65535';
  return z.string({ error: expected }).transform((raw, ctx) => {
    const s = raw.trim();
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < 1 || n > 65535) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return n;
  });
}

/** A URL whose protocol is one of `protocols` (with or without the trailing colon, e.g. `['nats', 'tls']`). */
export function url(protocols: readonly string[]) {
  const wanted = protocols.map((p) => (p.endsWith(':') ? p : `${p}:`).toLowerCase());
  const expected = `expected a ${wanted.map((p) => `${p}//`).join(' or ')} URL`;
  return z.string({ error: expected }).refine(
    (raw) => {
      try {
        const u = new URL(raw.trim());
        return wanted.includes(u.protocol) && (u.protocol === 'file:' || u.host !== '');
      } catch {
        return false;
      }
    },
    { message: expected },
  );
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One of debug, info, warn, error (case-insensitive). */
export function logLevel() {
  const expected = `expected one of ${LOG_LEVELS.join(', ')}`;
  return z.string({ error: expected }).transform((raw, ctx): LogLevel => {
    const s = raw.trim().toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(s)) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return s as LogLevel;
  });
}

/** A boolean flag: true/false/1/0 (case-insensitive). Anything else is an error, not `false`. */
export function boolFlag() {
  const expected = 'expected true, false, 1 or 0';
  return z.string({ error: expected }).transform((raw, ctx) => {
    const s = raw.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    ctx.addIssue({ code: 'custom', message: expected });
    return z.NEVER;
  });
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** A duration in milliseconds: a plain number of ms, or a number with a unit ms, s, m or h (`250ms`, `1.5s`, `5m`). */
export function durationMs() {
  const expected = 'expected a duration such as 500, 500ms, 30s, 5m or 1h';
  return z.string({ error: expected }).transform((raw, ctx) => {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(raw.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    const unit = (m[2]?.toLowerCase() ?? 'ms') as keyof typeof UNIT_MS;
    return Math.round(Number(m[1]) * UNIT_MS[unit]);
  });
}
