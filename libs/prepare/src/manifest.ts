import { PreparedManifest, type ArtifactRef, type SplitStrategy, type TaskProfile } from '@distillery/contracts';
import { LABELLED_PROFILES, type LabelSummary } from './labels.js';
import { DEFAULT_RATIOS, SPLITS, validateRatios, type SplitName, type SplitRatios } from './split.js';

export interface BuildManifestInput {
  readonly project_id: string;
  readonly dataset_id: string;
  /** ISO 8601 timestamp from the caller's clock (domain code reads no clock). */
  readonly created_at: string;
  readonly task_profile: TaskProfile;
  /** The mapper's output schema: record fields and the scoring mode. */
  readonly output_schema: { readonly fields: Readonly<Record<string, string>>; readonly scoring_mode: string };
  readonly split: { readonly strategy: SplitStrategy; readonly ratios?: SplitRatios };
  /** Rows written per split, and rows dropped before splitting (cleaning removals, rejected rows). */
  readonly counts: Readonly<Record<SplitName, number>> & { readonly dropped: number };
  /** Content-addressed refs of the written train / eval / gold files (the caller computes sha256 and bytes). */
  readonly artifacts: Readonly<Record<SplitName, ArtifactRef>>;
  readonly source_lineage: ReadonlyArray<{ readonly locator: string; readonly mapper_id: string; readonly rows: number; readonly artifact?: ArtifactRef }>;
  readonly cleaning_report?: ArtifactRef;
  readonly tokenizer?: { readonly name: string; readonly sha256: string; readonly chat_template_sha256?: string };
  /** Label statistics (LabelStats.summary()); for labelled profiles the manifest's label_set comes from here. */
  readonly labels?: LabelSummary;
}

/** Non-fatal findings about a manifest; codes are stable. */
export interface ManifestWarning {
  readonly code:
    | 'labels_only_in_holdout'
    | 'labels_missing_from_eval'
    | 'labels_missing_from_gold'
    | 'rare_labels'
    | 'no_label_set'
    | 'empty_split'
    | 'label_counts_mismatch';
  readonly detail: string;
  readonly labels?: readonly string[];
}

export interface BuiltManifest {
  readonly manifest: PreparedManifest;
  readonly warnings: readonly ManifestWarning[];
  /** For the `dataset_prepared` summary and the UI: counts and label balance (not part of manifest.json). */
  readonly summary: { readonly counts: Readonly<Record<SplitName | 'dropped' | 'total', number>>; readonly labels?: LabelSummary };
}

export class ManifestInvalidError extends Error {
  readonly code = 'PREPARE.MANIFEST_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`prepared manifest is invalid: ${problems.join('; ')}`);
    this.name = 'ManifestInvalidError';
  }
}

const list = (xs: readonly string[], n = 10): string => (xs.length > n ? `${xs.slice(0, n).join(', ')}, … (${xs.length})` : xs.join(', '));

/**
 * Builds prepared/manifest.json and validates it with the contracts' zod schema (throws ManifestInvalidError with
 * every problem). For labelled profiles (classification, safety) `label_set` is the sorted set of labels seen in
 * any split; labels that only occur in eval / gold are kept in the set and warned about (the model never saw
 * them). Warnings never block: the caller decides (e.g. `dataset_prepared` with severity warning).
 */
export function buildManifest(input: BuildManifestInput): BuiltManifest {
  const problems: string[] = [];
  const ratios = input.split.ratios ?? DEFAULT_RATIOS;
  try {
    validateRatios(ratios);
  } catch (e) {
    problems.push((e as Error).message);
  }
  const warnings: ManifestWarning[] = [];
  const labelled = LABELLED_PROFILES.has(input.task_profile);
  const labels = input.labels;
  if (labelled && (!labels || labels.labels.length === 0)) warnings.push({ code: 'no_label_set', detail: `a ${input.task_profile} dataset without label statistics has no label_set` });
  if (labels) {
    if (labels.only_in_holdout.length > 0) {
      warnings.push({ code: 'labels_only_in_holdout', detail: `labels in eval/gold but not in train: ${list(labels.only_in_holdout)}`, labels: labels.only_in_holdout });
    }
    if (labels.missing_from_eval.length > 0 && input.counts.eval > 0) {
      warnings.push({ code: 'labels_missing_from_eval', detail: `train labels with no eval row: ${list(labels.missing_from_eval)}`, labels: labels.missing_from_eval });
    }
    if (labels.missing_from_gold.length > 0 && input.counts.gold > 0) {
      warnings.push({ code: 'labels_missing_from_gold', detail: `train labels with no gold row: ${list(labels.missing_from_gold)}`, labels: labels.missing_from_gold });
    }
    if (labels.rare.length > 0) warnings.push({ code: 'rare_labels', detail: `train labels with few rows: ${list(labels.rare)}`, labels: labels.rare });
    for (const s of SPLITS) {
      const labelledRows = Object.values(labels.per_split[s]).reduce((a, b) => a + b, 0) + labels.unlabelled[s];
      if (labelledRows !== input.counts[s]) {
        warnings.push({ code: 'label_counts_mismatch', detail: `${s}: ${input.counts[s]} rows written but label statistics cover ${labelledRows}` });
      }
    }
  }
  for (const s of SPLITS) {
    if (ratios[s] > 0 && input.counts[s] === 0) warnings.push({ code: 'empty_split', detail: `${s} has a ratio of ${ratios[s]} but no rows` });
  }

  const candidate = {
    schema_version: 1 as const,
    project_id: input.project_id,
    dataset_id: input.dataset_id,
    created_at: input.created_at,
    task_profile: input.task_profile,
    output_schema: { fields: { ...input.output_schema.fields }, scoring_mode: input.output_schema.scoring_mode },
    ...(labelled && labels && labels.labels.length > 0 ? { label_set: [...labels.labels] } : {}),
    split: { strategy: input.split.strategy, ratios: { train: ratios.train, eval: ratios.eval, gold: ratios.gold } },
    counts: { train: input.counts.train, eval: input.counts.eval, gold: input.counts.gold, dropped: input.counts.dropped },
    artifacts: { train: input.artifacts.train, eval: input.artifacts.eval, gold: input.artifacts.gold },
    source_lineage: input.source_lineage.map((l) => ({ ...l })),
    ...(input.cleaning_report ? { cleaning_report: input.cleaning_report } : {}),
    ...(input.tokenizer ? { tokenizer: { ...input.tokenizer } } : {}),
  };
  for (const [k, v] of Object.entries(candidate.counts)) if (v < 0) problems.push(`counts.${k} must be ≥ 0`);
  if (Number.isNaN(Date.parse(input.created_at))) problems.push('created_at must be an ISO 8601 timestamp');
  const parsed = PreparedManifest.safeParse(candidate);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  if (problems.length > 0 || !parsed.success) throw new ManifestInvalidError(problems);
  const total = input.counts.train + input.counts.eval + input.counts.gold;
  return {
    manifest: parsed.data,
    warnings,
    summary: { counts: { train: input.counts.train, eval: input.counts.eval, gold: input.counts.gold, dropped: input.counts.dropped, total }, ...(labels ? { labels } : {}) },
  };
}
