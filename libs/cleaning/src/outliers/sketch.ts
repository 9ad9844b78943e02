/**
 * A streaming quantile sketch with relative accuracy (the log-bucket idea of DDSketch, Masson et al. 2019): value x
 * ≥ 0 goes to bucket ceil(log_γ(x + 1)) with γ = (1 + α) / (1 − α), so any quantile is returned within a relative
 * error α of x + 1. Memory grows with log(max) / α, not with the row count: lengths up to 10⁸ need < 1,000 buckets at
 * α = 1 %. Mergeable (sum of counts) and serialisable, so a first pass can run in parallel shards.
 */
export interface QuantileSketchJson {
  readonly alpha: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly buckets: ReadonlyArray<readonly [number, number]>;
}

export class QuantileSketch {
  readonly alpha: number;
  private readonly logGamma: number;
  private readonly buckets = new Map<number, number>();
  private n = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(alpha = 0.01) {
    if (!(alpha > 0 && alpha < 1)) throw new RangeError('alpha must be in (0, 1)');
    this.alpha = alpha;
    this.logGamma = Math.log((1 + alpha) / (1 - alpha));
  }

  get count(): number {
    return this.n;
  }

  add(x: number, times = 1): void {
    if (!Number.isFinite(x) || x < 0) throw new RangeError('QuantileSketch takes finite values ≥ 0');
    const i = Math.ceil(Math.log(x + 1) / this.logGamma);
    this.buckets.set(i, (this.buckets.get(i) ?? 0) + times);
    this.n += times;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
  }

  merge(other: QuantileSketch): void {
    if (other.alpha !== this.alpha) throw new RangeError('cannot merge sketches of different alpha');
    for (const [i, c] of other.buckets) this.buckets.set(i, (this.buckets.get(i) ?? 0) + c);
    this.n += other.n;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
  }

  /** The q-quantile (0..1), by the lower rank ⌊q·(n−1)⌋, clamped to the exact min / max; NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const rank = Math.floor(Math.min(1, Math.max(0, q)) * (this.n - 1));
    if (rank === 0) return this.lo;
    if (rank === this.n - 1) return this.hi;
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const k of keys) {
      seen += this.buckets.get(k) ?? 0;
      if (seen > rank) {
        const gamma = Math.exp(this.logGamma);
        const estimate = (2 * gamma ** k) / (gamma + 1) - 1;
        return Math.min(this.hi, Math.max(this.lo, estimate));
      }
    }
    return this.hi;
  }

  toJSON(): QuantileSketchJson {
    const buckets = [...this.buckets.entries()].sort((a, b) => a[0] - b[0]);
    return { alpha: this.alpha, count: this.n, min: this.lo, max: this.hi, buckets };
  }

  static fromJSON(json: QuantileSketchJson): QuantileSketch {
    const s = new QuantileSketch(json.alpha);
    for (const [i, c] of json.buckets) s.buckets.set(i, c);
    s.n = json.count;
    s.lo = json.count > 0 ? json.min : Infinity;
    s.hi = json.count > 0 ? json.max : -Infinity;
    return s;
  }
}
