// Shared helpers of the benchmark scripts in tools/bench (not a test framework: flags, names, statistics, cleanup).
import { cpus, loadavg, totalmem } from 'node:os';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `--name value` or `--name=value`; a bare `--name` reads as `true`. */
export function flag(name: string): string | undefined {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (a === `--${name}`) {
      const next = argv[i + 1];
      return next !== undefined && !next.startsWith('--') ? next : 'true';
    }
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

export function numberFlag(name: string, fallback: number): number {
  const v = flag(name);
  if (v === undefined) return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${v}'`);
  return n;
}

export function listFlag(name: string, fallback: number[]): number[] {
  const v = flag(name);
  if (v === undefined) return fallback;
  return v.split(',').map((s) => {
    const n = Number(s.replace(/_/g, ''));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a comma-separated list of positive numbers, got '${v}'`);
    return n;
  });
}

export const boolFlag = (name: string): boolean => {
  const v = flag(name);
  return v !== undefined && v !== 'false' && v !== '0';
};

let counter = 0;
/** A name unique to this process and moment: lower-case letters, digits and '_' (valid as schema and stream name). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`.toLowerCase();
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round = (n: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the summary says about the machine: the figures only mean something next to it. */
export function machine(): Record<string, unknown> {
  const c = cpus();
  return {
    node: process.version,
    cpus: c.length,
    cpu_model: c[0]?.model ?? 'unknown',
    mem_gib: round(totalmem() / 2 ** 30, 1),
    loadavg_1m: round(loadavg()[0]!, 2),
  };
}

/** Renders rows as a fixed-width text table. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const goal = (met: boolean): string => (met ? 'MET' : 'MISSED');

/**
 * Cleanup steps run once, in reverse order of registration, at the end or on SIGINT/SIGTERM, so an interrupted
 * benchmark does not leave streams and schemas behind.
 */
const cleanups: Array<{ what: string; fn: () => Promise<unknown> }> = [];
let cleaned = false;

export function onCleanup(what: string, fn: () => Promise<unknown>): void {
  cleanups.push({ what, fn });
}

export async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const { what, fn } of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup: ${what} failed: ${(err as Error).message}`);
    }
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs the body, always cleans up, prints errors and sets the exit code (non-zero only on errors, never on a goal). */
export async function main(body: () => Promise<void>): Promise<void> {
  let failed = false;
  try {
    await body();
  } catch (err) {
    failed = true;
    console.error('benchmark failed:', err);
  } finally {
    await cleanup();
  }
  // Timers of library code (waitFor timeouts, reconnect backoff) must not keep the process alive after the report.
  process.exit(failed ? 1 : 0);
}

/** Runs `n` tasks with at most `window` in flight; `task(i)` is called once for every i in [0, n). */
export async function windowed(n: number, window: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next;
      next += 1;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, lane));
}
