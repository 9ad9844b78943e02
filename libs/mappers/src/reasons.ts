/**
 * Stable rejection reason codes: every source row becomes a TransformedRow or a RejectedRow carrying one of these.
 * Codes are a public contract (saved mappings' drop lists, audit payloads' rejection_counts, docs): never rename or
 * remove one; add new codes at the end.
 */
export const REJECTION_REASONS = {
  parse_error: 'The source could not parse the record (a sentinel row with SourceRow.parse_error set); nothing to map.',
  missing_field:
    "A required role has no column: the field map names none for it, or the row has no such field (a JSON object without the key).",
  invalid_type:
    'A value has the wrong JSON type for its role (e.g. an object where text is expected, tags that are not a list, numeric tags without tag_names).',
  missing_text: 'A required text role (text, question, context, chosen, rejected, …) is null.',
  empty_text: 'A required text role is an empty or whitespace-only string, or an empty token / word list.',
  missing_label: 'The label is null, missing or blank.',
  label_not_allowed: 'The label (after normalisation) is not in options.allowed_labels.',
  missing_answer: 'A QA pair has no answer: null, blank, or an empty list of answers.',
  length_mismatch: 'Tokens and tags lists have different lengths.',
  invalid_bio:
    "A tag is not a BIO / IOBES tag (O, B-X, I-X, E-X, S-X; L-/U- too), or, in options.bio_mode 'strict', an I-X continues no X span. The default mode 'repair' starts a new span instead and warns bio_repaired.",
  identical_pair: 'A preference pair whose chosen and rejected responses are the same text (nothing to learn).',
  invalid_messages:
    'Chat messages are not a usable conversation: no messages, a turn without a role or content, a role other than user / assistant / system (after options.role_aliases), blank content, or no assistant turn.',
  answer_not_in_context:
    'The answer does not occur in its context. Only with options.require_answer_in_context; by default the row is kept with the warning answer_not_in_context and no answer_start.',
  unanswerable:
    "A grounded-QA row with no answer (SQuAD v2 is_impossible, or an empty answers list). Only with options.unanswerable 'reject'; by default it is kept as {answer: '', answerable: false}.",
  empty_fields: 'A key-value row whose fields object has no non-empty value.',
  too_long: 'The record text is longer than options.max_chars (characters, counted per mapper as its README says).',
  mapper_error: 'A plugin mapper threw or returned something that is not a MappedRow for this row (built-ins never do).',
} as const;

export type RejectionReason = keyof typeof REJECTION_REASONS;

export const REJECTION_REASON_CODES = Object.keys(REJECTION_REASONS) as RejectionReason[];

export function isRejectionReason(code: string): code is RejectionReason {
  return Object.prototype.hasOwnProperty.call(REJECTION_REASONS, code);
}

/** Non-fatal notes on accepted rows (`MapResult.warnings`). Also stable codes. */
export const MAPPING_WARNINGS = {
  bio_repaired: "An I-X tag with no open X span started a new span (options.bio_mode 'repair', the default).",
  answer_not_in_context: 'The answer does not occur in the context; the row is kept without answer_start.',
  answer_start_corrected: "The given answer_start did not point at the answer; it was replaced by the answer's first occurrence.",
  prompt_from_shared_prefix:
    'No prompt column: the prompt is the shared prefix of chosen and rejected, cut after its last "Assistant:" turn marker.',
  fields_dropped: 'Null or blank field values were left out of fields.',
} as const;

export type MappingWarning = keyof typeof MAPPING_WARNINGS;

/** Markdown table of the reason codes (for docs/rejection-reasons.md). */
export function renderRejectionReasonsDoc(): string {
  const rows = REJECTION_REASON_CODES.map((c) => `| \`${c}\` | ${REJECTION_REASONS[c]} |`);
  const warnings = (Object.keys(MAPPING_WARNINGS) as MappingWarning[]).map((c) => `| \`${c}\` | ${MAPPING_WARNINGS[c]} |`);
  return [
    '# Mapping rejection reasons',
    '',
    'Every source row becomes a transformed row or a rejected row with one of these codes (`@distillery/mappers`, `REJECTION_REASONS`).',
    '',
    '| code | meaning |',
    '|---|---|',
    ...rows,
    '',
    '## Warnings on accepted rows',
    '',
    '| code | meaning |',
    '|---|---|',
    ...warnings,
    '',
  ].join('\n');
}
