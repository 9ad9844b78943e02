/** Small number formatting and rounding helpers for decision lines. */

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fmtBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${gib >= 10 ? Math.round(gib) : Math.round(gib * 10) / 10} GiB`;
  return `${Math.max(1, Math.round(bytes / 1024 ** 2))} MiB`;
}

export function fmtParams(n: number): string {
  if (n >= 1e9) return `${Math.round(n / 1e8) / 10}B`;
  if (n >= 1e7) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e6) return `${Math.round(n / 1e5) / 10}M`;
  return `${Math.round(n / 1e4) / 100}M`;
}

/** Up to 3 significant digits, exponent form for small numbers: 0.0002 → '2e-4', 0.05 → '0.05'. */
export function fmtNum(n: number): string {
  if (n !== 0 && Math.abs(n) < 1e-3) return n.toExponential().replace(/\.?0+e/, 'e').replace('e-0', 'e-').replace('e+', 'e');
  return String(Number(n.toPrecision(3)));
}

const MANTISSAS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8] as const;

/** The largest "round" number ≤ x: 1..9 below 10, then 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k (10, 15, 20, 25, 30, …). */
export function niceFloor(x: number): number {
  if (x < 1) return 1;
  if (x < 10) return Math.floor(x);
  const exp = 10 ** Math.floor(Math.log10(x));
  for (const m of [...MANTISSAS].reverse()) if (m * exp <= x) return m * exp;
  return exp;
}

/** The largest power of two ≤ x (1 for x < 2). */
export const pow2Floor = (x: number): number => (x < 2 ? 1 : 2 ** Math.floor(Math.log2(x)));

/** The smallest "round" number ≥ x, from the same series as niceFloor (1 for x ≤ 1). */
export function niceCeil(x: number): number {
  if (x <= 1) return 1;
  if (x <= 10) return Math.ceil(x);
  const exp = 10 ** Math.floor(Math.log10(x));
  for (const m of MANTISSAS) if (m * exp >= x) return m * exp;
  return 10 * exp;
}
