import { REASON_CODES, REASON_CODE_LIST, type ReasonCode } from './reason-codes.js';

/**
 * The known-fix registry: for every reason code that can carry severity error or critical, what usually causes it
 * and what to try, most likely fix first. The failure-cluster views attach it to each cluster as its hint.
 *
 * Adding an error/critical reason code: add its entry here too — `test/known-fixes.unit.spec.ts` fails for a failure
 * code without a hint. Hints name the real knobs (recipe fields, CLI flags, env variables) so a user can act on them.
 */
export interface KnownFix {
  /** What usually causes it, in one sentence. */
  readonly cause: string;
  /** What to try, most likely to help first. */
  readonly try: readonly string[];
}

export const KNOWN_FIXES: Readonly<Partial<Record<ReasonCode, KnownFix>>> = {
  // ── ingestion ──────────────────────────────────────────────────────────────────────────────────────────────
  dataset_import_failed: {
    cause: 'The import failed for a reason no specific ingest code covers (often a bug in a mapper or an unexpected record shape).',
    try: [
      'Read failure.message in the event payload, then re-run `distillery import dry-run` with the same locator to see the first bad records',
      'Try another mapper or an explicit field map (`--mapper`, `--map ROLE=COLUMN`)',
      'Import a smaller slice with `--limit` to isolate the record that breaks it',
    ],
  },
  ingest_unsupported_format: {
    cause: 'No connector reads the source: an unknown extension, a mixed-format split, or a corrupt file header.',
    try: [
      'Name the format in the locator prefix (jsonl:, csv:, tsv:, parquet:, json:, text:, conll:)',
      'Convert the file to JSON Lines or CSV',
      'Check the file is not truncated or compressed under a misleading name (parquet footer errors mean a partial file)',
    ],
  },
  ingest_io_error: {
    cause: 'The source could not be read: the file is missing, outside DISTILLERY_DATA_ROOTS, unreadable, or a download was truncated.',
    try: [
      'Check the path exists and is readable by the service user',
      'Add its directory to DISTILLERY_DATA_ROOTS',
      'For remote sources: delete the partial download from the cache and retry',
    ],
  },
  ingest_validation_failed: {
    cause: 'The source was read but its content is unusable for the task profile (no usable columns, empty fields, wrong types).',
    try: [
      'Run `distillery import introspect` to see the columns and the ranked mapping hypotheses',
      'Fix the field map (`--map ROLE=COLUMN` or `--map-json`)',
      'Pick the mapper that matches the task profile (`distillery import mappers`)',
    ],
  },
  ingest_source_unreachable: {
    cause: 'A remote source (Hugging Face Hub, Kaggle) did not answer, refused the credentials, or has no such dataset.',
    try: [
      'Check the network and HF_ENDPOINT / KAGGLE_API_URL',
      'Set HF_TOKEN, or KAGGLE_USERNAME and KAGGLE_KEY (or KAGGLE_CONFIG_DIR) for gated or private datasets',
      'Check the dataset id, split and revision in the locator',
      'Retry later when the host reports an outage',
    ],
  },

  // ── cleaning ───────────────────────────────────────────────────────────────────────────────────────────────
  cleaning_outlier_threshold_exceeded: {
    cause: 'More rows were flagged as outliers than policy.outliers.max_share allows: often a mapping or encoding problem upstream.',
    try: [
      'Look at the flagged rows in the cleaning report (the counts say which detector fired)',
      'Fix the source encoding or the field map when the encoding or length detector dominates',
      'Raise policy.outliers.max_share or loosen the detector thresholds (`--policy-json`)',
      'Use `--outliers flag` to keep the rows and only mark them',
    ],
  },
  cleaning_pii_block: {
    cause: 'The cleaning policy blocks on PII instead of redacting it, and PII was found.',
    try: [
      'Choose another PII action: `distillery clean --pii redact` (or mask)',
      'Exempt kinds you may keep with policy.pii.per_kind (e.g. {"email": "keep"})',
      'Remove the affected rows at the source: `distillery rows explain <row_id>` shows where they came from',
    ],
  },
  cleaning_failed: {
    cause: 'Cleaning failed unexpectedly: an invalid policy, an unreadable input artifact, or a bug.',
    try: [
      'Read failure.message; a policy error names the bad field',
      'Check the input artifacts of the imports still exist in the artifact store',
      'Re-run with the default policy to see whether the policy is the cause',
    ],
  },

  // ── preparation ────────────────────────────────────────────────────────────────────────────────────────────
  dataset_prep_failed: {
    cause: 'Preparation failed: invalid split ratios or field, an empty split, or the cleaned rows are missing.',
    try: [
      'Check `--ratios` sums to 1 and `--field` exists in every record',
      'Re-run `distillery clean` when the cleaned artifact is gone',
      'Use `--strategy random` when stratifying on a field with too many rare values',
    ],
  },
  dataset_leakage_detected: {
    cause: 'The same or near-identical rows are in train and in eval/gold, above leakage.max_share.',
    try: [
      'Turn on near dedup in cleaning (the default; do not pass `--no-near-dedup`) and re-clean',
      'Split by a group field so related rows stay together: `distillery prepare --strategy group_disjoint --field <field>`',
      'Raise `--leakage-max-share` only when the overlap is expected (templated prompts)',
    ],
  },

  // ── training ───────────────────────────────────────────────────────────────────────────────────────────────
  training_dispatch_error: {
    cause: 'Preflight blocked the run in strict mode, or no engine can run the plan (bad recipe, missing base model, dataset not prepared).',
    try: [
      'Read the blockers in the payload: each names the check and the field',
      'Fix the recipe field or let autopilot choose (`distillery train --autopilot`)',
      'Check the base model locator (`--base-model file:<dir>` or hf:<id>) and that the project is prepared',
      'Use `--fail-open` to run anyway when a blocker is only a warning for you',
    ],
  },
  training_oom: {
    cause: 'The trainer ran out of memory: activations grow with batch.per_device × max_seq_len, and a full fine-tune keeps optimizer state for every weight.',
    try: [
      'Lower batch.per_device and raise batch.grad_accum to keep the effective batch',
      'Train LoRA adapters instead of a full fine-tune (method: lora)',
      'Shorten max_seq_len (check how many rows truncate with `distillery rows explain`)',
      'Use a lower precision (bf16) or a smaller base model',
    ],
  },
  training_runtime_error: {
    cause: 'The trainer failed unexpectedly: NaN/inf loss from a too-high learning rate, a corrupt shard or checkpoint, or an engine bug.',
    try: [
      'Read failure.message and the log_ref: the step it failed at tells data from setup problems',
      'Lower optim.learning_rate or set optim.max_grad_norm (e.g. 1.0) when the loss diverged',
      'Re-run `distillery prepare` when a shard is unreadable',
      'Resume from the last checkpoint, or retry with another seed to rule out a transient fault',
    ],
  },
  training_timeout: {
    cause: 'The run exceeded max_duration: too many steps for the hardware, or throughput far below the estimate.',
    try: [
      'Raise max_duration in the recipe (or set it to null)',
      'Train fewer epochs or on fewer rows',
      'Shorten max_seq_len or use LoRA to raise tokens/s',
      'Resume from the last checkpoint (it is kept)',
    ],
  },

  // ── eval ───────────────────────────────────────────────────────────────────────────────────────────────────
  eval_runtime_error: {
    cause: 'Evaluation failed unexpectedly: the model could not be loaded, a metric failed on malformed output, or a bug.',
    try: [
      'Read failure.message; check the model_ref still exists in the artifact store',
      'Run the eval pack on a few rows to find the row or metric that breaks',
      'Check the eval pack matches the task profile',
    ],
  },
  eval_judge_unavailable: {
    cause: 'The LLM-judge endpoint did not answer or refused the request, so the judged metric was not computed.',
    try: [
      'Check the judge endpoint URL, its credentials and rate limits',
      'Retry the evaluation once the endpoint is up',
      'Drop the judged metric from the eval pack when no judge is available',
    ],
  },
  eval_dataset_missing: {
    cause: 'The eval or gold split named by the manifest is not available (pruned artifact store, or a prepare without that split).',
    try: [
      'Re-run `distillery prepare` to write the splits again',
      'Check the ratios give the eval and gold splits rows',
      'Restore the artifact store when it was pruned',
    ],
  },

  // ── export ─────────────────────────────────────────────────────────────────────────────────────────────────
  export_run_failed: {
    cause: 'The export failed unexpectedly: an unsupported architecture or format, no disk space, or a bug.',
    try: [
      'Read failure.message; check the format supports the base model architecture',
      'Check free disk space where bundles are written',
      'Export without quantization first to separate conversion from quantization problems',
    ],
  },
  export_artifact_missing: {
    cause: 'The checkpoint or adapter to export is not in the artifact store (pruned, or the training run did not complete).',
    try: [
      'Export a completed training run (check its timeline ends with training_completed)',
      'Restore the artifact store, or re-train to write the weights again',
    ],
  },
  export_quantization_failed: {
    cause: 'Quantizing the weights failed: an unsupported quantization type for the architecture, or tensor shapes it cannot handle.',
    try: [
      'Pick another quantization type (e.g. q8_0 before q4)',
      'Export unquantized (f16) and check that works',
      'Merge the LoRA adapter into the base weights before quantizing',
    ],
  },
  export_parity_failed: {
    cause: 'The exported model does not reproduce the trained model within tolerance: usually quantization loss, a tokenizer mismatch or a conversion bug.',
    try: [
      'Use a milder quantization (q8_0 or f16) and compare max_abs_diff and token agreement',
      'Check the exported tokenizer and chat template match the trained one',
      'Compare the unquantized export first to locate the loss',
    ],
  },

  // ── deployment ─────────────────────────────────────────────────────────────────────────────────────────────
  deployment_smoke_failed: {
    cause: 'The deployed endpoint failed its smoke check: it did not start, timed out, or answered wrongly.',
    try: [
      'Check the target logs: the server may lack memory for the model or fail to load the bundle',
      'Raise the smoke check timeout for a cold start',
      'Run the bundle locally with the same runtime to reproduce',
    ],
  },
  deployment_promote_blocked: {
    cause: 'Promotion was refused because a gate failed: the eval verdict is not promotable, or smoke or parity checks failed.',
    try: [
      'Read failed_gates: each names the gate and its value',
      'Improve the model (data, recipe) and evaluate again',
      'Revise the eval pack thresholds only when they are wrong, not to let a worse model through',
    ],
  },
  deployment_rollback_no_predecessor: {
    cause: 'A rollback was asked for, but the slot has no earlier version to return to.',
    try: [
      'Deploy a known-good export as a new version and promote it',
      'Check the slot name: versions are numbered per slot',
    ],
  },
  deployment_drift_detected: {
    cause: 'Live traffic differs from the eval data (input drift) or a metric fell beyond its confidence bound.',
    try: [
      'Compare recent inputs with the eval rows (length PSI, unseen-word rate name the drifted signal)',
      'Import recent traffic as new data, then clean, prepare and re-train',
      'Roll back to the previous version when the metric drop hurts',
    ],
  },

  // ── system ─────────────────────────────────────────────────────────────────────────────────────────────────
  event_schema_invalid: {
    cause: 'A message on the event stream is not a valid RunEvent: a producer on another version, a hand-published message, or a payload schema change without an upcaster.',
    try: [
      'Find the producer from the subject and raw_excerpt in the payload',
      'Upgrade or roll back that producer so it matches the contracts version',
      'Make new payload fields optional (add an upcaster) instead of changing a schema in place',
    ],
  },
  event_handler_failed: {
    cause: 'A consumer gave up on a message after its delivery attempts: a permanent error in the handler or a dependency that stayed down.',
    try: [
      'Read failure.message and the consumer name in the payload',
      'Fix the dependency (database, artifact store) and re-publish the request',
      'When permanent is true, fix the handler bug: the message will not be retried',
    ],
  },
  system_config_invalid: {
    cause: 'An app refused to start because an environment variable is missing or invalid.',
    try: [
      'Read the issues: each names the variable and what it expects',
      'Fix the environment (or .env) and start the app again',
    ],
  },
  extension_load_failed: {
    cause: 'A plugin (source, mapper, engine) failed to load: a missing dependency, a syntax error, or an incompatible version.',
    try: [
      'Read failure.message to see which module failed to import',
      'Install the plugin dependencies and check it targets this Distillery version',
      'Remove the plugin to run without it',
    ],
  },
  extension_contract_invalid: {
    cause: 'A plugin loaded but does not satisfy its contract (missing functions, wrong id format, wrong output shape).',
    try: [
      'Read the issues: each names the missing or wrong member',
      'Update the plugin to the contract of this Distillery version',
    ],
  },

  // ── demo ───────────────────────────────────────────────────────────────────────────────────────────────────
  demo_run_failed: {
    cause: 'A demo child run failed on purpose (fail_child), to show failures in the timeline.',
    try: ['Nothing to fix: run the demo without `--fail-child`'],
  },
};

/** Whether a reason code may carry severity error or critical (and so needs a known fix). */
export const isFailureCode = (code: ReasonCode): boolean =>
  REASON_CODES[code].severities.some((s) => s === 'error' || s === 'critical');

/** Every reason code that may carry severity error or critical, in registry order. */
export const FAILURE_REASON_CODES: readonly ReasonCode[] = REASON_CODE_LIST.filter(isFailureCode);

/** The known fix of a reason code; `undefined` for codes that never fail (and for unknown codes of old events). */
export function knownFixOf(code: string): KnownFix | undefined {
  return Object.prototype.hasOwnProperty.call(KNOWN_FIXES, code) ? KNOWN_FIXES[code as ReasonCode] : undefined;
}
