import type { ArtifactRef, PreparedManifest, SplitStrategy, TaskProfile, TransformedRow } from '@distillery/contracts';
import type { FileArtifactStore, JsonlWriter } from '@distillery/artifacts';
import type { OutputSchema } from '@distillery/mappers';
import {
  assertSplitInvariants,
  buildManifest,
  fieldKey,
  LabelStats,
  LeakageChecker,
  rowText,
  splitRows,
  SPLITS,
  type LabelSummary,
  type LeakageReport,
  type ManifestWarning,
  type SplitName,
  type SplitRatios,
  type SplitResult,
} from '@distillery/prepare';
import type { DatasetInputRef, JobProgress } from './clean-job.js';

export interface PrepareJobInput {
  readonly project_id: string;
  readonly dataset_id: string;
  readonly task_profile: TaskProfile;
  readonly dataset_ref: ArtifactRef;
  readonly cleaning_report_ref?: ArtifactRef;
  readonly rows_dropped: number;
  readonly inputs: readonly DatasetInputRef[];
  readonly output_schema: OutputSchema;
  readonly strategy: SplitStrategy;
  readonly ratios?: SplitRatios;
  /** Share of held-out rows allowed to repeat a train row before the prepare fails (default 0.01). */
  readonly leakage_max_share?: number;
  readonly near_threshold?: number;
  /** ISO time from the caller's clock: the manifest's created_at. */
  readonly created_at: string;
  readonly onProgress?: (p: JobProgress) => void;
}

export type PrepareJobResult =
  | { readonly ok: true; readonly manifest: PreparedManifest; readonly manifest_ref: ArtifactRef; readonly warnings: readonly ManifestWarning[]; readonly split: SplitResult; readonly leakage: LeakageReport; readonly labels?: LabelSummary }
  | { readonly ok: false; readonly leakage: LeakageReport; readonly split: SplitResult };

export const DEFAULT_LEAKAGE_MAX_SHARE = 0.01;
const PROGRESS_EVERY = 5_000;
const KEY = 'k';

/**
 * Prepares a cleaned dataset in three streaming passes over its artifact: (1) split assignment from row ids and the
 * strategy's field only, (2) index the train rows for the leakage check, (3) check every held-out row against train
 * and write train / eval / gold. Leakage above the threshold stops before anything is published as prepared.
 */
export async function runPrepareJob(store: FileArtifactStore, input: PrepareJobInput): Promise<PrepareJobResult> {
  const progress = (phase: string, done: number, total: number) => input.onProgress?.({ phase, rows_done: done, rows_total: total });
  const rows = () => store.readJsonl<TransformedRow>(input.dataset_ref);

  // 1. split: keep only what the strategy needs (the row id and its field's key), never the records.
  const keyed: Array<{ row_id: string; record: Record<string, unknown> }> = [];
  const field = input.strategy.kind === 'random' ? undefined : input.strategy.field;
  for await (const row of rows()) {
    const key = field === undefined ? undefined : fieldKey(row.record, field);
    keyed.push({ row_id: row.row_id, record: key === undefined ? {} : { [KEY]: key } });
    if (keyed.length % PROGRESS_EVERY === 0) progress('split', keyed.length, keyed.length);
  }
  const total = keyed.length;
  const internal: SplitStrategy = input.strategy.kind === 'random' ? input.strategy : { ...input.strategy, field: KEY };
  const split = { ...splitRows(keyed, internal, input.ratios), strategy: input.strategy };
  keyed.length = 0;
  assertSplitInvariants(splitSets(split));

  // 2. index train.
  const checker = new LeakageChecker({ max_share: input.leakage_max_share ?? DEFAULT_LEAKAGE_MAX_SHARE, ...(input.near_threshold !== undefined ? { near_threshold: input.near_threshold } : {}) });
  let n = 0;
  for await (const row of rows()) {
    if (split.assignments.get(row.row_id) === 'train') checker.addTrain(row.row_id, rowText(row));
    if (++n % PROGRESS_EVERY === 0) progress('leakage', n, total);
  }

  // 3. check held-out rows and write the three splits.
  const writers = Object.fromEntries(await Promise.all(SPLITS.map(async (s) => [s, await store.jsonlWriter()] as const))) as Record<SplitName, JsonlWriter>;
  const labels = new LabelStats();
  try {
    n = 0;
    for await (const row of rows()) {
      const s = split.assignments.get(row.row_id);
      if (s === undefined) throw new Error(`row ${row.row_id} appeared after the split pass: the dataset artifact changed while it was read`);
      if (s !== 'train') checker.check(row.row_id, s, rowText(row));
      labels.addRow(s, row.task_profile, row.record);
      await writers[s].write(row);
      if (++n % PROGRESS_EVERY === 0) progress('write', n, total);
    }
    progress('write', n, total);
    const leakage = checker.report();
    if (leakage.exceeds) {
      await Promise.all(SPLITS.map((s) => writers[s].abort()));
      return { ok: false, leakage, split };
    }
    const refs = {} as Record<SplitName, ArtifactRef>;
    for (const s of SPLITS) refs[s] = await writers[s].close();
    const built = buildManifest({
      project_id: input.project_id,
      dataset_id: input.dataset_id,
      created_at: input.created_at,
      task_profile: input.task_profile,
      output_schema: input.output_schema,
      split: { strategy: input.strategy, ...(input.ratios ? { ratios: input.ratios } : {}) },
      counts: { ...split.counts, dropped: input.rows_dropped },
      artifacts: refs,
      source_lineage: input.inputs.map((i) => ({ locator: i.locator, mapper_id: i.mapper_id, rows: i.rows, artifact: i.ref })),
      ...(input.cleaning_report_ref ? { cleaning_report: input.cleaning_report_ref } : {}),
      labels: labels.summary(),
    });
    const manifestRef = await store.put([JSON.stringify(built.manifest, null, 2)], 'application/json');
    return { ok: true, manifest: built.manifest, manifest_ref: manifestRef, warnings: built.warnings, split, leakage, ...(built.summary.labels ? { labels: built.summary.labels } : {}) };
  } catch (err) {
    await Promise.all(SPLITS.map((s) => writers[s].abort())).catch(() => undefined);
    throw err;
  }
}

function splitSets(split: SplitResult): Record<SplitName, string[]> {
  const out: Record<SplitName, string[]> = { train: [], eval: [], gold: [] };
  for (const [id, s] of split.assignments) out[s].push(id);
  return out;
}
