import { contentHash } from '../normalize.js';
import { DEFAULT_BANDS, LshIndex, lshThreshold } from './lsh.js';
import { DEFAULT_MINHASH, MinHasher, signatureSimilarity, type MinHashOptions } from './minhash.js';

export interface DedupOptions extends MinHashOptions {
  /** LSH bands; must divide num_perm (default 16 → 8 rows). */
  readonly bands?: number;
  /** Estimated Jaccard at or above which a row is a near duplicate (default 0.8). */
  readonly near_threshold?: number;
  /** Look for exact duplicates (default true). */
  readonly exact?: boolean;
  /** Look for near duplicates (default true). */
  readonly near?: boolean;
}

export interface DedupParams {
  readonly exact: boolean;
  readonly near: boolean;
  readonly num_perm: number;
  readonly bands: number;
  readonly rows: number;
  readonly shingle: string;
  readonly near_threshold: number;
  /** Where the banding S-curve is steepest: (1/bands)^(1/rows). */
  readonly lsh_threshold: number;
  readonly seed: number;
}

export interface DedupResult {
  readonly row_id: string;
  /** Normalised-text hash (normalize.ts), 16 hex digits. */
  readonly hash: string;
  /** The first row with the same normalised text. */
  readonly exact_of?: string;
  /** The kept row this one nearly duplicates (best estimated Jaccard ≥ threshold; ties → earliest). */
  readonly near_of?: string;
  /** Estimated Jaccard with `near_of`. */
  readonly similarity?: number;
  /** The first-seen row of this row's cluster (itself when unique so far). */
  readonly cluster_id: string;
}

export class DuplicateRowIdError extends Error {
  readonly code = 'CLEANING.DUPLICATE_ROW_ID';
  constructor(readonly row_id: string) {
    super(`row_id ${row_id} was added to the dedup index twice`);
    this.name = 'DuplicateRowIdError';
  }
}

/**
 * Incremental exact + near-duplicate index for streaming callers: `add(row_id, text)` once per row, in stream order.
 *
 * - Exact: rows whose normalised text hashes alike (FNV-1a 64 of normalizeText) are duplicates of the first one.
 * - Near: only *representatives* (rows that were neither exact nor near duplicates, i.e. the rows a cleaner keeps)
 *   are indexed; a new row is compared with the representatives that share an LSH band, and is a near duplicate
 *   of the most similar one at or above `near_threshold`. Comparing with kept rows only means the kept set has no
 *   pair above the threshold (up to LSH recall), and a chain A≈B≈C does not drag C out when C is far from A.
 * - Clusters: union-find over row positions, the root being the earliest row, so `cluster_id` is the first-seen
 *   row of the cluster — deterministic for a given row order. A row that matches representatives of two clusters
 *   (each above the threshold) merges them; rows reported earlier keep the id they were given, `clusterOf` answers
 *   with the merged one.
 *
 * Memory: per row its id, a hash entry and a parent slot; per representative a num_perm × 4-byte signature
 * (512 B at 128) plus one entry per band.
 */
export class DedupIndex {
  private readonly hasher: MinHasher;
  private readonly lsh: LshIndex;
  private readonly threshold: number;
  private readonly near: boolean;
  private readonly exact: boolean;
  private readonly ids: string[] = [];
  private readonly positions = new Map<string, number>();
  private parent = new Int32Array(1024);
  private readonly byHash = new Map<string, number>();
  /** Signatures of representatives, by row position. */
  private readonly signatures = new Map<number, Uint32Array>();

  constructor(options: DedupOptions = {}) {
    this.hasher = new MinHasher(options);
    this.lsh = new LshIndex(this.hasher.numPerm, options.bands ?? DEFAULT_BANDS);
    this.threshold = options.near_threshold ?? 0.8;
    this.near = options.near ?? true;
    this.exact = options.exact ?? true;
    if (!(this.threshold > 0 && this.threshold <= 1)) throw new RangeError('near_threshold must be in (0, 1]');
  }

  get params(): DedupParams {
    return {
      exact: this.exact,
      near: this.near,
      num_perm: this.hasher.numPerm,
      bands: this.lsh.bands,
      rows: this.lsh.rows,
      shingle: `char_${this.hasher.shingleSize}gram`,
      near_threshold: this.threshold,
      lsh_threshold: Math.round(lshThreshold(this.lsh.bands, this.lsh.rows) * 1000) / 1000,
      seed: this.hasher.seed ?? DEFAULT_MINHASH.seed,
    };
  }

  get size(): number {
    return this.ids.length;
  }

  private find(i: number): number {
    let root = i;
    while (this.parent[root] !== root) root = this.parent[root] ?? root;
    while (this.parent[i] !== root) {
      const next = this.parent[i] ?? root;
      this.parent[i] = root;
      i = next;
    }
    return root;
  }

  private union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    const root = Math.min(ra, rb);
    this.parent[ra] = root;
    this.parent[rb] = root;
    return root;
  }

  private push(rowId: string): number {
    if (this.positions.has(rowId)) throw new DuplicateRowIdError(rowId);
    const pos = this.ids.length;
    if (pos >= this.parent.length) {
      const grown = new Int32Array(this.parent.length * 2);
      grown.set(this.parent);
      this.parent = grown;
    }
    this.parent[pos] = pos;
    this.ids.push(rowId);
    this.positions.set(rowId, pos);
    return pos;
  }

  private idAt(pos: number): string {
    return this.ids[pos] ?? '';
  }

  add(rowId: string, text: string): DedupResult {
    const hash = contentHash(text);
    const pos = this.push(rowId);
    if (this.exact) {
      const first = this.byHash.get(hash);
      if (first !== undefined) {
        const root = this.union(first, pos);
        return { row_id: rowId, hash, exact_of: this.idAt(first), cluster_id: this.idAt(root) };
      }
      this.byHash.set(hash, pos);
    }
    const sig = this.near ? this.hasher.signature(text) : undefined;
    if (!sig) return { row_id: rowId, hash, cluster_id: rowId };
    let best = -1;
    let bestSim = 0;
    const matches: number[] = [];
    for (const cand of this.lsh.candidates(sig)) {
      const other = this.signatures.get(cand);
      if (!other) continue;
      const sim = signatureSimilarity(sig, other);
      if (sim < this.threshold) continue;
      matches.push(cand);
      if (sim > bestSim) {
        best = cand;
        bestSim = sim;
      }
    }
    if (best < 0) {
      this.signatures.set(pos, sig);
      this.lsh.add(pos, sig);
      return { row_id: rowId, hash, cluster_id: rowId };
    }
    let root = this.union(best, pos);
    for (const m of matches) root = this.union(m, root);
    return { row_id: rowId, hash, near_of: this.idAt(best), similarity: bestSim, cluster_id: this.idAt(root) };
  }

  /** The cluster id of a row after all merges so far (the earliest row of its cluster). */
  clusterOf(rowId: string): string | undefined {
    const pos = this.positions.get(rowId);
    return pos === undefined ? undefined : this.idAt(this.find(pos));
  }

  /** Clusters with more than one member, by cluster id (first-seen order), members in stream order. */
  clusters(): Array<{ readonly cluster_id: string; readonly members: readonly string[] }> {
    const groups = new Map<number, string[]>();
    for (let i = 0; i < this.ids.length; i++) {
      const root = this.find(i);
      const g = groups.get(root);
      if (g) g.push(this.idAt(i));
      else groups.set(root, [this.idAt(i)]);
    }
    return [...groups.entries()]
      .filter(([, m]) => m.length > 1)
      .sort((a, b) => a[0] - b[0])
      .map(([root, members]) => ({ cluster_id: this.idAt(root), members }));
  }
}
