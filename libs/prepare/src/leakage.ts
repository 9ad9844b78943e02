import type { TaskProfile, TransformedRow } from '@distillery/contracts';
import {
  contentHash,
  DEFAULT_BANDS,
  LshIndex,
  MinHasher,
  recordText,
  signatureSimilarity,
  dedupFieldPatterns,
  type MinHashOptions,
} from '@distillery/cleaning';
import type { SplitName } from './split.js';

/** The held-out splits a leakage check looks at. */
export type HoldoutSplit = Exclude<SplitName, 'train'>;

export interface LeakageOptions extends MinHashOptions {
  /** Estimated Jaccard at or above which a held-out row leaks (default 0.8, like near dedup). */
  readonly near_threshold?: number;
  /** LSH bands (default 16 → 8 rows at 128 permutations). */
  readonly bands?: number;
  /** Look for near duplicates, not only exact ones (default true). */
  readonly near?: boolean;
  /** Largest acceptable share of leaking held-out rows; above it `exceeds` (default 0: any leak). */
  readonly max_share?: number;
  /** How many example pairs to keep (default 20; exact pairs first, then by similarity, then row id). */
  readonly max_examples?: number;
}

export interface LeakagePair {
  readonly train_row_id: string;
  readonly other_row_id: string;
  readonly split: HoldoutSplit;
  /** 1 for exact (normalised-text) matches, else the estimated Jaccard. */
  readonly similarity: number;
  readonly kind: 'exact' | 'near';
}

export interface LeakageReport {
  /** Held-out rows checked, per split. */
  readonly checked: Readonly<Record<HoldoutSplit, number>>;
  /** Held-out rows with a match in train, per split. */
  readonly overlapping: Readonly<Record<HoldoutSplit, number>>;
  /** Payload of `dataset_leakage_detected`: total overlapping rows and the splits involved (`train` first). */
  readonly overlapping_rows: number;
  readonly between: readonly SplitName[];
  /** overlapping_rows / checked rows (0 when nothing was checked). */
  readonly share: number;
  readonly max_share: number;
  /** share > max_share: the caller emits `dataset_leakage_detected`. */
  readonly exceeds: boolean;
  readonly examples: readonly LeakagePair[];
  readonly params: { readonly num_perm: number; readonly bands: number; readonly shingle_size: number; readonly near_threshold: number; readonly near: boolean };
}

/** The text a row is compared by: its dedup fields per task profile (labels excluded: same text, other label still leaks). */
export function rowText(row: Pick<TransformedRow, 'task_profile' | 'record'>, textFields?: Partial<Record<TaskProfile, readonly string[]>>): string {
  return recordText(row.record, dedupFieldPatterns(row.task_profile, textFields));
}

const round4 = (x: number): number => Math.round(x * 10000) / 10000;
/** Blank texts (after normalisation) match each other trivially: they are never counted as leakage. */
const BLANK = contentHash('');

/**
 * Train / held-out overlap, in two phases so callers can stream: `addTrain` every train row, then `check` every eval
 * and gold row, then `report()`. Exact overlap compares normalised-text hashes (cleaning's contentHash); near overlap
 * uses cleaning's MinHash + LSH and confirms candidates against `near_threshold`. Memory: one hash and one signature
 * (num_perm × 4 bytes) per train row.
 */
export class LeakageChecker {
  private readonly hasher: MinHasher;
  private readonly lsh: LshIndex;
  private readonly threshold: number;
  private readonly near: boolean;
  private readonly maxShare: number;
  private readonly maxExamples: number;
  private readonly trainIds: string[] = [];
  private readonly byHash = new Map<string, number>();
  private readonly signatures: Uint32Array[] = [];
  private readonly checked: Record<HoldoutSplit, number> = { eval: 0, gold: 0 };
  private readonly overlapping: Record<HoldoutSplit, number> = { eval: 0, gold: 0 };
  private readonly pairs: LeakagePair[] = [];

  constructor(options: LeakageOptions = {}) {
    this.hasher = new MinHasher(options);
    this.lsh = new LshIndex(this.hasher.numPerm, options.bands ?? DEFAULT_BANDS);
    this.threshold = options.near_threshold ?? 0.8;
    this.near = options.near ?? true;
    this.maxShare = options.max_share ?? 0;
    this.maxExamples = options.max_examples ?? 20;
  }

  addTrain(rowId: string, text: string): void {
    const pos = this.trainIds.length;
    this.trainIds.push(rowId);
    const hash = contentHash(text);
    if (hash !== BLANK && !this.byHash.has(hash)) this.byHash.set(hash, pos);
    const sig = this.near ? this.hasher.signature(text) : undefined;
    this.signatures.push(sig ?? new Uint32Array(0));
    if (sig) this.lsh.add(pos, sig);
  }

  /** The best train match of one held-out row (counted in the report), or undefined. */
  check(rowId: string, split: HoldoutSplit, text: string): LeakagePair | undefined {
    this.checked[split]++;
    let pair: LeakagePair | undefined;
    const exact = this.byHash.get(contentHash(text));
    if (exact !== undefined) pair = { train_row_id: this.trainIds[exact] ?? '', other_row_id: rowId, split, similarity: 1, kind: 'exact' };
    else if (this.near) {
      const sig = this.hasher.signature(text);
      if (sig) {
        let best = -1;
        let bestSim = 0;
        for (const cand of this.lsh.candidates(sig)) {
          const sim = signatureSimilarity(sig, this.signatures[cand] ?? new Uint32Array(sig.length));
          if (sim >= this.threshold && sim > bestSim) {
            best = cand;
            bestSim = sim;
          }
        }
        if (best >= 0) pair = { train_row_id: this.trainIds[best] ?? '', other_row_id: rowId, split, similarity: round4(bestSim), kind: 'near' };
      }
    }
    if (pair) {
      this.overlapping[split]++;
      this.pairs.push(pair);
    }
    return pair;
  }

  report(): LeakageReport {
    const checked = this.checked.eval + this.checked.gold;
    const overlapping = this.overlapping.eval + this.overlapping.gold;
    const share = checked === 0 ? 0 : overlapping / checked;
    const between: SplitName[] = overlapping === 0 ? [] : ['train', ...(['eval', 'gold'] as const).filter((s) => this.overlapping[s] > 0)];
    const examples = [...this.pairs]
      .sort((a, b) => b.similarity - a.similarity || (a.other_row_id < b.other_row_id ? -1 : a.other_row_id > b.other_row_id ? 1 : 0))
      .slice(0, this.maxExamples);
    return {
      checked: { ...this.checked },
      overlapping: { ...this.overlapping },
      overlapping_rows: overlapping,
      between,
      share: round4(share),
      max_share: this.maxShare,
      exceeds: share > this.maxShare,
      examples,
      params: { num_perm: this.hasher.numPerm, bands: this.lsh.bands, shingle_size: this.hasher.shingleSize, near_threshold: this.threshold, near: this.near },
    };
  }
}

/** One-call form over an in-memory list: train rows are indexed first, whatever their position in the list. */
export function checkLeakage(rows: Iterable<{ readonly row_id: string; readonly split: SplitName; readonly text: string }>, options: LeakageOptions = {}): LeakageReport {
  const all = [...rows];
  const checker = new LeakageChecker(options);
  for (const r of all) if (r.split === 'train') checker.addTrain(r.row_id, r.text);
  for (const r of all) if (r.split !== 'train') checker.check(r.row_id, r.split, r.text);
  return checker.report();
}
