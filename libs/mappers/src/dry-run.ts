import type { RejectedRow, SourceRow, TaskProfile, TransformedRow } from '@distillery/contracts';
import { REJECTION_REASONS, isRejectionReason } from './reasons.js';
import { guardMapper } from './registry.js';
import type { FieldMap, MapOptions, MapResult, Mapper } from './types.js';

export interface DryRunOptions {
  /** Accepted rows kept as a sample (first N, in input order). Default 20. */
  readonly sampleSize?: number;
  /** Rejected rows kept as examples per reason (first N). Default 5. */
  readonly examplesPerReason?: number;
  /** Reasons hidden from the examples (bulk-dropped by the user). Their counts stay in the report. */
  readonly dropReasons?: readonly string[];
  readonly mapOptions?: MapOptions;
}

export interface RejectionGroup {
  readonly reason: string;
  /** From REJECTION_REASONS; plugin-defined reasons have none. */
  readonly meaning?: string;
  readonly count: number;
  /** Up to examplesPerReason rows; empty when the reason is dropped. */
  readonly examples: readonly RejectedRow[];
  /** True when the reason is in dropReasons (examples hidden, count kept). */
  readonly dropped: boolean;
}

export interface DryRunReport {
  readonly mapper_id: string;
  readonly task_profile: TaskProfile;
  readonly field_map: FieldMap;
  /** Invariant: accepted + rejected = read. */
  readonly read: number;
  readonly accepted: number;
  readonly rejected: number;
  /** reason → count, every reason met (dropped ones included). */
  readonly rejection_counts: Readonly<Record<string, number>>;
  /** One group per reason met, most frequent first (ties by code). */
  readonly rejections: readonly RejectionGroup[];
  readonly accepted_sample: readonly TransformedRow[];
  /** warning code → accepted rows carrying it. */
  readonly warning_counts: Readonly<Record<string, number>>;
  readonly dropped_reasons: readonly string[];
}

/**
 * Maps every row with `mapper` and reports what would happen, writing nothing. Every row is counted once, as
 * accepted or rejected (a mapper that throws or returns garbage counts as `mapper_error`), so accepted + rejected =
 * read holds for any input. Dropping a reason only hides its examples.
 */
export function dryRun(rows: Iterable<SourceRow>, mapper: Mapper, fieldMap: FieldMap, options: DryRunOptions = {}): DryRunReport {
  const tally = new MappingTally(mapper, fieldMap, options);
  for (const row of rows) tally.add(row);
  return tally.report();
}

/**
 * The incremental form of `dryRun`, for streamed sources: `add()` maps one row, counts it and returns the result
 * (so an import can write it), `report()` gives the same report `dryRun` would. Memory: the samples only.
 */
export class MappingTally {
  private readonly guarded: Mapper;
  private readonly sampleSize: number;
  private readonly perReason: number;
  private readonly dropped: Set<string>;
  private read = 0;
  private accepted = 0;
  private rejected = 0;
  private readonly counts = new Map<string, number>();
  private readonly examples = new Map<string, RejectedRow[]>();
  private readonly sample: TransformedRow[] = [];
  private readonly warnings = new Map<string, number>();

  constructor(
    private readonly mapper: Mapper,
    private readonly fieldMap: FieldMap,
    private readonly options: DryRunOptions = {},
  ) {
    this.sampleSize = Math.max(0, options.sampleSize ?? 20);
    this.perReason = Math.max(0, options.examplesPerReason ?? 5);
    this.dropped = new Set(options.dropReasons ?? []);
    this.guarded = guardMapper(mapper);
  }

  add(row: SourceRow): MapResult {
    this.read += 1;
    const result = this.guarded.map(row, this.fieldMap, this.options.mapOptions);
    if (result.ok) {
      this.accepted += 1;
      if (this.sample.length < this.sampleSize) this.sample.push(result.row);
      for (const w of result.warnings ?? []) this.warnings.set(w, (this.warnings.get(w) ?? 0) + 1);
    } else {
      this.rejected += 1;
      const reason = result.row.reason;
      this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
      if (!this.dropped.has(reason)) {
        const list = this.examples.get(reason) ?? [];
        if (list.length < this.perReason) list.push(result.row);
        this.examples.set(reason, list);
      }
    }
    return result;
  }

  report(): DryRunReport {
    const dropped = this.dropped;
    const rejections: RejectionGroup[] = [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([reason, count]) => ({
        reason,
        ...(isRejectionReason(reason) ? { meaning: REJECTION_REASONS[reason] } : {}),
        count,
        examples: dropped.has(reason) ? [] : (this.examples.get(reason) ?? []),
        dropped: dropped.has(reason),
      }));
    return {
      mapper_id: this.mapper.id,
      task_profile: this.mapper.task_profile,
      field_map: this.fieldMap,
      read: this.read,
      accepted: this.accepted,
      rejected: this.rejected,
      rejection_counts: Object.fromEntries(this.counts),
      rejections,
      accepted_sample: [...this.sample],
      warning_counts: Object.fromEntries(this.warnings),
      dropped_reasons: [...dropped].sort(),
    };
  }
}
