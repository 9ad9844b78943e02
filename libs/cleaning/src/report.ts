import type { DedupParams } from './dedup/dedup-index.js';
import type { LengthFences, LengthStats, OutlierKind } from './outliers/outliers.js';
import type { PiiPolicy } from './pii/rewrite.js';
import type { PiiKind } from './pii/types.js';
import type { QualityComponents } from './quality/quality.js';

/** Why a row was removed. Outlier reasons name the first rule the row broke (kinds in OUTLIER_KINDS order). */
export type RemovalReason = 'pii_block' | `outlier:${OutlierKind}` | 'exact_duplicate' | 'near_duplicate';

/**
 * What cleaning did to a dataset: counts only, never row content (PII findings stay in memory). Written by the
 * preparation service as an artifact; its ref goes into `cleaning_completed` and the prepared manifest.
 * Distributions (quality, language, script) are over all rows in; `removed` and `rows_out` say what left.
 */
export interface CleaningReport {
  readonly schema_version: 1;
  readonly rows_in: number;
  readonly rows_out: number;
  /** Removed rows per reason (each removed row counted once, under its first reason). rows_in = rows_out + Σ. */
  readonly removed: Readonly<Partial<Record<RemovalReason, number>>>;
  readonly pii: {
    readonly policy: PiiPolicy;
    readonly rows_with_pii: number;
    /** Findings per kind (a row with two emails counts two). */
    readonly findings_by_kind: Readonly<Partial<Record<PiiKind, number>>>;
    /** Findings per action taken. `redacted + masked` = replacements written. */
    readonly actions: { readonly redacted: number; readonly masked: number; readonly kept: number; readonly blocked: number };
    /** Payload of `cleaning_pii_block` when rows_affected > 0. */
    readonly blocked: { readonly rows_affected: number; readonly kinds: readonly PiiKind[] };
  };
  readonly quality: {
    readonly mean: number;
    /** Ten bins [0, 0.1), …, [0.9, 1.0]; `edges` has their eleven boundaries. */
    readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] };
    readonly components_mean: Readonly<Record<keyof QualityComponents, number>>;
  };
  /** Rows per detected language (ISO 639-1 or `und`). */
  readonly languages: Readonly<Record<string, number>>;
  /** Rows per dominant script (`Zyyy` = no letters). */
  readonly scripts: Readonly<Record<string, number>>;
  readonly dedup: DedupParams & {
    readonly exact_duplicates: number;
    readonly near_duplicates: number;
    /** Clusters with more than one member. */
    readonly clusters: number;
  };
  readonly outliers: {
    /** Rows flagged per kind (a row can break several rules). */
    readonly counts: Readonly<Record<OutlierKind, number>>;
    /** Rows with at least one outlier finding. */
    readonly rows: number;
    /** rows / rows_in. */
    readonly share: number;
    readonly max_share: number;
    /** share > max_share: the caller emits `cleaning_outlier_threshold_exceeded`. */
    readonly exceeds: boolean;
    readonly action: 'drop' | 'flag';
    readonly length_fences: LengthFences;
    readonly length_stats?: LengthStats;
  };
  /** Consistency repairs made while rewriting (e.g. `answer_start_moved`), per code. */
  readonly warnings: Readonly<Record<string, number>>;
}

/** The named failure modes a report implies, as the payloads of their reason codes. */
export interface CleaningOutcome {
  readonly pii_block?: { readonly kinds: readonly string[]; readonly rows_affected: number };
  readonly outlier_threshold_exceeded?: { readonly metric: string; readonly share: number; readonly threshold: number };
}

export function cleaningOutcome(report: CleaningReport): CleaningOutcome {
  const out: { -readonly [K in keyof CleaningOutcome]: CleaningOutcome[K] } = {};
  if (report.pii.blocked.rows_affected > 0) out.pii_block = { kinds: report.pii.blocked.kinds, rows_affected: report.pii.blocked.rows_affected };
  if (report.outliers.exceeds) {
    out.outlier_threshold_exceeded = { metric: 'outlier_share', share: report.outliers.share, threshold: report.outliers.max_share };
  }
  return out;
}
