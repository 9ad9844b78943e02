import { murmur3Words } from '../hash.js';

/**
 * Locality-sensitive hashing over MinHash signatures ("banding", Leskovec–Rajaraman–Ullman, Mining of Massive
 * Datasets ch. 3): the signature is cut into `bands` bands of `rows` values; two signatures become candidates when
 * any band is identical. A pair with Jaccard J becomes a candidate with probability 1 − (1 − J^rows)^bands.
 *
 * Default 16 bands × 8 rows (128 permutations): the S-curve's midpoint is (1/16)^(1/8) ≈ 0.71, so pairs at J = 0.8
 * are found with probability ≈ 0.95 and pairs at J = 0.5 only ≈ 0.06; candidates are then confirmed against the
 * similarity threshold (0.8) on the full signature, which removes the false candidates.
 */
export const DEFAULT_BANDS = 16;

/** P(candidate) for a pair of Jaccard similarity `j`. */
export function candidateProbability(j: number, bands: number, rows: number): number {
  return 1 - (1 - j ** rows) ** bands;
}

/** The similarity where the banding S-curve is steepest: (1/bands)^(1/rows). */
export function lshThreshold(bands: number, rows: number): number {
  return (1 / bands) ** (1 / rows);
}

export class LshIndex {
  readonly bands: number;
  readonly rows: number;
  private readonly tables: Array<Map<number, number[]>>;
  private count = 0;

  constructor(numPerm: number, bands: number = DEFAULT_BANDS) {
    if (!Number.isInteger(bands) || bands < 1 || numPerm % bands !== 0) {
      throw new RangeError(`bands (${bands}) must divide num_perm (${numPerm})`);
    }
    this.bands = bands;
    this.rows = numPerm / bands;
    this.tables = Array.from({ length: bands }, () => new Map<number, number[]>());
  }

  get size(): number {
    return this.count;
  }

  private key(sig: Uint32Array, band: number): number {
    return murmur3Words(sig, band * this.rows, (band + 1) * this.rows, band);
  }

  add(id: number, sig: Uint32Array): void {
    for (let b = 0; b < this.bands; b++) {
      const table = this.tables[b];
      if (!table) continue;
      const k = this.key(sig, b);
      const bucket = table.get(k);
      if (bucket) bucket.push(id);
      else table.set(k, [id]);
    }
    this.count++;
  }

  /** Ids sharing at least one band with `sig`, ascending. */
  candidates(sig: Uint32Array): number[] {
    const out = new Set<number>();
    for (let b = 0; b < this.bands; b++) {
      const bucket = this.tables[b]?.get(this.key(sig, b));
      if (bucket) for (const id of bucket) out.add(id);
    }
    return [...out].sort((a, b) => a - b);
  }
}
