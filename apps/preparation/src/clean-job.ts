import type { ArtifactRef, CleaningLineageEntry, TaskProfile, TransformedRow } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { Cleaner, cleaningOutcome, LengthProfiler, type CleaningOutcome, type CleaningPolicy, type CleaningReport, type CleanResult } from '@distillery/cleaning';

export interface DatasetInputRef {
  readonly import_run_id: string;
  readonly locator: string;
  readonly mapper_id: string;
  readonly rows: number;
  readonly ref: ArtifactRef;
}

export interface JobProgress {
  readonly phase: string;
  readonly rows_done: number;
  readonly rows_total: number;
}

export interface CleanJobInput {
  readonly task_profile: TaskProfile;
  readonly inputs: readonly DatasetInputRef[];
  readonly policy: CleaningPolicy;
  readonly onProgress?: (p: JobProgress) => void;
}

export interface CleanJobResult {
  readonly report: CleaningReport;
  readonly outcome: CleaningOutcome;
  readonly report_ref: ArtifactRef;
  readonly lineage_ref: ArtifactRef;
  /** Absent when PII blocked the dataset: nothing is written for training until the policy or the data changes. */
  readonly cleaned_ref?: ArtifactRef;
  /** Up to 20 rows that hold blocked PII. */
  readonly blocked_row_ids: readonly string[];
  /** Rows whose id was already read from an earlier input (the same source row imported twice): passed over. */
  readonly repeated_row_ids: number;
}

export class DatasetMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetMismatchError';
  }
}

const PROGRESS_EVERY = 5_000;

/**
 * The dataset's rows, in import order. A row id met again (the same source row in two imports) is the same row:
 * it is passed over once and counted, never cleaned twice.
 */
async function* rowsOf(store: FileArtifactStore, input: CleanJobInput, repeated: { count: number }): AsyncGenerator<TransformedRow> {
  const seen = new Set<string>();
  for (const i of input.inputs) {
    let n = 0;
    for await (const row of store.readJsonl<TransformedRow>(i.ref)) {
      n++;
      if (row.task_profile !== input.task_profile) {
        throw new DatasetMismatchError(`row ${row.row_id} of ${i.locator} (import ${i.import_run_id}, line ${n}) is ${row.task_profile}, the dataset is ${input.task_profile}`);
      }
      if (seen.has(row.row_id)) {
        repeated.count++;
        continue;
      }
      seen.add(row.row_id);
      yield row;
    }
  }
}

/** What lineage keeps of one row's cleaning: findings without the PII text itself. */
export function lineageEntry(row: TransformedRow, r: CleanResult): CleaningLineageEntry {
  const f = r.findings;
  return {
    row_id: row.row_id,
    kept: r.keep,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(f.pii.length ? { pii: f.pii.map((p) => ({ kind: p.kind, action: p.action, field: p.field, start: p.start, end: p.end })) } : {}),
    quality: { score: Math.round(f.quality.score * 10000) / 10000, language: f.quality.language, script: f.quality.script },
    ...(f.outliers.length ? { outliers: f.outliers.map((o) => o.kind) } : {}),
    ...(f.dedup
      ? {
          dedup: {
            cluster_id: f.dedup.cluster_id,
            ...(f.dedup.exact_of ? { exact_of: f.dedup.exact_of } : {}),
            ...(f.dedup.near_of ? { near_of: f.dedup.near_of, similarity: f.dedup.similarity ?? 0 } : {}),
          },
        }
      : {}),
  };
}

/**
 * Cleans a dataset in two streaming passes over its import artifacts: the first profiles record lengths (so length
 * outliers are relative to this dataset), the second runs the Cleaner row by row and writes the kept rows, one
 * lineage entry per row and the report. Memory holds the dedup index, not the rows.
 */
export async function runCleanJob(store: FileArtifactStore, input: CleanJobInput): Promise<CleanJobResult> {
  const total = input.inputs.reduce((a, i) => a + i.rows, 0);
  const progress = (phase: string, done: number) => input.onProgress?.({ phase, rows_done: done, rows_total: total });
  const profiler = new LengthProfiler(input.policy.text_fields ? { text_fields: input.policy.text_fields } : {});
  let n = 0;
  for await (const row of rowsOf(store, input, { count: 0 })) {
    profiler.addRecord(row.task_profile, row.record);
    if (++n % PROGRESS_EVERY === 0) progress('profile', n);
  }
  const cleaner = new Cleaner({ policy: input.policy, length_stats: profiler.stats() });
  const cleaned = await store.jsonlWriter();
  const lineage = await store.jsonlWriter();
  const blocked: string[] = [];
  const repeated = { count: 0 };
  try {
    n = 0;
    for await (const row of rowsOf(store, input, repeated)) {
      const r = cleaner.process(row);
      if (r.keep) await cleaned.write(r.row);
      else if (r.reason === 'pii_block' && blocked.length < 20) blocked.push(row.row_id);
      await lineage.write(lineageEntry(row, r));
      if (++n % PROGRESS_EVERY === 0) progress('clean', n);
    }
    progress('clean', n);
    const report = cleaner.report();
    const outcome = cleaningOutcome(report);
    const lineageRef = await lineage.close();
    const reportRef = await store.put([JSON.stringify(report, null, 2)], 'application/json');
    if (outcome.pii_block) {
      await cleaned.abort();
      return { report, outcome, report_ref: reportRef, lineage_ref: lineageRef, blocked_row_ids: blocked, repeated_row_ids: repeated.count };
    }
    return { report, outcome, report_ref: reportRef, lineage_ref: lineageRef, cleaned_ref: await cleaned.close(), blocked_row_ids: blocked, repeated_row_ids: repeated.count };
  } catch (err) {
    await Promise.all([cleaned.abort(), lineage.abort()]).catch(() => undefined);
    throw err;
  }
}
