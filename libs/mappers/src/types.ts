import type { MappedRow, SourceRow, TaskProfile } from '@distillery/contracts';
import type { MappingWarning } from './reasons.js';

/**
 * What a mapper's records look like and how the task handler scores them. Goes into the prepared manifest as
 * `output_schema` (fields: record key → type, in a small type notation; `?` marks optional keys).
 */
export interface OutputSchema {
  readonly fields: Readonly<Record<string, string>>;
  /** label_likelihood | exact_match_f1 | span_set | field_match | grounded_exact_match_f1 | preference_margin | response_similarity | perplexity | plugin-defined */
  readonly scoring_mode: string;
}

/** A slot the field map fills with a source column. */
export interface MapperRole {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
}

export type ChatRole = 'system' | 'user' | 'assistant';

/** Per-run knobs. All optional; defaults are the documented behaviour. */
export interface MapOptions {
  /** Classification: labels outside this set are rejected as label_not_allowed (compared after normalisation). */
  readonly allowed_labels?: readonly string[];
  /** Reject records whose text is longer than this many characters (too_long); how text is counted: README. */
  readonly max_chars?: number;
  /** bio_to_spans: 'repair' (default) starts a new span at an orphan I-X and warns; 'strict' rejects as invalid_bio. */
  readonly bio_mode?: 'repair' | 'strict';
  /** bio_to_spans: names for integer tag ids (Hugging Face ClassLabel `ner_tags`), index = id. */
  readonly tag_names?: readonly string[];
  /** rag_passthrough: 'keep' (default) keeps unanswerable rows as answerable=false; 'reject' rejects them. */
  readonly unanswerable?: 'keep' | 'reject';
  /** rag_passthrough: reject (answer_not_in_context) instead of warning when the answer is not in the context. */
  readonly require_answer_in_context?: boolean;
  /** chat_messages_passthrough: source role → chat role, e.g. `{ prompter: 'user', human: 'user', gpt: 'assistant' }`. */
  readonly role_aliases?: Readonly<Record<string, ChatRole>>;
  /** kv_to_structured: separator when the text role is a list of words / OCR lines (default '\n'). */
  readonly words_separator?: string;
}

/** A MappedRow plus non-fatal warning codes for accepted rows. Assignable to MappedRow. */
export type MapResult = MappedRow & { readonly warnings?: readonly MappingWarning[] };

/** Role name → source column name. */
export type FieldMap = Readonly<Record<string, string>>;

export interface Mapper {
  readonly id: string;
  readonly task_profile: TaskProfile;
  readonly output_schema: OutputSchema;
  readonly roles: readonly MapperRole[];
  readonly description?: string;
  /** Pure: one source row in, one transformed or rejected row out. Never throws for bad data (built-ins). */
  map(row: SourceRow, fieldMap: FieldMap, options?: MapOptions): MapResult;
}
