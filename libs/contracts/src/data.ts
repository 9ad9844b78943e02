import { z } from 'zod';
import { ArtifactRef } from './primitives.js';

/**
 * Data contracts of the data path (DESIGN.md "Data contracts"): rows as they come out of a source, as a mapper
 * leaves them, and the prepared manifest that everything downstream reads.
 */

/** Task profiles: one per task handler. A mapper declares which one its rows are for. */
export const TASK_PROFILES = [
  'classification',
  'qa',
  'structured_extraction',
  'rag_qa',
  'dpo',
  'seq2seq',
  'language_modeling',
  'chat_sft',
  'vision_language',
  'audio_transcript',
  'safety',
] as const;
export type TaskProfile = (typeof TASK_PROFILES)[number];

/** Where a row came from: the resolved source and the row's position in it (0-based record index). */
export const RowSource = z.object({
  locator: z.string().min(1),
  /** Resolved location: absolute file path, or the URL / hub revision that was read. */
  resolved: z.string().min(1),
  position: z.number().int().nonnegative(),
  /** Which file of a multi-file source (hub datasets). */
  file: z.string().optional(),
});
export type RowSource = z.infer<typeof RowSource>;

/**
 * A row read from a source. `row_id` = sha256(source identity, position, raw content), hex, first 32 chars: stable
 * across re-imports of the same file, different for the same text at another position.
 * A record that could not be parsed is a sentinel row (`parse_error` set, `raw_text` kept), never a silent drop.
 */
export interface SourceRow {
  readonly row_id: string;
  readonly source: RowSource;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Set on sentinel rows: why the record could not be parsed. */
  readonly parse_error?: string;
  /** The raw record text on sentinel rows (truncated to 4 KiB). */
  readonly raw_text?: string;
  /** Non-fatal problems met while reading this row (e.g. `decoded as windows-1252`). */
  readonly warnings?: readonly string[];
}

/** Rejection reasons are stable codes (documented in docs/rejection-reasons.md when the mapping service lands). */
export interface TransformedRow {
  readonly row_id: string;
  readonly source: RowSource;
  readonly task_profile: TaskProfile;
  readonly record: Readonly<Record<string, unknown>>;
}

export interface RejectedRow {
  readonly row_id: string;
  readonly source: RowSource;
  readonly reason: string;
  readonly detail: string;
}

export type MappedRow = { readonly ok: true; readonly row: TransformedRow } | { readonly ok: false; readonly row: RejectedRow };

/** Column type signatures found by introspection. */
export const COLUMN_KINDS = [
  'text',
  'categorical',
  'numeric',
  'boolean',
  'token_list',
  'bio_tag_list',
  'chat_messages',
  'entity_list',
  'string_list',
  'object',
  'empty',
  'mixed',
] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

export interface ShapeHypothesis {
  readonly mapper_id: string;
  readonly task_profile: TaskProfile;
  readonly field_map: Readonly<Record<string, string>>;
  /** 0..1 */
  readonly confidence: number;
  readonly rationale: string;
  readonly warnings: readonly string[];
}

export const SplitStrategy = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('random'), seed: z.number().int() }),
  z.object({ kind: z.literal('stratified'), field: z.string().min(1), seed: z.number().int() }),
  z.object({ kind: z.literal('group_disjoint'), field: z.string().min(1), seed: z.number().int() }),
]);
export type SplitStrategy = z.infer<typeof SplitStrategy>;

/** prepared/manifest.json: the source of truth downstream. Nothing after preparation reads raw paths. */
export const PreparedManifest = z.object({
  schema_version: z.literal(1),
  project_id: z.string(),
  dataset_id: z.string(),
  created_at: z.string(),
  task_profile: z.enum(TASK_PROFILES),
  output_schema: z.object({
    fields: z.record(z.string(), z.string()),
    scoring_mode: z.string(),
  }),
  label_set: z.array(z.string()).optional(),
  split: z.object({ strategy: SplitStrategy, ratios: z.object({ train: z.number(), eval: z.number(), gold: z.number() }) }),
  counts: z.object({ train: z.number().int(), eval: z.number().int(), gold: z.number().int(), dropped: z.number().int() }),
  artifacts: z.object({ train: ArtifactRef, eval: ArtifactRef, gold: ArtifactRef }),
  source_lineage: z.array(z.object({ locator: z.string(), mapper_id: z.string(), rows: z.number().int(), artifact: ArtifactRef.optional() })),
  cleaning_report: ArtifactRef.optional(),
  /** Filled when a tokenizer is chosen (training path). */
  tokenizer: z.object({ name: z.string(), sha256: z.string(), chat_template_sha256: z.string().optional() }).optional(),
});
export type PreparedManifest = z.infer<typeof PreparedManifest>;

/**
 * One line of a cleaning run's lineage artifact (`cleaning_completed.lineage_ref`, JSONL, one per row in): what
 * cleaning found in the row and whether it was kept. Carries no row content: PII findings are kinds, fields and
 * offsets only, so the lineage can be shown to people who may not see the data.
 */
export interface CleaningLineageEntry {
  readonly row_id: string;
  readonly kept: boolean;
  /** Why the row was removed (pii_block, outlier:<kind>, exact_duplicate, near_duplicate). */
  readonly reason?: string;
  readonly pii?: ReadonlyArray<{ readonly kind: string; readonly action: string; readonly field: string; readonly start: number; readonly end: number }>;
  readonly quality: { readonly score: number; readonly language: string; readonly script: string };
  readonly outliers?: readonly string[];
  /** Dedup cluster: the id of its first member (the row kept), and which row this one repeats. */
  readonly dedup?: { readonly cluster_id: string; readonly exact_of?: string; readonly near_of?: string; readonly similarity?: number };
}
