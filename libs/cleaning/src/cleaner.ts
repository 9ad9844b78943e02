import type { TaskProfile, TransformedRow } from '@distillery/contracts';
import { DedupIndex, type DedupOptions, type DedupResult } from './dedup/dedup-index.js';
import {
  detectOutliers,
  lengthFences,
  OUTLIER_KINDS,
  type LengthFences,
  type LengthStats,
  type OutlierFinding,
  type OutlierKind,
  type OutlierPolicy,
} from './outliers/outliers.js';
import { scanRecord, type AppliedFinding } from './pii/record.js';
import { DEFAULT_PII_POLICY, type PiiPolicy } from './pii/rewrite.js';
import type { PiiKind } from './pii/types.js';
import { scoreQuality, type QualityComponents, type QualityOptions, type QualityResult } from './quality/quality.js';
import type { CleaningReport, RemovalReason } from './report.js';
import { dedupFieldPatterns, recordText, textFieldPatterns } from './text-fields.js';

/** A project's cleaning policy. Every part is optional; defaults are documented on each type. */
export interface CleaningPolicy {
  readonly pii?: PiiPolicy;
  readonly quality?: QualityOptions;
  readonly outliers?: OutlierPolicy;
  /** Exact and near dedup, both on by default (`exact: false` / `near: false` turn them off). */
  readonly dedup?: DedupOptions;
  /** Override which fields are text, per task profile (pattern notation of text-fields.ts). */
  readonly text_fields?: Partial<Record<TaskProfile, readonly string[]>>;
  /** Override which fields identify an example for dedup, per task profile (default DEDUP_FIELD_PATTERNS). */
  readonly dedup_fields?: Partial<Record<TaskProfile, readonly string[]>>;
}

export interface CleanFindings {
  readonly pii: readonly AppliedFinding[];
  readonly pii_blocked_kinds: readonly PiiKind[];
  readonly quality: QualityResult;
  readonly outliers: readonly OutlierFinding[];
  /** Set when the row reached the dedup step (not blocked, not a dropped outlier). */
  readonly dedup?: DedupResult;
  readonly warnings: readonly string[];
}

export interface CleanResult {
  readonly keep: boolean;
  /** Set when keep is false. */
  readonly reason?: RemovalReason;
  /** The row to write: PII rewritten per policy (the input row itself when nothing changed or it is blocked). */
  readonly row: TransformedRow;
  readonly findings: CleanFindings;
}

export interface CleanerOptions {
  readonly policy?: CleaningPolicy;
  /** Length statistics from a first pass (LengthProfiler); without them only absolute length bounds apply. */
  readonly length_stats?: LengthStats;
}

/**
 * Cleans one record without dataset state (no dedup): PII per policy, then quality and outliers on the rewritten
 * text. `keep` is false for blocked PII and, with outlier action `drop`, for outliers.
 */
export function cleanRecord(row: TransformedRow, options: CleanerOptions = {}): CleanResult {
  const policy = options.policy ?? {};
  return evaluate(row, policy, lengthFences(options.length_stats, policy.outliers));
}

function evaluate(row: TransformedRow, policy: CleaningPolicy, fences: LengthFences): CleanResult {
  const pii = scanRecord(row.task_profile, row.record, {
    policy: policy.pii ?? DEFAULT_PII_POLICY,
    ...(policy.text_fields ? { text_fields: policy.text_fields } : {}),
  });
  const out: TransformedRow = pii.record === row.record ? row : { ...row, record: pii.record };
  const quality = scoreQuality(recordText(out.record, textFieldPatterns(row.task_profile, policy.text_fields)), policy.quality);
  const outliers = detectOutliers(quality, fences, policy.outliers);
  const findings: CleanFindings = { pii: pii.findings, pii_blocked_kinds: pii.blocked_kinds, quality, outliers, warnings: pii.warnings };
  if (pii.blocked) return { keep: false, reason: 'pii_block', row, findings };
  const first = OUTLIER_KINDS.find((k) => outliers.some((o) => o.kind === k));
  if (first && (policy.outliers?.action ?? 'drop') === 'drop') return { keep: false, reason: `outlier:${first}`, row: out, findings };
  return { keep: true, row: out, findings };
}

const COMPONENTS: ReadonlyArray<keyof QualityComponents> = ['length', 'alpha_ratio', 'repetition', 'garbage', 'mojibake'];
const round4 = (x: number): number => Math.round(x * 10000) / 10000;

function inc<K extends string>(m: Partial<Record<K, number>>, k: K, by = 1): void {
  m[k] = (m[k] ?? 0) + by;
}

const sortedRecord = <V>(m: Readonly<Record<string, V>>): Record<string, V> =>
  Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The streaming cleaner: `process(row)` per row in a fixed order, then `report()`. State per dataset: the dedup
 * index (see DedupIndex for its memory) and counters. Order of checks per row: PII (block → removed as
 * `pii_block`), rewrite, quality, outliers (removed as `outlier:<kind>` when the action is `drop`), then exact and
 * near dedup against the rows kept so far (`exact_duplicate`, `near_duplicate`). Dedup sees the rewritten text, so
 * rows that differ only in their (redacted) PII are duplicates.
 */
export class Cleaner {
  private readonly policy: CleaningPolicy;
  private readonly fences: LengthFences;
  private readonly dedup: DedupIndex;
  private readonly dedupExact: boolean;
  private readonly dedupNear: boolean;
  private readonly lengthStats: LengthStats | undefined;

  private rowsIn = 0;
  private rowsOut = 0;
  private readonly removed: Partial<Record<RemovalReason, number>> = {};
  private rowsWithPii = 0;
  private readonly piiByKind: Partial<Record<PiiKind, number>> = {};
  private readonly piiActions = { redacted: 0, masked: 0, kept: 0, blocked: 0 };
  private blockedRows = 0;
  private readonly blockedKinds = new Set<PiiKind>();
  private qualitySum = 0;
  private readonly histogram = new Array<number>(10).fill(0);
  private readonly componentSums: Record<keyof QualityComponents, number> = { length: 0, alpha_ratio: 0, repetition: 0, garbage: 0, mojibake: 0 };
  private readonly languages: Record<string, number> = {};
  private readonly scripts: Record<string, number> = {};
  private exactDuplicates = 0;
  private nearDuplicates = 0;
  private readonly outlierCounts: Record<OutlierKind, number> = { length: 0, repetition: 0, encoding: 0, low_quality: 0 };
  private outlierRows = 0;
  private readonly warnings: Record<string, number> = {};

  constructor(options: CleanerOptions = {}) {
    this.policy = options.policy ?? {};
    this.lengthStats = options.length_stats;
    this.fences = lengthFences(options.length_stats, this.policy.outliers);
    this.dedup = new DedupIndex(this.policy.dedup ?? {});
    this.dedupExact = this.policy.dedup?.exact ?? true;
    this.dedupNear = this.policy.dedup?.near ?? true;
  }

  /** Rows kept so far and their duplicates, for lineage (`clusterOf(row_id)`, `clusters()`). */
  get dedupIndex(): DedupIndex {
    return this.dedup;
  }

  process(row: TransformedRow): CleanResult {
    let result = evaluate(row, this.policy, this.fences);
    const f = result.findings;
    this.rowsIn++;
    if (f.pii.length > 0) this.rowsWithPii++;
    for (const p of f.pii) {
      inc(this.piiByKind, p.kind);
      const key = p.action === 'redact' ? 'redacted' : p.action === 'mask' ? 'masked' : p.action === 'keep' ? 'kept' : 'blocked';
      this.piiActions[key]++;
    }
    if (f.pii_blocked_kinds.length > 0) {
      this.blockedRows++;
      for (const k of f.pii_blocked_kinds) this.blockedKinds.add(k);
    }
    const q = f.quality;
    this.qualitySum += q.score;
    const bin = Math.min(9, Math.floor(q.score * 10));
    this.histogram[bin] = (this.histogram[bin] ?? 0) + 1;
    for (const c of COMPONENTS) this.componentSums[c] += q.components[c];
    inc(this.languages, q.language);
    inc(this.scripts, q.script);
    if (f.outliers.length > 0) this.outlierRows++;
    for (const k of new Set(f.outliers.map((o) => o.kind))) this.outlierCounts[k]++;
    for (const w of f.warnings) inc(this.warnings, w);

    if (result.keep && (this.dedupExact || this.dedupNear)) {
      const text = recordText(result.row.record, dedupFieldPatterns(row.task_profile, this.policy.dedup_fields));
      const d = this.dedup.add(row.row_id, text);
      const findings = { ...f, dedup: d };
      if (d.exact_of !== undefined) {
        this.exactDuplicates++;
        result = { keep: false, reason: 'exact_duplicate', row: result.row, findings };
      } else if (d.near_of !== undefined) {
        this.nearDuplicates++;
        result = { keep: false, reason: 'near_duplicate', row: result.row, findings };
      } else result = { ...result, findings };
    }
    if (result.keep) this.rowsOut++;
    else if (result.reason) inc(this.removed, result.reason);
    return result;
  }

  report(): CleaningReport {
    const n = this.rowsIn;
    const maxShare = this.policy.outliers?.max_share ?? 0.05;
    const share = n === 0 ? 0 : this.outlierRows / n;
    const params = this.dedup.params;
    return {
      schema_version: 1,
      rows_in: n,
      rows_out: this.rowsOut,
      removed: sortedRecord(this.removed),
      pii: {
        policy: this.policy.pii ?? DEFAULT_PII_POLICY,
        rows_with_pii: this.rowsWithPii,
        findings_by_kind: sortedRecord(this.piiByKind),
        actions: { ...this.piiActions },
        blocked: { rows_affected: this.blockedRows, kinds: [...this.blockedKinds].sort() },
      },
      quality: {
        mean: n === 0 ? 0 : round4(this.qualitySum / n),
        histogram: { edges: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], counts: [...this.histogram] },
        components_mean: Object.fromEntries(
          COMPONENTS.map((c) => [c, n === 0 ? 0 : round4(this.componentSums[c] / n)]),
        ) as Record<keyof QualityComponents, number>,
      },
      languages: sortedRecord(this.languages),
      scripts: sortedRecord(this.scripts),
      dedup: {
        ...params,
        exact_duplicates: this.exactDuplicates,
        near_duplicates: this.nearDuplicates,
        clusters: this.dedup.clusters().length,
      },
      outliers: {
        counts: { ...this.outlierCounts },
        rows: this.outlierRows,
        share: round4(share),
        max_share: maxShare,
        exceeds: share > maxShare,
        action: this.policy.outliers?.action ?? 'drop',
        length_fences: this.fences,
        ...(this.lengthStats ? { length_stats: this.lengthStats } : {}),
      },
      warnings: sortedRecord(this.warnings),
    };
  }
}
