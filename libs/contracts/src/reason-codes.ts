import { z } from 'zod';
import { SplitStrategy, TASK_PROFILES } from './data.js';
import { ArtifactRef, FailureInfo, RunId, type Severity, type Stage } from './primitives.js';

/**
 * The reason-code registry: the single list of every RunEvent kind in Distillery.
 * Each entry declares its stage, the severities it may carry, its payload schema and its meaning.
 * `ReasonCode` is derived from this object, so an unknown code does not compile.
 *
 * Adding a code: add an entry here, emit it somewhere in apps/ or libs/ (the taxonomy lint test checks),
 * regenerate docs/reason-codes.md (`npm run docs:reason-codes`). Never remove or rename a code without an upcaster.
 * Payload fields added later must be optional (readers of old events must keep working).
 */
export interface ReasonCodeDefinition<S extends Stage = Stage, P extends z.ZodType = z.ZodType> {
  readonly stage: S;
  readonly severities: readonly Severity[];
  readonly payload: P;
  readonly meaning: string;
}

const def = <S extends Stage, P extends z.ZodType>(d: ReasonCodeDefinition<S, P>): ReasonCodeDefinition<S, P> => d;

const Locator = z.string().min(1);
const Failure = FailureInfo;
/** A deployment slot name: it becomes part of the slot's run id `deploy-<slot>`, so it stays subject-safe. */
export const DeploymentSlot = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'slot must be 1-64 chars of lower-case letters, digits, _ or -');
/** One imported source of a dataset: its accepted rows artifact and where they came from. */
const DatasetInput = z.object({
  import_run_id: z.string().min(1),
  locator: Locator,
  mapper_id: z.string().min(1),
  rows: z.number().int().nonnegative(),
  ref: ArtifactRef,
});

/** One file of an export bundle, as its `distillery-export.json` manifest lists it. */
const ExportFile = z.object({ path: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
/** An export's smoke check: the bundle loaded in its runtime and generated for the gold prompts. */
const ExportSmoke = z.object({
  passed: z.boolean(),
  detail: z.string(),
  rows: z.number().int().nonnegative().optional(),
  /** Rows that ended on a stop token (not at the token limit), and rows whose output was empty. */
  stopped: z.number().int().nonnegative().optional(),
  empty: z.number().int().nonnegative().optional(),
});
/** An export's parity check against the trained model: identical greedy outputs, or teacher-forced agreement (quantized). */
const ExportParity = z.object({
  passed: z.boolean(),
  detail: z.string(),
  mode: z.enum(['exact', 'teacher_forced']).optional(),
  prompts: z.number().int().nonnegative().optional(),
  /** Share of teacher-forced positions whose top-1 token is the trained model's (exact mode: prompts with identical outputs). */
  token_agreement: z.number().min(0).max(1).optional(),
  /** max / mean |Δ log p| of the compared tokens. */
  max_abs_diff: z.number().nonnegative().optional(),
  mean_abs_diff: z.number().nonnegative().optional(),
  /** The tolerances applied (teacher-forced mode). */
  min_token_agreement: z.number().optional(),
  max_mean_abs_diff: z.number().optional(),
});

export const REASON_CODES = {
  // ── ingestion ──────────────────────────────────────────────────────────────────────────────────────────────
  dataset_import_requested: def({
    stage: 'ingestion',
    severities: ['info'],
    payload: z.object({
      locator: Locator,
      mapper_id: z.string().min(1),
      field_map: z.record(z.string(), z.string()),
      task_profile: z.enum(TASK_PROFILES),
      /** Rejection reasons the user chose to drop in the dry run (hidden from samples; still counted). */
      drop_reasons: z.array(z.string()).optional(),
      /** Import at most this many rows (sources are read in order). */
      limit: z.number().int().positive().optional(),
      /** How the mapping was chosen: explicitly, by introspection (auto, confidence ≥ 0.80), or forced below it. */
      selection: z.enum(['explicit', 'auto', 'forced']),
      confidence: z.number().min(0).max(1).optional(),
      saved_mapping_id: z.string().optional(),
      /** Save this mapping under a name when the import succeeds. */
      save_as: z.string().min(1).max(100).optional(),
    }),
    meaning: 'A user asked to import a dataset from a source locator with a chosen mapper and field map.',
  }),
  dataset_import_run: def({
    stage: 'ingestion',
    severities: ['info', 'warning'],
    payload: z.object({
      locator: Locator,
      resolved: z.string(),
      mapper_id: z.string(),
      task_profile: z.enum(TASK_PROFILES),
      dataset_id: z.string(),
      rows_read: z.number().int().nonnegative(),
      rows_accepted: z.number().int().nonnegative(),
      rows_rejected: z.number().int().nonnegative(),
      /** Accepted rows already in the dataset from an earlier import of the same source (not appended again). */
      rows_duplicate: z.number().int().nonnegative(),
      rejections: z.record(z.string(), z.number().int().nonnegative()),
      accepted_ref: ArtifactRef,
      rejected_ref: ArtifactRef,
      saved_mapping_id: z.string().optional(),
      warnings: z.array(z.string()).optional(),
    }),
    meaning: 'A dataset import finished: accepted rows were appended to the project dataset, rejected rows kept with reasons.',
  }),
  dataset_import_progress: def({
    stage: 'ingestion',
    severities: ['info'],
    payload: z.object({
      rows_read: z.number().int().nonnegative(),
      bytes_read: z.number().int().nonnegative(),
      bytes_total: z.number().int().nonnegative().nullable(),
    }),
    meaning: 'A running import reports how far it has read (at most every few seconds).',
  }),
  mapping_saved: def({
    stage: 'ingestion',
    severities: ['info'],
    payload: z.object({
      saved_mapping_id: z.string().min(1),
      name: z.string().min(1),
      locator: Locator,
      mapper_id: z.string().min(1),
      field_map: z.record(z.string(), z.string()),
      drop_reasons: z.array(z.string()),
    }),
    meaning: 'A mapping (locator, mapper, field map, dropped reasons) was saved under a name for re-runs.',
  }),
  dataset_import_failed: def({
    stage: 'ingestion',
    severities: ['error'],
    payload: z.object({ locator: Locator, failure: Failure }),
    meaning: 'A dataset import failed for a reason not covered by a more specific ingest code.',
  }),
  ingest_unsupported_format: def({
    stage: 'ingestion',
    severities: ['error'],
    payload: z.object({ locator: Locator, detected: z.string().optional(), failure: Failure }),
    meaning: 'The source is in a format no registered connector can read.',
  }),
  ingest_io_error: def({
    stage: 'ingestion',
    severities: ['error'],
    payload: z.object({ locator: Locator, failure: Failure }),
    meaning: 'Reading the source failed (file missing, permission denied, truncated download).',
  }),
  ingest_validation_failed: def({
    stage: 'ingestion',
    severities: ['warning', 'error'],
    payload: z.object({ locator: Locator, issues: z.array(z.string()), failure: Failure.optional() }),
    meaning: 'The source was read but its content failed validation (e.g. no usable columns).',
  }),
  ingest_source_unreachable: def({
    stage: 'ingestion',
    severities: ['error'],
    payload: z.object({ locator: Locator, host: z.string().optional(), failure: Failure }),
    meaning: 'A remote source (Hugging Face Hub, Kaggle) could not be reached or refused the credentials.',
  }),

  // ── cleaning ───────────────────────────────────────────────────────────────────────────────────────────────
  cleaning_requested: def({
    stage: 'cleaning',
    severities: ['info'],
    payload: z.object({
      dataset_id: z.string().min(1),
      task_profile: z.enum(TASK_PROFILES),
      /** The accepted-row artifacts of the project's completed imports, in import order (the dataset to clean). */
      inputs: z.array(DatasetInput).min(1),
      /** CleaningPolicy (libs/cleaning): pii, quality, outliers, dedup, text_fields. Defaults when absent. */
      policy: z.record(z.string(), z.unknown()).optional(),
    }),
    meaning: 'A user asked to clean an imported dataset (PII, quality, dedup, outliers).',
  }),
  cleaning_progress: def({
    stage: 'cleaning',
    severities: ['info'],
    payload: z.object({ phase: z.enum(['profile', 'clean']), rows_done: z.number().int().nonnegative(), rows_total: z.number().int().nonnegative() }),
    meaning: 'A running cleaning job reports how far it has got (at most every few seconds).',
  }),
  cleaning_completed: def({
    stage: 'cleaning',
    severities: ['info', 'warning'],
    payload: z.object({
      rows_in: z.number().int().nonnegative(),
      rows_out: z.number().int().nonnegative(),
      /** Removed rows per reason (pii_block, outlier:<kind>, exact_duplicate, near_duplicate); rows_in = rows_out + Σ. */
      removed: z.record(z.string(), z.number().int().nonnegative()).optional(),
      report_ref: ArtifactRef.optional(),
      /** The kept rows (TransformedRow JSONL, PII rewritten per policy): the input of prepare. */
      cleaned_ref: ArtifactRef.optional(),
      /** One CleaningLineageEntry per row in (JSONL), for row lineage. */
      lineage_ref: ArtifactRef.optional(),
      dataset_id: z.string().optional(),
      task_profile: z.enum(TASK_PROFILES).optional(),
      inputs: z.array(DatasetInput).optional(),
    }),
    meaning: 'Cleaning finished; the report lists what was removed or redacted and why.',
  }),
  cleaning_outlier_threshold_exceeded: def({
    stage: 'cleaning',
    severities: ['warning', 'error'],
    payload: z.object({ metric: z.string(), share: z.number(), threshold: z.number(), counts: z.record(z.string(), z.number().int()).optional() }),
    meaning: 'More rows were flagged as outliers than the policy allows.',
  }),
  cleaning_pii_block: def({
    stage: 'cleaning',
    severities: ['error'],
    payload: z.object({
      kinds: z.array(z.string()),
      rows_affected: z.number().int().nonnegative(),
      /** Up to 20 affected row ids (never the PII itself): `distillery rows explain` shows where. */
      example_row_ids: z.array(z.string()).optional(),
      report_ref: ArtifactRef.optional(),
      /** One CleaningLineageEntry per row in: which rows hold the blocked PII (kinds and offsets only). */
      lineage_ref: ArtifactRef.optional(),
    }),
    meaning: 'PII was found and the policy blocks instead of redacting: nothing is written until the policy or the data changes.',
  }),
  cleaning_failed: def({
    stage: 'cleaning',
    severities: ['error'],
    payload: z.object({ failure: Failure }),
    meaning: 'Cleaning failed unexpectedly.',
  }),

  // ── preparation ────────────────────────────────────────────────────────────────────────────────────────────
  dataset_prep_requested: def({
    stage: 'preparation',
    severities: ['info'],
    payload: z.object({
      dataset_id: z.string().min(1),
      task_profile: z.enum(TASK_PROFILES),
      /** The cleaned rows (cleaning_completed.cleaned_ref) and where they came from. */
      dataset_ref: ArtifactRef,
      cleaning_run_id: z.string().min(1),
      cleaning_report_ref: ArtifactRef.optional(),
      rows_dropped: z.number().int().nonnegative(),
      inputs: z.array(DatasetInput),
      split: z.object({ strategy: SplitStrategy, ratios: z.object({ train: z.number(), eval: z.number(), gold: z.number() }).optional() }),
      /** Leakage check between train and eval/gold: largest share of leaking held-out rows before prepare fails. */
      leakage: z.object({ max_share: z.number().min(0).max(1).optional(), near_threshold: z.number().min(0).max(1).optional() }).optional(),
    }),
    meaning: 'A user asked to prepare a cleaned dataset (splits, gold set, manifest, tokenized shards).',
  }),
  dataset_prep_progress: def({
    stage: 'preparation',
    severities: ['info'],
    payload: z.object({ phase: z.enum(['split', 'leakage', 'write']), rows_done: z.number().int().nonnegative(), rows_total: z.number().int().nonnegative() }),
    meaning: 'A running prepare job reports how far it has got (at most every few seconds).',
  }),
  dataset_prepared: def({
    stage: 'preparation',
    severities: ['info', 'warning'],
    payload: z.object({
      manifest_ref: ArtifactRef,
      counts: z.record(z.string(), z.number().int()),
      artifacts: z.object({ train: ArtifactRef, eval: ArtifactRef, gold: ArtifactRef }).optional(),
      label_set: z.array(z.string()).optional(),
      /** Rows per label in each split (labelled profiles). */
      label_counts: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())).optional(),
      /** ManifestWarning codes and details (labels only in holdout, empty split…). */
      warnings: z.array(z.object({ code: z.string(), detail: z.string() })).optional(),
      leakage: z.object({ overlapping_rows: z.number().int().nonnegative(), share: z.number() }).optional(),
    }),
    meaning: 'A prepared dataset and its manifest are ready for training.',
  }),
  dataset_prep_failed: def({
    stage: 'preparation',
    severities: ['error'],
    payload: z.object({ failure: Failure }),
    meaning: 'Preparation failed.',
  }),
  dataset_leakage_detected: def({
    stage: 'preparation',
    severities: ['warning', 'error'],
    payload: z.object({
      overlapping_rows: z.number().int().nonnegative(),
      between: z.array(z.string()),
      share: z.number().optional(),
      max_share: z.number().optional(),
      /** Example pairs: a train row and the eval/gold row that repeats it. */
      examples: z.array(z.object({ train_row_id: z.string(), other_row_id: z.string(), split: z.string(), similarity: z.number(), kind: z.enum(['exact', 'near']) })).optional(),
    }),
    meaning: 'The same or near-identical rows appear in more than one split; above the threshold the prepare fails.',
  }),

  // ── training ───────────────────────────────────────────────────────────────────────────────────────────────
  training_requested: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({
      /** The prepared dataset: dataset_prepared.manifest_ref of the prepare task named here. */
      manifest_ref: ArtifactRef.optional(),
      prepare_task_id: z.string().optional(),
      /** A recipe document (libs/recipes); absent with autopilot. */
      recipe: z.record(z.string(), z.unknown()).optional(),
      autopilot: z.boolean().optional(),
      /** Base model locator (file:<dir> | hf:<id>[@rev]); autopilot and recipes may name it instead. */
      base_model: z.string().optional(),
      /** strict: preflight blockers stop the run; fail_open: they become warnings and the run proceeds. */
      preflight_mode: z.enum(['strict', 'fail_open']).optional(),
    }),
    meaning: 'A user asked to train a model on a prepared dataset.',
  }),
  preflight_passed: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({ plan_ref: ArtifactRef.optional(), checks: z.array(z.string()) }),
    meaning: 'Every preflight check passed; a train plan was generated.',
  }),
  preflight_warning: def({
    stage: 'training',
    severities: ['warning'],
    payload: z.object({ warnings: z.array(z.string()), plan_ref: ArtifactRef.optional() }),
    meaning: 'Preflight found problems but fail-open mode let the run proceed.',
  }),
  training_dispatch_error: def({
    stage: 'training',
    severities: ['error'],
    payload: z.object({ blockers: z.array(z.string()), failure: Failure.optional() }),
    meaning: 'The run could not be dispatched to a trainer (preflight blockers in strict mode, no capable engine).',
  }),
  training_dispatched: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({
      plan_ref: ArtifactRef,
      engine: z.string(),
      total_steps: z.number().int().positive(),
      method: z.string(),
      /** The plan's tokenized shards (row lineage records each row's tokenization from them). */
      shards: z.object({ train: z.array(ArtifactRef), eval: z.array(ArtifactRef) }).optional(),
      max_seq_len: z.number().int().positive().optional(),
    }),
    meaning: 'A train plan passed preflight and is queued for the trainers (the work queue the trainer pool pulls from).',
  }),
  training_started: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({
      engine: z.string(),
      total_steps: z.number().int().positive().optional(),
      /** Set when the run resumes after a trainer died: the step of the checkpoint it resumes from. */
      resumed_from_step: z.number().int().nonnegative().optional(),
      worker: z.string().optional(),
    }),
    meaning: 'A trainer picked up the plan and started (or resumed from a checkpoint).',
  }),
  training_progress: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({
      step: z.number().int().nonnegative(),
      total_steps: z.number().int().positive().optional(),
      loss: z.number().optional(),
      lr: z.number().optional(),
      tokens_per_s: z.number().optional(),
      eval_loss: z.number().optional(),
      epoch: z.number().optional(),
    }),
    meaning: 'Periodic training progress (step, loss, learning rate, throughput, eval loss at eval_every).',
  }),
  training_checkpoint_saved: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({ step: z.number().int().nonnegative(), checkpoint_ref: ArtifactRef }),
    meaning: 'A checkpoint was written to the artifact store.',
  }),
  training_completed: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({
      model_ref: ArtifactRef,
      final_loss: z.number().optional(),
      experiment_id: z.string().optional(),
      engine: z.string().optional(),
      method: z.string().optional(),
      final_eval_loss: z.number().optional(),
      /** The per-step trace (step, loss, lr, tokens/s, eval loss) as JSONL. */
      trace_ref: ArtifactRef.optional(),
      steps: z.number().int().nonnegative().optional(),
    }),
    meaning: 'Training finished and the final weights or adapter are stored.',
  }),
  training_oom: def({
    stage: 'training',
    severities: ['error', 'critical'],
    payload: z.object({ step: z.number().int().nonnegative().optional(), failure: Failure }),
    meaning: 'The trainer ran out of memory.',
  }),
  training_runtime_error: def({
    stage: 'training',
    severities: ['error', 'critical'],
    payload: z.object({ step: z.number().int().nonnegative().optional(), failure: Failure }),
    meaning: 'The trainer failed with an unexpected runtime error.',
  }),
  training_timeout: def({
    stage: 'training',
    severities: ['error'],
    payload: z.object({ max_duration_s: z.number().positive(), failure: Failure.optional() }),
    meaning: 'The run exceeded its max_duration.',
  }),
  training_cancel_requested: def({
    stage: 'training',
    severities: ['info'],
    payload: z.object({ reason: z.string().optional() }),
    meaning: 'A user asked to cancel a running training run.',
  }),
  training_cancelled: def({
    stage: 'training',
    severities: ['warning'],
    payload: z.object({ step: z.number().int().nonnegative().optional() }),
    meaning: 'The training run stopped after a cancel request.',
  }),

  // ── eval ───────────────────────────────────────────────────────────────────────────────────────────────────
  eval_requested: def({
    stage: 'eval',
    severities: ['info'],
    payload: z.object({
      /** The training run whose result is evaluated (its model, base model and prepared dataset are looked up). */
      training_run_id: RunId.optional(),
      /** Or name them directly. */
      model_ref: ArtifactRef.optional(),
      base_model: z.string().optional(),
      manifest_ref: ArtifactRef.optional(),
      /** An eval pack as YAML / JSON text (default: the task profile's default pack). */
      pack: z.string().optional(),
      split: z.enum(['gold', 'eval']).optional(),
      max_rows: z.number().int().positive().optional(),
      compare_base: z.boolean().optional(),
      /** Also run the built-in safety suite (when the pack does not already), with its defaults. */
      safety_suite: z.boolean().optional(),
      /**
       * The deployment slot whose live version is the champion: the same rows go through it and the paired lifts
       * feed `relative_to: champion` gates. Optional (added with champion comparison); absent: the `default` slot,
       * when the project has a live version there.
       */
      slot: DeploymentSlot.optional(),
    }),
    meaning: 'A user or the lifecycle asked to evaluate a trained model.',
  }),
  eval_completed: def({
    stage: 'eval',
    severities: ['info', 'warning'],
    payload: z.object({
      /** Headline metrics, `lift.<metric>` (vs the base model), `base.<metric>`, and `lift_champion.<metric>` (vs the slot's live version). */
      metrics: z.record(z.string(), z.number()),
      promotable: z.boolean().optional(),
      report_ref: ArtifactRef.optional(),
      predictions_ref: ArtifactRef.optional(),
      training_run_id: RunId.optional(),
      task_profile: z.string().optional(),
      rows: z.number().int().nonnegative().optional(),
      /** The required gates that failed, each with its value and why. */
      blocking: z.array(z.string()).optional(),
      warnings: z.array(z.string()).optional(),
    }),
    meaning: 'Evaluation finished; metrics, the lift over the base model and the promotability verdict are attached.',
  }),
  eval_progress: def({
    stage: 'eval',
    severities: ['info'],
    payload: z.object({ phase: z.enum(['candidate', 'base']), done: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
    meaning: 'Rows evaluated so far, for the fine-tuned model and then the base model.',
  }),
  eval_runtime_error: def({
    stage: 'eval',
    severities: ['error'],
    payload: z.object({ failure: Failure }),
    meaning: 'Evaluation failed unexpectedly.',
  }),
  eval_judge_unavailable: def({
    stage: 'eval',
    severities: ['warning', 'error'],
    payload: z.object({ endpoint: z.string(), failure: Failure }),
    meaning: 'The LLM-judge endpoint could not be reached; the judged metric was not computed.',
  }),
  eval_dataset_missing: def({
    stage: 'eval',
    severities: ['error'],
    payload: z.object({ missing: z.array(z.string()) }),
    meaning: 'The eval or gold split named by the manifest is not available.',
  }),

  // ── export ─────────────────────────────────────────────────────────────────────────────────────────────────
  export_requested: def({
    stage: 'export',
    severities: ['info'],
    payload: z.object({
      /** hf | peft | onnx | gguf. */
      format: z.string(),
      /** gguf only: f32 | f16 | q8_0 | q4_0 | q4_k_m (default f16). */
      quantization: z.string().optional(),
      // The fields below arrived with apps/export; optional because a request names either the training run or the
      // model bundle and base model directly (all stay optional).
      /** The training run whose result is exported (its model bundle, base model and prepared dataset are looked up). */
      training_run_id: RunId.optional(),
      /** Or name them directly: the `peft-adapter` / `hf-model` bundle and the base model locator. */
      model_ref: ArtifactRef.optional(),
      base_model: z.string().optional(),
      /** The prepared manifest whose gold split gives the smoke / parity prompts (default: the training run's). */
      manifest_ref: ArtifactRef.optional(),
      /** Gold prompts used by the smoke and parity checks (default: the service's setting). */
      check_rows: z.number().int().positive().optional(),
    }),
    meaning: 'A user asked to export a trained model.',
  }),
  export_completed: def({
    stage: 'export',
    severities: ['info'],
    payload: z.object({
      format: z.string(),
      bundle_ref: ArtifactRef,
      // Optional: added with apps/export (the first emitter); every export it publishes carries them.
      /** The weights' type: f32 for hf / peft / onnx, the GGUF file type for gguf. */
      quantization: z.string().optional(),
      /** Every file of the bundle (its manifest included). */
      size_bytes: z.number().int().nonnegative().optional(),
      /** The manifest's file list (sha256 and size of every file but the manifest itself). */
      files: z.array(ExportFile).optional(),
      smoke: ExportSmoke.optional(),
      parity: ExportParity.optional(),
      training_run_id: RunId.optional(),
    }),
    meaning: 'An export bundle was written and passed its smoke and parity checks.',
  }),
  export_run_failed: def({
    stage: 'export',
    severities: ['error'],
    payload: z.object({
      format: z.string(),
      failure: Failure,
      /** Optional: set when the export was written but failed its smoke check (it never stops, empty output, does not load). */
      smoke: ExportSmoke.optional(),
      bundle_ref: ArtifactRef.optional(),
    }),
    meaning: 'The export failed unexpectedly.',
  }),
  export_artifact_missing: def({
    stage: 'export',
    severities: ['error'],
    payload: z.object({
      missing: z.string(),
      /** Optional: added with apps/export. */
      format: z.string().optional(),
    }),
    meaning: 'The checkpoint or adapter to export is not in the artifact store.',
  }),
  export_quantization_failed: def({
    stage: 'export',
    severities: ['error'],
    payload: z.object({
      quantization: z.string(),
      failure: Failure,
      /** Optional: added with apps/export. */
      format: z.string().optional(),
    }),
    meaning: 'Quantizing the weights failed.',
  }),
  export_parity_failed: def({
    stage: 'export',
    severities: ['error'],
    payload: z.object({
      max_abs_diff: z.number().optional(),
      token_agreement: z.number().optional(),
      failure: Failure.optional(),
      // Optional: added with apps/export, which fills them all.
      format: z.string().optional(),
      quantization: z.string().optional(),
      /** The bundle that failed (kept for inspection; not to be deployed). */
      bundle_ref: ArtifactRef.optional(),
      parity: ExportParity.optional(),
      /** The first gold prompt whose output differs: its index among the checked prompts, row id and text. */
      prompt_index: z.number().int().nonnegative().optional(),
      row_id: z.string().optional(),
      prompt: z.string().optional(),
      /** The trained model's output and the export's, for that prompt. */
      expected: z.string().optional(),
      actual: z.string().optional(),
    }),
    meaning: 'The export does not reproduce the trained model within tolerance.',
  }),

  // ── deployment ─────────────────────────────────────────────────────────────────────────────────────────────
  deployment_requested: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({
      /** `runner` (the built-in OpenAI-compatible runner), or an external OpenAI-compatible target: vllm | llama-cpp | ollama. */
      target: z.string(),
      /** The export whose bundle is deployed (its `export_completed` gives the bundle and the parity result). */
      export_run_id: RunId.optional(),
      // The fields below arrived with apps/deployment; optional because a request names the training run, an
      // export run or a bundle (any one), and the rest have defaults.
      /** The slot (default `default`); its events live on the run `deploy-<slot>`. */
      slot: DeploymentSlot.optional(),
      /** The training run whose output is deployed (its `training_completed.model_ref`, its latest evaluation). */
      training_run_id: RunId.optional(),
      /** Or a bundle directly: a training output (`peft-adapter` / `hf-model`) or an export bundle. */
      bundle_ref: ArtifactRef.optional(),
      /** The evaluation whose verdict gates promotion (default: the training run's latest `eval_completed`). */
      eval_run_id: RunId.optional(),
      /** External targets: the OpenAI-compatible base URL the smoke and drift checks call. */
      endpoint: z.url({ protocol: /^https?$/ }).optional(),
    }),
    meaning: 'A user asked to deploy a trained model or an export bundle to a slot of a target.',
  }),
  deployment_promote_requested: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({ slot: DeploymentSlot, version: z.number().int().positive() }),
    meaning: 'A user asked to promote a version of a slot to live (refused with deployment_promote_blocked when a check failed).',
  }),
  deployment_rollback_requested: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({ slot: DeploymentSlot, reason: z.string().max(500).optional() }),
    meaning: 'A user asked to roll the live version of a slot back to its predecessor.',
  }),
  deployment_reject_requested: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({ slot: DeploymentSlot, version: z.number().int().positive(), reason: z.string().min(1).max(500) }),
    meaning: 'A user asked to reject a pending version of a slot.',
  }),
  deployment_drift_check_requested: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({ slot: DeploymentSlot }),
    meaning: 'A user or the schedule asked for a drift check of the live version of a slot.',
  }),
  deployment_request_invalid: def({
    stage: 'deployment',
    severities: ['warning'],
    payload: z.object({
      /** The request that could not apply (its reason code), and why. */
      request: z.string(),
      slot: DeploymentSlot,
      version: z.number().int().positive().optional(),
      message: z.string(),
    }),
    meaning: 'A deployment request could not apply to the slot (unknown version, wrong status, nothing to deploy, no live version).',
  }),
  deployment_created: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({
      target: z.string(),
      version: z.number().int().positive(),
      endpoint: z.string().optional(),
      /** The slot the version belongs to (default `default`); versions are numbered per slot. */
      slot: z.string().optional(),
      /** What the version serves: an export bundle, from a training run. */
      bundle_ref: ArtifactRef.optional(),
      training_run_id: RunId.optional(),
      /** The checks promotion needs, as they stood when the version was created. */
      eval: z.object({ run_id: RunId, promotable: z.boolean(), blocking: z.array(z.string()) }).optional(),
      smoke: z.object({ passed: z.boolean(), detail: z.string() }).optional(),
      parity: z.object({ passed: z.boolean(), detail: z.string() }).optional(),
    }),
    meaning: 'A DeploymentVersion was created (pending): what it serves and its eval, smoke and parity results.',
  }),
  deployment_promoted: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({ version: z.number().int().positive(), slot: z.string().optional(), superseded: z.number().int().positive().optional() }),
    meaning: 'A DeploymentVersion became the live champion (superseding the previous one).',
  }),
  deployment_rejected: def({
    stage: 'deployment',
    severities: ['warning'],
    payload: z.object({ version: z.number().int().positive(), reason: z.string(), slot: z.string().optional() }),
    meaning: 'A DeploymentVersion was rejected by a user.',
  }),
  deployment_rolled_back: def({
    stage: 'deployment',
    severities: ['warning'],
    payload: z.object({ from_version: z.number().int().positive(), to_version: z.number().int().positive(), slot: z.string().optional() }),
    meaning: 'The live version was rolled back to its predecessor.',
  }),
  deployment_smoke_failed: def({
    stage: 'deployment',
    severities: ['error'],
    payload: z.object({
      version: z.number().int().positive().optional(),
      failure: Failure,
      /** Optional: added with apps/deployment. */
      slot: z.string().optional(),
    }),
    meaning: 'The deployed endpoint failed its smoke check.',
  }),
  deployment_promote_blocked: def({
    stage: 'deployment',
    severities: ['error'],
    payload: z.object({ version: z.number().int().positive().optional(), failed_gates: z.array(z.string()), slot: z.string().optional() }),
    meaning: 'Promotion was refused because the run is not promotable.',
  }),
  deployment_rollback_no_predecessor: def({
    stage: 'deployment',
    severities: ['error'],
    payload: z.object({ version: z.number().int().positive().optional(), slot: z.string().optional() }),
    meaning: 'A rollback was asked for but there is no earlier version.',
  }),
  deployment_drift_checked: def({
    stage: 'deployment',
    severities: ['info'],
    payload: z.object({
      metrics: z.record(z.string(), z.number()),
      // Optional: added with apps/deployment, which fills them all.
      slot: z.string().optional(),
      version: z.number().int().positive().optional(),
      /** The signals found drifted (`metric:<name>`, `input:length|vocabulary|labels`); empty when none. */
      drifted: z.array(z.string()).optional(),
      /** One line per signal: what was compared, or why it was skipped. */
      details: z.array(z.string()).optional(),
    }),
    meaning: 'A drift check ran (on request or on the schedule); its measurements, drifted or not.',
  }),
  deployment_drift_detected: def({
    stage: 'deployment',
    severities: ['warning', 'error'],
    payload: z.object({
      metrics: z.record(z.string(), z.number()),
      drifted: z.array(z.string()),
      // Optional: added with apps/deployment, which fills them all.
      slot: z.string().optional(),
      version: z.number().int().positive().optional(),
      details: z.array(z.string()).optional(),
    }),
    meaning: 'A drift check found a metric drop beyond its confidence bound or input drift.',
  }),

  // ── system ─────────────────────────────────────────────────────────────────────────────────────────────────
  event_schema_invalid: def({
    stage: 'system',
    severities: ['error'],
    payload: z.object({
      stream: z.string(),
      subject: z.string(),
      stream_seq: z.number().int().positive(),
      consumer: z.string(),
      errors: z.array(z.string()).min(1),
      raw_bytes: z.number().int().nonnegative(),
      raw_sha256: z.string(),
      raw_excerpt: z.string(),
    }),
    meaning: 'Dead letter: a message on the event stream was not JSON, had an unknown reason code or failed its schema.',
  }),
  event_handler_failed: def({
    stage: 'system',
    severities: ['error'],
    payload: z.object({
      stream: z.string(),
      subject: z.string(),
      stream_seq: z.number().int().positive(),
      consumer: z.string(),
      event_id: z.string(),
      deliveries: z.number().int().positive(),
      permanent: z.boolean(),
      failure: Failure,
    }),
    meaning: 'Dead letter: a handler failed permanently or on its last delivery attempt; the message was terminated.',
  }),
  system_config_invalid: def({
    stage: 'system',
    severities: ['critical'],
    payload: z.object({ app: z.string(), issues: z.array(z.string()).min(1) }),
    meaning: 'An app refused to start because its configuration is invalid.',
  }),
  extension_load_failed: def({
    stage: 'system',
    severities: ['error'],
    payload: z.object({ extension: z.string(), failure: Failure }),
    meaning: 'A plugin (source, mapper, engine) failed to load and was skipped.',
  }),
  extension_contract_invalid: def({
    stage: 'system',
    severities: ['error'],
    payload: z.object({ extension: z.string(), issues: z.array(z.string()) }),
    meaning: 'A plugin loaded but does not satisfy its contract and was skipped.',
  }),
  projection_rebuilt: def({
    stage: 'system',
    severities: ['info'],
    payload: z.object({
      projection: z.string(),
      from_version: z.number().int().nonnegative(),
      to_version: z.number().int().positive(),
      events: z.number().int().nonnegative(),
      duration_ms: z.number().nonnegative(),
    }),
    meaning: 'A projection was rebuilt by replaying the log into a new version and switched over.',
  }),
  api_key_created: def({
    stage: 'system',
    severities: ['info'],
    payload: z.object({
      key_id: z.string().regex(/^[0-9a-f]{12}$/),
      /** Who the key is for: its requests are attributed to `user:<name>`. */
      name: z.string().min(1).max(64),
      /** Roles per project (`*`: every project). The key itself is never in an event. */
      roles: z.record(z.string(), z.enum(['viewer', 'engineer', 'admin'])),
    }),
    meaning: 'An admin created an API key (shown once to them; only its hash is stored).',
  }),
  api_key_revoked: def({
    stage: 'system',
    severities: ['info'],
    payload: z.object({ key_id: z.string().regex(/^[0-9a-f]{12}$/), name: z.string().min(1).max(64) }),
    meaning: 'An admin revoked an API key; requests with it are refused from now on.',
  }),
  support_bundle_created: def({
    stage: 'system',
    severities: ['info'],
    payload: z.object({
      bundle_id: z.string().min(1),
      /** What the bundle covers: a project, or one run of it and its descendants. */
      scope: z.object({ project_id: z.string().min(1), run_id: RunId.optional() }),
      /** The redacted ZIP in the artifact store. */
      artifact: ArtifactRef,
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      bytes: z.number().int().nonnegative(),
      expires_at: z.iso.datetime({ offset: true }),
      /** Items per section (runs, events, failure clusters, deployments, exports). */
      sections: z.record(z.string(), z.number().int().nonnegative()),
      /** Secrets the bundle's own redaction replaced, in all. */
      redactions: z.number().int().nonnegative(),
    }),
    meaning: 'A redacted support bundle (events, runs, recipes, manifests, failures) was built; it downloads with a one-time token until it expires.',
  }),

  // ── demo ───────────────────────────────────────────────────────────────────────────────────────────────────
  demo_run_requested: def({
    stage: 'demo',
    severities: ['info'],
    payload: z.object({
      steps: z.number().int().min(1).max(1000),
      children: z.number().int().min(0).max(20),
      fail_child: z.boolean().optional(),
    }),
    meaning: 'A user asked for a demo run: a synthetic run with steps and child runs that exercises the spine.',
  }),
  demo_run_started: def({
    stage: 'demo',
    severities: ['info'],
    payload: z.object({ steps: z.number().int().positive() }),
    meaning: 'The demo worker started a demo run (or one of its child runs).',
  }),
  demo_run_progress: def({
    stage: 'demo',
    severities: ['info'],
    payload: z.object({ step: z.number().int().positive(), total: z.number().int().positive() }),
    meaning: 'A demo run advanced by one step.',
  }),
  demo_run_completed: def({
    stage: 'demo',
    severities: ['info'],
    payload: z.object({ steps: z.number().int().nonnegative(), child_runs: z.array(RunId) }),
    meaning: 'A demo run (or child run) finished.',
  }),
  demo_run_failed: def({
    stage: 'demo',
    severities: ['error'],
    payload: z.object({ failure: Failure }),
    meaning: 'A demo child run failed on purpose (fail_child), to show failures in the timeline.',
  }),
} as const satisfies Record<string, ReasonCodeDefinition>;

export type ReasonCodeRegistry = typeof REASON_CODES;
export type ReasonCode = keyof ReasonCodeRegistry;
export type StageOf<C extends ReasonCode> = ReasonCodeRegistry[C]['stage'];
export type PayloadOf<C extends ReasonCode> = z.infer<ReasonCodeRegistry[C]['payload']>;

export const REASON_CODE_LIST = Object.keys(REASON_CODES) as ReasonCode[];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASON_CODES, value);
}

export function reasonCodesOfStage(stage: Stage): ReasonCode[] {
  return REASON_CODE_LIST.filter((c) => REASON_CODES[c].stage === stage);
}
