import type { TaskProfile } from '@distillery/contracts';
import { lengthUnits, type QualityResult } from '../quality/quality.js';
import { recordText, textFieldPatterns } from '../text-fields.js';
import { QuantileSketch } from './sketch.js';

export const OUTLIER_KINDS = ['length', 'repetition', 'encoding', 'low_quality'] as const;
export type OutlierKind = (typeof OUTLIER_KINDS)[number];

/** Dataset statistics of record length in units (quality.ts lengthUnits), from a first pass (LengthProfiler). */
export interface LengthStats {
  readonly count: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
}

export interface OutlierPolicy {
  readonly length?: {
    /** Fence width in log-IQRs (default 3, Tukey's "far out"). */
    readonly k?: number;
    /** Records below this many units are outliers whatever the stats (default 1: blank text). */
    readonly min_units?: number;
    /** Records above this many units are outliers whatever the stats (default: none). */
    readonly max_units?: number;
    /** Fewer profiled rows than this: relative fences are not used (default 20). */
    readonly min_rows?: number;
  };
  readonly repetition?: { readonly max_dup_ngram_share?: number; readonly max_char_run?: number };
  readonly encoding?: { readonly max_garbage_share?: number; readonly max_mojibake_markers?: number };
  /** Quality score below which a record is an outlier (default 0.2; 0 disables). */
  readonly low_quality?: { readonly min_score?: number };
  /** Largest acceptable share of outlier rows; above it the report says `exceeds` (default 0.05). */
  readonly max_share?: number;
  /** `drop` (default) removes outlier rows; `flag` keeps them and only counts. */
  readonly action?: 'drop' | 'flag';
}

export interface OutlierFinding {
  readonly kind: OutlierKind;
  /** The measured signal, e.g. `length_units`, `dup_ngram_share`, `garbage_share`, `score`. */
  readonly metric: string;
  readonly value: number;
  readonly threshold: number;
  readonly side: 'low' | 'high';
}

/** Length fences in units: [low, high] outside which a record is a length outlier. */
export interface LengthFences {
  readonly low: number;
  readonly high: number;
  /** `stats` when derived from dataset quantiles, `absolute` when only min/max units apply. */
  readonly source: 'stats' | 'absolute';
}

/**
 * Robust length fences on the log scale (lengths are right-skewed): with L = log(1 + units), outliers lie below
 * L(q1) − k·IQR or above L(q3) + k·IQR, IQR = max(L(q3) − L(q1), 0.25) so a dataset of equal lengths does not
 * flag every other length. Absolute `min_units` / `max_units` always apply.
 */
export function lengthFences(stats: LengthStats | undefined, policy: OutlierPolicy = {}): LengthFences {
  const p = policy.length ?? {};
  const minUnits = p.min_units ?? 1;
  const maxUnits = p.max_units ?? Infinity;
  if (!stats || stats.count < (p.min_rows ?? 20)) return { low: minUnits, high: maxUnits, source: 'absolute' };
  const k = p.k ?? 3;
  const l1 = Math.log1p(stats.q1);
  const l3 = Math.log1p(stats.q3);
  const iqr = Math.max(l3 - l1, 0.25);
  const low = Math.max(minUnits, Math.expm1(l1 - k * iqr));
  const high = Math.min(maxUnits, Math.expm1(l3 + k * iqr));
  return { low: Math.round(low * 100) / 100, high: Math.round(high * 100) / 100, source: 'stats' };
}

/** Which outlier rules a record's quality signals break. */
export function detectOutliers(q: QualityResult, fences: LengthFences, policy: OutlierPolicy = {}): OutlierFinding[] {
  const out: OutlierFinding[] = [];
  const flag = (kind: OutlierKind, metric: string, value: number, threshold: number, side: 'low' | 'high'): void => {
    out.push({ kind, metric, value, threshold, side });
  };
  const s = q.signals;
  if (s.length_units < fences.low) flag('length', 'length_units', s.length_units, fences.low, 'low');
  else if (s.length_units > fences.high) flag('length', 'length_units', s.length_units, fences.high, 'high');

  const maxDup = policy.repetition?.max_dup_ngram_share ?? 0.5;
  const maxRun = policy.repetition?.max_char_run ?? 30;
  if (s.dup_ngram_share > maxDup) flag('repetition', 'dup_ngram_share', s.dup_ngram_share, maxDup, 'high');
  else if (s.max_char_run > maxRun) flag('repetition', 'max_char_run', s.max_char_run, maxRun, 'high');

  const maxGarbage = policy.encoding?.max_garbage_share ?? 0.01;
  const maxMojibake = policy.encoding?.max_mojibake_markers ?? 1;
  if (s.garbage_share > maxGarbage) flag('encoding', 'garbage_share', s.garbage_share, maxGarbage, 'high');
  else if (s.mojibake_markers > maxMojibake) flag('encoding', 'mojibake_markers', s.mojibake_markers, maxMojibake, 'high');

  const minScore = policy.low_quality?.min_score ?? 0.2;
  if (q.score < minScore) flag('low_quality', 'score', q.score, minScore, 'low');
  return out;
}

/**
 * First pass for length outliers: feed every record (or text), then hand `stats()` to the Cleaner. Streams with a
 * QuantileSketch (1 % relative error), so memory does not grow with the row count; sketches of shards merge.
 */
export class LengthProfiler {
  readonly sketch: QuantileSketch;
  private readonly textFields: Partial<Record<TaskProfile, readonly string[]>> | undefined;

  constructor(options: { readonly alpha?: number; readonly text_fields?: Partial<Record<TaskProfile, readonly string[]>> } = {}) {
    this.sketch = new QuantileSketch(options.alpha ?? 0.01);
    this.textFields = options.text_fields;
  }

  addText(text: string): void {
    this.sketch.add(lengthUnits(text));
  }

  addRecord(profile: TaskProfile, record: Readonly<Record<string, unknown>>): void {
    this.addText(recordText(record, textFieldPatterns(profile, this.textFields)));
  }

  stats(): LengthStats {
    const round = (x: number): number => Math.round(x * 100) / 100;
    return { count: this.sketch.count, q1: round(this.sketch.quantile(0.25)), median: round(this.sketch.quantile(0.5)), q3: round(this.sketch.quantile(0.75)) };
  }
}
