import type { TaskProfile } from '@distillery/contracts';
import { SPLITS, type SplitName } from './split.js';

/** Profiles whose records carry a label (`{text, label}`). */
export const LABELLED_PROFILES: ReadonlySet<TaskProfile> = new Set<TaskProfile>(['classification', 'safety']);

/** A record's label as a string (numbers and booleans as text), or undefined for unlabelled profiles / blank labels. */
export function labelOf(profile: TaskProfile, record: Readonly<Record<string, unknown>>): string | undefined {
  if (!LABELLED_PROFILES.has(profile)) return undefined;
  const v = record['label'];
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export interface ClassBalance {
  readonly classes: number;
  readonly majority_label: string;
  readonly majority_share: number;
  readonly minority_label: string;
  readonly minority_share: number;
  /** majority count / minority count (1 = perfectly balanced). */
  readonly imbalance_ratio: number;
  /** Shannon entropy of the label distribution / log(classes): 1 = uniform, → 0 = one class dominates. */
  readonly normalized_entropy: number;
}

export interface LabelSummary {
  /** Every label seen in any split, sorted. */
  readonly labels: readonly string[];
  readonly total: number;
  /** Rows with no label (blank, missing) per split; they are not in the counts. */
  readonly unlabelled: Readonly<Record<SplitName, number>>;
  readonly counts: Readonly<Record<string, number>>;
  readonly per_split: Readonly<Record<SplitName, Readonly<Record<string, number>>>>;
  /** Balance of the train split (what the model learns from); undefined without train labels. */
  readonly balance?: ClassBalance;
  /** Labels that occur in eval or gold but never in train: the model cannot learn them. */
  readonly only_in_holdout: readonly string[];
  /** Train labels absent from eval / gold: their quality is not measured there. */
  readonly missing_from_eval: readonly string[];
  readonly missing_from_gold: readonly string[];
  /** Train labels with fewer than `min_count` train rows. */
  readonly rare: readonly string[];
}

const round4 = (x: number): number => Math.round(x * 10000) / 10000;
const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Streaming label counts per split. */
export class LabelStats {
  private readonly counts: Record<SplitName, Map<string, number>> = { train: new Map(), eval: new Map(), gold: new Map() };
  private readonly unlabelled: Record<SplitName, number> = { train: 0, eval: 0, gold: 0 };

  add(split: SplitName, label: string | undefined): void {
    if (label === undefined) {
      this.unlabelled[split]++;
      return;
    }
    const m = this.counts[split];
    m.set(label, (m.get(label) ?? 0) + 1);
  }

  addRow(split: SplitName, profile: TaskProfile, record: Readonly<Record<string, unknown>>): void {
    this.add(split, labelOf(profile, record));
  }

  summary(options: { readonly min_count?: number } = {}): LabelSummary {
    const minCount = options.min_count ?? 5;
    const all = new Map<string, number>();
    for (const s of SPLITS) for (const [l, c] of this.counts[s]) all.set(l, (all.get(l) ?? 0) + c);
    const labels = [...all.keys()].sort(byKey);
    const train = this.counts.train;
    const missingFrom = (s: SplitName): string[] => [...train.keys()].filter((l) => !this.counts[s].has(l)).sort(byKey);
    const perSplit = Object.fromEntries(SPLITS.map((s) => [s, Object.fromEntries([...this.counts[s]].sort(([a], [b]) => byKey(a, b)))])) as Record<SplitName, Record<string, number>>;
    return {
      labels,
      total: [...all.values()].reduce((a, b) => a + b, 0),
      unlabelled: { ...this.unlabelled },
      counts: Object.fromEntries(labels.map((l) => [l, all.get(l) ?? 0])),
      per_split: perSplit,
      ...(train.size > 0 ? { balance: balance(train) } : {}),
      only_in_holdout: labels.filter((l) => !train.has(l)),
      missing_from_eval: missingFrom('eval'),
      missing_from_gold: missingFrom('gold'),
      rare: [...train].filter(([, c]) => c < minCount).map(([l]) => l).sort(byKey),
    };
  }
}

/** Class balance of a label → count map (ties: the label that sorts first). */
export function balance(counts: ReadonlyMap<string, number>): ClassBalance {
  const entries = [...counts].sort(([a], [b]) => byKey(a, b));
  const total = entries.reduce((a, [, c]) => a + c, 0);
  let max = entries[0] ?? ['', 0];
  let min = entries[0] ?? ['', 0];
  let h = 0;
  for (const e of entries) {
    if (e[1] > max[1]) max = e;
    if (e[1] < min[1]) min = e;
    const p = e[1] / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return {
    classes: entries.length,
    majority_label: max[0],
    majority_share: round4(max[1] / total),
    minority_label: min[0],
    minority_share: round4(min[1] / total),
    imbalance_ratio: round4(max[1] / Math.max(1, min[1])),
    normalized_entropy: entries.length > 1 ? round4(h / Math.log(entries.length)) : 0,
  };
}
