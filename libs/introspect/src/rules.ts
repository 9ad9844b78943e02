import type { TaskProfile } from '@distillery/contracts';
import type { ColumnSignature } from './signature.js';
import { answerTexts } from './values.js';

/**
 * The shape rules: for each mapper introspection can propose, its roles, what a column filling each role looks like
 * (content first, name second) and a structural check over the assigned columns.
 *
 * Mapper ids and role names here are plain strings on purpose: introspection (scope ingestion) may not import the
 * mappers lib (scope mapping). They must equal the ids and role names of `@distillery/mappers`; the conformance test
 * `libs/mappers/test/introspect-conformance.unit.spec.ts` proves it.
 */

/** One column as the rules see it. */
export interface ColumnView {
  readonly name: string;
  readonly signature: ColumnSignature;
  /** Normalized cells in row order (null where the row lacks the column). */
  readonly values: readonly unknown[];
}

export interface RoleRule {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  /** Column names (normalized: lower-case, `_`-separated) that suggest this role. */
  readonly cues: readonly string[];
  /** How far the name can move the score: score = fit × (1 − w + w × name_cue). Content dominates. */
  readonly nameWeight: number;
  /** A generic name (`column_2`) counts as no evidence (0) instead of neutral (0.5): for roles content cannot tell apart. */
  readonly nameRequired?: boolean;
  /** Content fit of a column for this role, 0..1. */
  fit(col: ColumnView): number;
}

export interface StructureCheck {
  /** Multiplies the confidence (1 = the structure is what the mapper expects). */
  readonly factor: number;
  readonly warnings: readonly string[];
  /** Evidence for the rationale. */
  readonly notes: readonly string[];
}

export interface MapperRule {
  readonly mapper_id: string;
  readonly task_profile: TaskProfile;
  /** Output flavour when a task profile has several (structured_extraction: span_set | field_match). */
  readonly variant?: string;
  /** Ceiling of the confidence for a perfect fit: how distinctive the shape is. */
  readonly prior: number;
  readonly roles: readonly RoleRule[];
  check?(assigned: Readonly<Record<string, ColumnView>>): StructureCheck;
}

/** Default name weight: a perfect content fit with a non-matching name keeps 88 % of its score. */
const W = 0.12;

/** Column names that carry bookkeeping, not data: never a label, never a penalty when left over. */
const METADATA_NAMES = new Set([
  'id', 'idx', 'index', 'key', 'uuid', 'guid', 'title', 'source', 'source_line', 'url', 'link', 'file', 'file_name',
  'filename', 'path', 'lang', 'language', 'split', 'timestamp', 'created_at', 'updated_at', 'meta', 'metadata',
  'image_size', 'width', 'height', 'bbox', 'bboxes', 'boxes', 'page', 'line', 'line_number', 'row', 'row_id',
  'tree_state', 'image', 'image_path', 'doc_id', 'document_id', 'question_id', 'example_id', 'uid', 'version',
]);

/** Names a reader invents for unnamed / headerless columns (`column_3`, `column_3_2`, `Unnamed: 2`, ``): they say nothing. */
const GENERIC_NAME = /^(?:(?:col(?:umn)?|field|f|c|v|var|x|unnamed|attr)[\s_:.-]*)?\d+(?:_\d+)?$|^\s*$|^_+\d*$/i;

export function normalizeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export function isGenericName(name: string): boolean {
  return GENERIC_NAME.test(name.trim());
}

export function isMetadataName(name: string): boolean {
  const n = normalizeName(name);
  return METADATA_NAMES.has(n) || n.endsWith('_id');
}

/**
 * How strongly a column name suggests a role: 1 for an exact cue, 0.7 when one of its words is a cue, 0.5 for a
 * generic name (`column_1`, `v3`, empty: neutral), 0 otherwise.
 */
export function nameCue(name: string, cues: readonly string[]): number {
  const n = normalizeName(name);
  if (cues.includes(n)) return 1;
  const parts = n.split('_');
  if (cues.some((c) => parts.includes(c) || (c.includes('_') && n.includes(c)))) return 0.7;
  return isGenericName(name) ? 0.5 : 0;
}

const presence = (s: ColumnSignature, floor = 0.6): number => floor + (1 - floor) * s.non_null_share;
const isText = (s: ColumnSignature): boolean => s.kind === 'text' && !s.id_like;

// ---- content fits -----------------------------------------------------------------------------------------------

function freeTextFit(s: ColumnSignature, floor = 0.6): number {
  let f = 0;
  if (isText(s)) f = s.mean_words >= 3 ? 1 : s.mean_words >= 2 ? 0.75 : 0.5;
  else if (s.kind === 'categorical') f = s.mean_words >= 3 ? 0.6 : 0.2;
  else if (s.kind === 'mixed') f = 0.3;
  return f * presence(s, floor);
}

function labelFit(col: ColumnView): number {
  const s = col.signature;
  let f = 0;
  if (s.kind === 'categorical') {
    if (s.distinct === 1) f = s.code_like_share >= 0.8 ? 0.85 : 0.7;
    else if (s.distinct <= 2 || s.distinct_ratio <= 0.5) f = 1;
    else if (s.code_like_share >= 0.8) f = 0.9;
    else f = 0.55;
  } else if (s.kind === 'boolean') f = 0.8;
  else if (s.kind === 'numeric') f = s.numeric?.integer ? 0.35 : 0.1;
  else if (isText(s)) f = s.mean_words <= 3 && s.distinct_ratio <= 0.5 ? 0.5 : 0.05;
  if (isMetadataName(col.name)) f *= 0.5;
  return f * presence(s);
}

function questionFit(s: ColumnSignature): number {
  const textual = isText(s) || (s.kind === 'categorical' && s.mean_words >= 3);
  return textual ? (0.35 + 0.65 * s.question_share) * presence(s) : 0;
}

function hasTextKey(s: ColumnSignature): boolean {
  return !!s.object && (s.object.keys.includes('text') || s.object.keys.includes('answer'));
}

function answerFit(s: ColumnSignature): number {
  let f = 0;
  if (s.kind === 'string_list') f = 1;
  else if (s.kind === 'token_list') f = 0.8;
  else if (isText(s)) f = s.mean_length > 1000 ? 0.6 : 0.9;
  else if (s.kind === 'categorical') f = s.code_like_share >= 0.8 ? 0.45 : s.distinct === 1 ? 0.5 : 0.8;
  else if (s.kind === 'numeric') f = 0.5;
  else if (s.kind === 'object' && hasTextKey(s)) f = 0.95;
  return f * presence(s, 0.7);
}

function contextFit(s: ColumnSignature): number {
  if (!isText(s)) return 0;
  const f = s.mean_length >= 200 ? 1 : s.mean_length >= 100 ? 0.75 : 0.35;
  return f * presence(s);
}

function pairTextFit(s: ColumnSignature): number {
  const f = isText(s) ? 0.9 : s.kind === 'chat_messages' ? 0.85 : 0;
  return f * presence(s, 0.7);
}

function fieldsFit(s: ColumnSignature): number {
  if (s.kind !== 'object' || s.numbers_only || !s.object) return 0;
  const flatObjects = Object.keys(s.value_kinds).every((k) => k === 'object');
  if (!flatObjects) return 0.2;
  const f = s.object.scalar_share >= 0.9 ? (s.object.string_share >= 0.5 ? 1 : 0.5) : 0.3;
  return f * (0.7 + 0.3 * s.object.key_consistency) * presence(s);
}

/** 0/1, yes/no value sets: a flag only with a name that says so (0.5 × name keeps it under the optional bar otherwise). */
function isFlagSet(categories: readonly string[] | undefined): boolean {
  return !!categories && categories.length > 0 && categories.every((v) => ['0', '1', 'yes', 'no', 'y', 'n'].includes(v.toLowerCase()));
}

// ---- role factory -----------------------------------------------------------------------------------------------

function role(
  name: string,
  required: boolean,
  description: string,
  cues: readonly string[],
  fit: (col: ColumnView) => number,
  nameWeight = W,
): RoleRule {
  return { name, required, description, cues, fit, nameWeight, ...(nameWeight >= 0.5 ? { nameRequired: true } : {}) };
}

const TEXT_CUES = [
  'text', 'sentence', 'sentences', 'review', 'review_text', 'reviews', 'utterance', 'content', 'body', 'comment',
  'message', 'tweet', 'sms', 'v2', 'input', 'document', 'description', 'headline', 'post', 'statement', 'query',
];
const LABEL_CUES = [
  'label', 'labels', 'category', 'class', 'class_label', 'intent', 'target', 'v1', 'sentiment', 'polarity', 'topic',
  'y', 'gold_label', 'gold', 'rating', 'stars', 'emotion', 'genre', 'outcome',
];
const QUESTION_CUES = ['question', 'questions', 'query', 'q', 'prompt', 'instruction', 'input', 'ask'];
const ANSWER_CUES = ['answer', 'answers', 'response', 'output', 'completion', 'a', 'reply', 'target', 'gold_answer'];

function ratio(n: number, d: number): string {
  return `${n}/${d}`;
}

function pairs(a: ColumnView, b: ColumnView): Array<[unknown, unknown]> {
  return a.values.map((v, i) => [v, b.values[i] ?? null]);
}

// ---- the rules --------------------------------------------------------------------------------------------------

export const MAPPER_RULES: readonly MapperRule[] = [
  {
    mapper_id: 'bio_to_spans',
    task_profile: 'structured_extraction',
    variant: 'span_set',
    prior: 0.97,
    roles: [
      role('tokens', true, 'list of tokens', ['tokens', 'words', 'token', 'toks', 'sentence', 'text'], (c) =>
        c.signature.kind === 'token_list' ? 1 : c.signature.kind === 'string_list' ? 0.55 : 0,
      ),
      role('tags', true, 'BIO tag per token', ['tags', 'ner_tags', 'labels', 'ner', 'bio', 'iob', 'tag', 'ner_labels', 'bio_tags'], (c) =>
        c.signature.kind === 'bio_tag_list' ? 1 : 0,
      ),
    ],
    check(a) {
      const tokens = a['tokens'];
      const tags = a['tags'];
      if (!tokens || !tags) return { factor: 1, warnings: [], notes: [] };
      let both = 0;
      let aligned = 0;
      for (const [t, g] of pairs(tokens, tags)) {
        if (!Array.isArray(t) || !Array.isArray(g)) continue;
        both += 1;
        if (t.length === g.length) aligned += 1;
      }
      const share = both === 0 ? 0 : aligned / both;
      const warnings =
        share < 1 ? [`tokens and tags differ in length in ${both - aligned} of ${both} sampled rows (rejected as length_mismatch)`] : [];
      return { factor: 0.4 + 0.6 * share, warnings, notes: [`lengths align in ${ratio(aligned, both)} rows`] };
    },
  },
  {
    mapper_id: 'label_to_classification',
    task_profile: 'classification',
    prior: 0.96,
    roles: [
      role('text', true, 'input text', TEXT_CUES, (c) => freeTextFit(c.signature)),
      role('label', true, 'class label', LABEL_CUES, labelFit),
    ],
    check(a) {
      const label = a['label']?.signature;
      if (!label) return { factor: 1, warnings: [], notes: [] };
      const warnings: string[] = [];
      const values = label.categories ?? [];
      if (label.distinct === 1) {
        warnings.push(
          `only one label value (${JSON.stringify(values[0] ?? label.examples[0])}) in the sample: the file may be sorted by label; sample across the file before training`,
        );
      }
      if (label.kind === 'numeric') warnings.push('the label column is continuous numbers: a regression target, not classes');
      const notes = [`${label.distinct} label value(s) in the sample${values.length ? `: ${values.slice(0, 6).join(', ')}` : ''}`];
      return { factor: 1, warnings, notes };
    },
  },
  {
    mapper_id: 'text_only',
    task_profile: 'language_modeling',
    prior: 0.95,
    roles: [
      role(
        'text',
        true,
        'the text to model',
        ['text', 'content', 'body', 'document', 'article', 'line', 'paragraph', 'raw', 'story', 'passage', 'sentence', 'txt', 'raw_text'],
        (c) => freeTextFit(c.signature, 0.85),
      ),
    ],
    check(a) {
      const t = a['text']?.signature;
      if (!t || t.non_null === t.count) return { factor: 1, warnings: [], notes: [] };
      return {
        factor: 1,
        warnings: [`${t.count - t.non_null} of ${t.count} sampled rows are blank (rejected as empty_text)`],
        notes: [],
      };
    },
  },
  {
    mapper_id: 'qa_pair_passthrough',
    task_profile: 'qa',
    prior: 0.94,
    roles: [
      role('question', true, 'the question', QUESTION_CUES, (c) => questionFit(c.signature)),
      role('answer', true, 'the answer (a list: first = answer, rest = aliases)', ANSWER_CUES, (c) => answerFit(c.signature)),
    ],
    check(a) {
      const q = a['question']?.signature;
      return { factor: 1, warnings: [], notes: q ? [`${Math.round(q.question_share * 100)} % of questions read as questions`] : [] };
    },
  },
  {
    mapper_id: 'chat_messages_passthrough',
    task_profile: 'chat_sft',
    prior: 0.98,
    roles: [
      role(
        'messages',
        true,
        'list of {role, content} turns',
        ['messages', 'conversation', 'conversations', 'dialog', 'dialogue', 'chat', 'turns', 'history'],
        (c) => (c.signature.kind === 'chat_messages' ? 1 : 0),
      ),
    ],
    check(a) {
      const roles = a['messages']?.signature.message_roles ?? [];
      const odd = roles.filter((r) => !['user', 'assistant', 'system'].includes(r));
      const warnings = odd.length
        ? [`message roles ${odd.join(', ')} are not user/assistant/system: map them with role_aliases or rows are rejected as invalid_messages`]
        : [];
      return { factor: odd.length ? 0.9 : 1, warnings, notes: [`roles: ${roles.join(', ')}`] };
    },
  },
  {
    mapper_id: 'preference_pair',
    task_profile: 'dpo',
    prior: 0.96,
    roles: [
      role('prompt', false, 'the shared prompt', ['prompt', 'instruction', 'query', 'question', 'input', 'history'], (c) => pairTextFit(c.signature), 0.3),
      role('chosen', true, 'the preferred response', ['chosen', 'preferred', 'winner', 'accepted', 'better', 'chosen_response', 'response_chosen', 'positive'], (c) => pairTextFit(c.signature), 0.5),
      role('rejected', true, 'the dispreferred response', ['rejected', 'dispreferred', 'loser', 'worse', 'rejected_response', 'response_rejected', 'negative'], (c) => pairTextFit(c.signature), 0.5),
    ],
    check(a) {
      const chosen = a['chosen'];
      const rejected = a['rejected'];
      if (!chosen || !rejected) return { factor: 1, warnings: [], notes: [] };
      let both = 0;
      let same = 0;
      for (const [c, r] of pairs(chosen, rejected)) {
        if (c === null || r === null) continue;
        both += 1;
        if (JSON.stringify(c) === JSON.stringify(r)) same += 1;
      }
      const warnings: string[] = [];
      if (same > 0) warnings.push(`${same} of ${both} sampled pairs have chosen == rejected (rejected as identical_pair)`);
      if (!a['prompt']) warnings.push('no prompt column: the prompt is taken as the shared prefix of chosen and rejected');
      const differ = both === 0 ? 0 : (both - same) / both;
      return { factor: 0.5 + 0.5 * differ, warnings, notes: [`chosen and rejected differ in ${ratio(both - same, both)} rows`] };
    },
  },
  {
    mapper_id: 'rag_passthrough',
    task_profile: 'rag_qa',
    prior: 0.96,
    roles: [
      role('question', true, 'the question', QUESTION_CUES, (c) => questionFit(c.signature)),
      role(
        'context',
        true,
        'the grounding passage(s)',
        ['context', 'contexts', 'passage', 'passages', 'document', 'documents', 'paragraph', 'evidence', 'retrieved', 'background', 'support'],
        (c) => contextFit(c.signature),
      ),
      role('answer', true, 'the answer (string, list, or SQuAD answers)', ANSWER_CUES, (c) => answerFit(c.signature)),
      role('is_impossible', false, 'SQuAD v2 unanswerable flag', ['is_impossible', 'impossible', 'unanswerable', 'answerable', 'has_answer'], (c) =>
        c.signature.kind === 'boolean' ? 1 : c.signature.kind === 'categorical' && isFlagSet(c.signature.categories) ? 0.5 : 0,
      ),
    ],
    check(a) {
      const q = a['question'];
      const ctx = a['context'];
      const ans = a['answer'];
      if (!q || !ctx || !ans) return { factor: 1, warnings: [], notes: [] };
      const warnings: string[] = [];
      let factor = 1;
      if (ctx.signature.mean_length < 1.5 * q.signature.mean_length) {
        factor *= 0.6;
        warnings.push(`the context column '${ctx.name}' is not longer than the questions: is it really a passage?`);
      }
      let answered = 0;
      let found = 0;
      let unanswerable = 0;
      ans.values.forEach((v, i) => {
        const texts = answerTexts(v).filter((t) => t.trim() !== '');
        const c = ctx.values[i];
        if (texts.length === 0) {
          unanswerable += 1;
          return;
        }
        answered += 1;
        if (typeof c === 'string' && texts.some((t) => c.toLowerCase().includes(t.trim().toLowerCase()))) found += 1;
      });
      const share = answered === 0 ? 0 : found / answered;
      if (answered === 0) {
        factor *= 0.8;
        warnings.push('no sampled row has an answer');
      } else if (share < 0.8) {
        factor *= 0.6 + 0.4 * share;
        warnings.push(`answers occur in their context in only ${ratio(found, answered)} sampled rows`);
      }
      if (unanswerable > 0) {
        warnings.push(`${unanswerable} sampled rows have no answer (kept as answerable=false unless unanswerable: 'reject')`);
      }
      return { factor, warnings, notes: [`answers found in context in ${ratio(found, answered)} answered rows`] };
    },
  },
  {
    mapper_id: 'kv_to_structured',
    task_profile: 'structured_extraction',
    variant: 'field_match',
    prior: 0.95,
    roles: [
      role(
        'text',
        true,
        'document text, or a list of OCR words / lines (joined with newlines)',
        ['text', 'words', 'ocr', 'ocr_text', 'document', 'content', 'input', 'tokens', 'raw_text', 'transcript', 'ocr_words', 'lines'],
        (c) => {
          const s = c.signature;
          if (s.kind === 'string_list') return 0.95 * presence(s);
          if (s.kind === 'token_list') return 0.9 * presence(s);
          return isText(s) && s.mean_words >= 3 ? 0.95 * presence(s) : 0;
        },
      ),
      role(
        'fields',
        true,
        'object of key → value fields to extract',
        ['entities', 'fields', 'labels', 'annotations', 'extraction', 'extractions', 'kv', 'key_values', 'target', 'output', 'ground_truth', 'gt', 'parse', 'values', 'gold'],
        (c) => fieldsFit(c.signature),
      ),
    ],
    check(a) {
      const f = a['fields']?.signature.object;
      if (!f) return { factor: 1, warnings: [], notes: [] };
      const warnings = f.key_consistency < 0.8 ? [`field keys vary between rows (${Math.round(f.key_consistency * 100)} % share one key set)`] : [];
      return { factor: 1, warnings, notes: [`keys: ${f.keys.slice(0, 8).join(', ')}`] };
    },
  },
];

/** Every mapper id introspection can propose (must all exist in the mapper registry). */
export const PROPOSABLE_MAPPER_IDS: readonly string[] = MAPPER_RULES.map((r) => r.mapper_id);

/** The roles introspection fills for each mapper id (names must match the mapper's roles). */
export function proposableRoles(mapperId: string): ReadonlyArray<{ name: string; required: boolean }> {
  const rule = MAPPER_RULES.find((r) => r.mapper_id === mapperId);
  return rule ? rule.roles.map((r) => ({ name: r.name, required: r.required })) : [];
}
