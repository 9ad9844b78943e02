const MASK64 = (1n << 64n) - 1n;

/**
 * SplitMix64 (Steele, Lea & Flood 2014), used only to expand a seed into xoshiro's state, as its authors recommend.
 * Returns the generator; each call gives the next 64-bit output.
 */
export function splitMix64(seed: bigint): () => bigint {
  let x = seed & MASK64;
  return () => {
    x = (x + 0x9e3779b97f4a7c15n) & MASK64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * A seeded xoshiro128** generator (Blackman & Vigna): 32-bit outputs, state from SplitMix64 of the seed. Same seed,
 * same sequence, on every platform; not cryptographic.
 */
export function xoshiro128ss(seed: number): () => number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('seed must be a non-negative safe integer');
  const next64 = splitMix64(BigInt(seed));
  const a = next64();
  const b = next64();
  const s = new Uint32Array([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
}

/** Uniform integers in [0, n) from two 32-bit draws (53 random bits, as genrand_res53), so bias is below 2⁻⁵³·n. */
export function uniformIndex(next: () => number, n: number): number {
  const u = ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  return Math.floor(u * n);
}

/** The q-th percentile (0–100) of values, numpy's default 'linear' method. Values need not be sorted. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  if (!(q >= 0 && q <= 100)) throw new RangeError('q must be in [0, 100]');
  const sorted = [...values].sort((x, y) => x - y);
  const h = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  const t = h - lo;
  // numpy's _lerp: interpolate from the nearer end for accuracy
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** Resampling settings of `bootstrapCi` and `pairedBootstrap`. */
export interface BootstrapOptions {
  /** Number of resamples, default 1000. */
  readonly resamples?: number;
  /** Two-sided confidence level in (0, 1), default 0.95. */
  readonly confidence?: number;
  /** PRNG seed (non-negative integer), default 0. Same seed and rows, same interval. */
  readonly seed?: number;
}

/** A percentile bootstrap interval of one statistic. */
export interface BootstrapInterval {
  /** The statistic on all rows. */
  readonly estimate: number;
  /** Percentile interval of the resampled statistics; `null` when no resample gave a finite value. */
  readonly low: number | null;
  readonly high: number | null;
  readonly confidence: number;
  readonly resamples: number;
  readonly seed: number;
  /** Resamples whose statistic was not a finite number (e.g. a rate over no rows), left out of the interval. */
  readonly invalid_resamples: number;
}

/** A paired bootstrap interval of a lift (candidate − base). */
export interface PairedBootstrapInterval {
  readonly base: number;
  readonly candidate: number;
  /** candidate − base on all rows (the lift). */
  readonly difference: number;
  /** Percentile interval of the resampled differences. */
  readonly low: number | null;
  readonly high: number | null;
  /** Share of valid resamples whose difference is ≤ 0: how often the candidate did not beat the base. */
  readonly share_not_better: number | null;
  readonly confidence: number;
  readonly resamples: number;
  readonly seed: number;
  readonly invalid_resamples: number;
}

function resolve(options: BootstrapOptions): Required<BootstrapOptions> {
  const o = { resamples: options.resamples ?? 1000, confidence: options.confidence ?? 0.95, seed: options.seed ?? 0 };
  if (!Number.isInteger(o.resamples) || o.resamples < 1) throw new RangeError('resamples must be a positive integer');
  if (!(o.confidence > 0 && o.confidence < 1)) throw new RangeError('confidence must be in (0, 1)');
  return o;
}

function interval(values: readonly number[], confidence: number): { low: number | null; high: number | null } {
  if (values.length === 0) return { low: null, high: null };
  const tail = ((1 - confidence) / 2) * 100;
  return { low: percentile(values, tail), high: percentile(values, 100 - tail) };
}

/** Draws `resamples` index sets of size n with replacement and hands each to `visit`. */
function resampleIndices(n: number, o: Required<BootstrapOptions>, visit: (indices: Uint32Array) => void): void {
  const next = xoshiro128ss(o.seed);
  const indices = new Uint32Array(n);
  for (let r = 0; r < o.resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = uniformIndex(next, n);
    visit(indices);
  }
}

const pick = <T>(rows: readonly T[], indices: Uint32Array): T[] => Array.from(indices, (i) => rows[i]!);

/**
 * Percentile bootstrap confidence interval of any statistic over rows: resample the rows with replacement, recompute
 * the statistic, take the (1 − confidence)/2 and (1 + confidence)/2 percentiles. Works for every metric here: pass a
 * statistic such as `(rs) => qaScores(rs).f1`, or resample per-row sufficient statistics (`bleuSegmentStats`) for
 * corpus metrics so the text is not re-tokenised on every resample.
 */
export function bootstrapCi<T>(rows: readonly T[], statistic: (sample: readonly T[]) => number, options: BootstrapOptions = {}): BootstrapInterval {
  if (rows.length === 0) throw new RangeError('bootstrap needs at least one row');
  const o = resolve(options);
  const values: number[] = [];
  let invalid = 0;
  resampleIndices(rows.length, o, (indices) => {
    const v = statistic(pick(rows, indices));
    if (Number.isFinite(v)) values.push(v);
    else invalid++;
  });
  return { estimate: statistic(rows), ...interval(values, o.confidence), confidence: o.confidence, resamples: o.resamples, seed: o.seed, invalid_resamples: invalid };
}

/**
 * Paired bootstrap of a lift: `base[i]` and `candidate[i]` are the same eval row scored for the base and the
 * fine-tuned model; every resample takes the same rows for both, so row difficulty cancels out. The interval is on
 * statistic(candidate) − statistic(base).
 */
export function pairedBootstrap<T>(
  base: readonly T[],
  candidate: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: BootstrapOptions = {},
): PairedBootstrapInterval {
  if (base.length !== candidate.length) throw new RangeError('paired bootstrap needs the same rows for base and candidate');
  if (base.length === 0) throw new RangeError('bootstrap needs at least one row');
  const o = resolve(options);
  const diffs: number[] = [];
  let invalid = 0;
  resampleIndices(base.length, o, (indices) => {
    const d = statistic(pick(candidate, indices)) - statistic(pick(base, indices));
    if (Number.isFinite(d)) diffs.push(d);
    else invalid++;
  });
  const baseValue = statistic(base);
  const candidateValue = statistic(candidate);
  return {
    base: baseValue,
    candidate: candidateValue,
    difference: candidateValue - baseValue,
    ...interval(diffs, o.confidence),
    share_not_better: diffs.length === 0 ? null : diffs.filter((d) => d <= 0).length / diffs.length,
    confidence: o.confidence,
    resamples: o.resamples,
    seed: o.seed,
    invalid_resamples: invalid,
  };
}
