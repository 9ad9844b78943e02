import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConfigError, boolFlag, durationMs, logLevel, parseConfig, port, url } from '../src/index.js';

const schema = z.object({
  PORT: port().default(8080),
  NATS_URL: url(['nats', 'tls']),
  DATABASE_URL: url(['postgres', 'postgresql']),
  LOG_LEVEL: logLevel().default('info'),
  CONSUMERS_ENABLED: boolFlag().default(true),
  SHUTDOWN_GRACE: durationMs().default(10_000),
});

const good = { NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('parseConfig', () => {
  it('given a valid environment, when parsed, then returns typed values and applies defaults', () => {
    const cfg = parseConfig('api', schema, { ...good, PORT: '9090', LOG_LEVEL: 'WARN', CONSUMERS_ENABLED: '0', SHUTDOWN_GRACE: '30s' });
    expect(cfg).toEqual({
      PORT: 9090,
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      LOG_LEVEL: 'warn',
      CONSUMERS_ENABLED: false,
      SHUTDOWN_GRACE: 30_000,
    });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('given several bad variables, when parsed, then one ConfigError names every one, what was expected and what it got', () => {
    const err = errorOf(() => parseConfig('api', schema, { PORT: 'abc', NATS_URL: 'http://x', LOG_LEVEL: 'loud' }));
    expect(err.name).toBe('ConfigError');
    expect(err.code).toBe('CONFIG.INVALID');
    expect(err.app).toBe('api');
    expect(err.message).toBe(
      'api: invalid configuration: ' +
        'PORT: expected a number from 1 to 65535, got "abc"; ' +
        'NATS_URL: expected a nats:// or tls:// URL, got "http://x"; ' +
        'DATABASE_URL: expected a postgres:// or postgresql:// URL, but it is not set; ' +
        'LOG_LEVEL: expected one of debug, info, warn, error, got "loud"',
    );
    expect(err.issues.map((i) => i.variable)).toEqual(['PORT', 'NATS_URL', 'DATABASE_URL', 'LOG_LEVEL']);
  });

  it('treats an empty string as not set, so the default applies (or the variable is reported missing)', () => {
    expect(parseConfig('api', schema, { ...good, PORT: '' }).PORT).toBe(8080);
    expect(errorOf(() => parseConfig('api', schema, { ...good, NATS_URL: '' })).message).toContain(
      'NATS_URL: expected a nats:// or tls:// URL, but it is not set',
    );
  });

  it('reads only the variables of the schema and ignores the rest of the environment', () => {
    const cfg = parseConfig('api', schema, { ...good, HOME: '/root', PATH: '/bin' });
    expect(Object.keys(cfg).sort()).toEqual(['CONSUMERS_ENABLED', 'DATABASE_URL', 'LOG_LEVEL', 'NATS_URL', 'PORT', 'SHUTDOWN_GRACE']);
  });

  it('never prints a URL password or the value of a secret-named variable', () => {
    const s = z.object({ DATABASE_URL: url(['postgres']), API_TOKEN: z.string().min(20) });
    const err = errorOf(() => parseConfig('api', s, { DATABASE_URL: 'mysql://u:hunter2@db/x', API_TOKEN: 'short-secret' }));
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('short-secret');
    expect(err.message).toContain('got "mysql://u:***@db/x"');
    expect(err.message).toContain('API_TOKEN: ');
    expect(err.message).toContain('got <redacted>');
  });

  it('reports a cross-field check under (config)', () => {
    const s = z
      .object({ MIN: port(), MAX: port() })
      .refine((c) => c.MIN <= c.MAX, { message: 'MIN must not exceed MAX' });
    expect(errorOf(() => parseConfig('x', s, { MIN: '9', MAX: '8' })).message).toBe(
      'x: invalid configuration: (config): MIN must not exceed MAX',
    );
  });
});

describe('field helpers', () => {
  const ok = <T>(schema: z.ZodType<T>, raw: string) => schema.parse(raw);
  const bad = (schema: z.ZodType, raw: string) => schema.safeParse(raw).success;

  it('port() accepts 1..65535 and rejects everything else', () => {
    expect(ok(port(), '1')).toBe(1);
    expect(ok(port(), ' 65535 ')).toBe(65535);
    for (const raw of ['0', '65536', '80.5', '-1', 'abc', '', '0x50']) expect([raw, bad(port(), raw)]).toEqual([raw, false]);
  });

  it('url() checks the protocol and requires a host', () => {
    expect(ok(url(['nats:', 'tls']), 'tls://nats.example:4222')).toBe('tls://nats.example:4222');
    expect(bad(url(['nats']), 'nats://')).toBe(false);
    expect(bad(url(['nats']), 'not a url')).toBe(false);
    expect(bad(url(['nats']), 'https://example.com')).toBe(false);
  });

  it('logLevel() accepts the four levels in any case', () => {
    expect(ok(logLevel(), 'DEBUG')).toBe('debug');
    expect(ok(logLevel(), 'error')).toBe('error');
    expect(bad(logLevel(), 'trace')).toBe(false);
  });

  it('boolFlag() accepts true/false/1/0 and rejects anything else instead of reading it as false', () => {
    expect([ok(boolFlag(), 'true'), ok(boolFlag(), 'TRUE'), ok(boolFlag(), '1')]).toEqual([true, true, true]);
    expect([ok(boolFlag(), 'false'), ok(boolFlag(), '0')]).toEqual([false, false]);
    for (const raw of ['yes', 'no', 'off', '2', '']) expect([raw, bad(boolFlag(), raw)]).toEqual([raw, false]);
  });

  it('durationMs() reads plain milliseconds and ms/s/m/h units', () => {
    expect(ok(durationMs(), '250')).toBe(250);
    expect(ok(durationMs(), '250ms')).toBe(250);
    expect(ok(durationMs(), '1.5s')).toBe(1500);
    expect(ok(durationMs(), '5m')).toBe(300_000);
    expect(ok(durationMs(), '1H')).toBe(3_600_000);
    for (const raw of ['-5s', '5d', 's', '1e3', '']) expect([raw, bad(durationMs(), raw)]).toEqual([raw, false]);
  });
});
