/** Durations as people write them in recipes: `90` (seconds), `'45s'`, `'30m'`, `'2h'`, `'1h30m'`, `'1d'`. */

const UNIT_SECONDS: Readonly<Record<string, number>> = { d: 86_400, h: 3_600, m: 60, s: 1 };
const DURATION = /^(?:\d+(?:\.\d+)?[dhms])+$/;
const PART = /(\d+(?:\.\d+)?)([dhms])/g;

/** Seconds in a duration string or number, or undefined when it is not one (or not > 0). */
export function parseDuration(value: unknown): number | undefined {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string') {
    const s = value.trim().toLowerCase().replace(/\s+/g, '');
    if (/^\d+(?:\.\d+)?$/.test(s)) seconds = Number(s);
    else if (DURATION.test(s)) seconds = [...s.matchAll(PART)].reduce((sum, m) => sum + Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1), 0);
  }
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** The shortest exact form: 5400 → '1h30m', 1800 → '30m', 45 → '45s', 90061 → '1d1h1m1s'. Fractions of a second are kept. */
export function formatDuration(seconds: number): string {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new RangeError(`duration must be a positive number of seconds, got ${seconds}`);
  let rest = seconds;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    if (size === 1) {
      const s = Math.round(rest * 1000) / 1000;
      if (s > 0) out += `${s}s`;
    } else if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** A rough human reading for decisions and warnings: 45 → '45 s', 840 → '14 min', 9000 → '2.5 h'. */
export function humanDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(Math.round((seconds / 3600) * 10) / 10).toString()} h`;
  return `${(Math.round((seconds / 86_400) * 10) / 10).toString()} days`;
}
