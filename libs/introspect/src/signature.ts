import type { ColumnKind } from '@distillery/contracts';
import {
  BIO_TAG,
  canonicalKey,
  isCodeLike,
  isIdLike,
  isPlainObject,
  messageRole,
  normalizeValue,
  preview,
  questionScore,
  valueKindOf,
  words,
  type ValueKind,
} from './values.js';

/** Numbers seen in a column (numbers given as strings, as CSV readers give them, count). */
export interface NumericStats {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  /** True when at least one number arrived as a string ("0", "1"). */
  readonly from_strings: boolean;
}

/** Shape of list cells (token lists, tag lists, string lists, message lists, …). */
export interface ListStats {
  readonly min_items: number;
  readonly mean_items: number;
  readonly max_items: number;
  /** Mean character length of string items (0 when items are not strings). */
  readonly mean_item_length: number;
  /** Share of string items with whitespace inside (OCR regions, answer phrases: high; tokens: ~0). */
  readonly item_whitespace_share: number;
}

/** Shape of object cells (and of the objects inside object lists). */
export interface ObjectStats {
  /** Keys by how many objects carry them, most frequent first (at most 20). */
  readonly keys: readonly string[];
  /** Share of objects whose key set equals the most common key set. */
  readonly key_consistency: number;
  /** Share of property values that are scalars (string, number, boolean, null). */
  readonly scalar_share: number;
  /** Share of non-null property values that are strings (not numeric strings). */
  readonly string_share: number;
}

/**
 * What introspection knows about one column. `kind` is the column-level verdict; the rest are the statistics it
 * was derived from, kept so a UI (and the shape rules) can explain the verdict.
 */
export interface ColumnSignature {
  readonly kind: ColumnKind;
  /** Cells seen. */
  readonly count: number;
  /** Cells that are not null / undefined / whitespace-only. */
  readonly non_null: number;
  readonly non_null_share: number;
  /** Distinct non-null values (compared as trimmed strings / canonical JSON). */
  readonly distinct: number;
  /** distinct / non_null (0 when the column is empty). */
  readonly distinct_ratio: number;
  /** Mean / max character length of string cells (0 when there are none). */
  readonly mean_length: number;
  readonly max_length: number;
  /** Mean whitespace-separated word count of string cells. */
  readonly mean_words: number;
  /** Up to 3 distinct example values (strings cut at 120 characters, lists at 8 items). */
  readonly examples: readonly unknown[];
  /** Share of non-null cells per value kind (explains `mixed`). */
  readonly value_kinds: Readonly<Partial<Record<ValueKind, number>>>;
  /** Structured cells holding only numbers (bounding boxes, image sizes): layout metadata rather than a target. */
  readonly numbers_only: boolean;
  /** Identifier-like strings (distinct, no whitespace, with digits): row ids, file names, keys. */
  readonly id_like: boolean;
  /** At least one cell was a JSON-encoded list / object inside a string (e.g. a list in a CSV cell). */
  readonly json_encoded: boolean;
  /** Share of string cells that read like a question (trailing `?` or a leading question word). */
  readonly question_share: number;
  /** Share of string cells that look like label codes (`card_arrival`, `ham`, `POSITIVE`). */
  readonly code_like_share: number;
  readonly numeric?: NumericStats;
  /** The value set of a categorical / boolean column (sorted, at most 50). */
  readonly categories?: readonly string[];
  readonly list?: ListStats;
  /** The tag set of a BIO tag-list column (sorted, at most 50). */
  readonly tag_set?: readonly string[];
  /** Entity labels of an entity-list column (sorted, at most 50). */
  readonly entity_labels?: readonly string[];
  /** Roles seen in a chat-messages column (sorted). */
  readonly message_roles?: readonly string[];
  readonly object?: ObjectStats;
}

const MAX_SET = 50;
/** A column is of one kind when at least this share of its non-null cells is (the rest is noise). */
const DOMINANT_SHARE = 0.9;

const sortedSet = (xs: Iterable<string>): string[] => [...new Set(xs)].sort().slice(0, MAX_SET);

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** min / max without spreading (samples can be large); 0 for an empty list. */
function min(xs: Iterable<number>): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m === Infinity ? 0 : m;
}

function max(xs: Iterable<number>): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m === -Infinity ? 0 : m;
}

function objectStats(objects: readonly Readonly<Record<string, unknown>>[]): ObjectStats | undefined {
  if (objects.length === 0) return undefined;
  const keyCount = new Map<string, number>();
  const keySets = new Map<string, number>();
  let props = 0;
  let scalars = 0;
  let nonNull = 0;
  let strings = 0;
  for (const o of objects) {
    const keys = Object.keys(o);
    for (const k of keys) keyCount.set(k, (keyCount.get(k) ?? 0) + 1);
    const setKey = [...keys].sort().join('\u0000');
    keySets.set(setKey, (keySets.get(setKey) ?? 0) + 1);
    for (const v of Object.values(o)) {
      props += 1;
      const scalar = v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if (scalar) scalars += 1;
      if (v !== null && v !== undefined) nonNull += 1;
      if (typeof v === 'string' && valueKindOf(v) === 'string') strings += 1;
    }
  }
  const keys = [...keyCount.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  return {
    keys: keys.slice(0, 20),
    key_consistency: max(keySets.values()) / objects.length,
    scalar_share: props === 0 ? 0 : scalars / props,
    string_share: nonNull === 0 ? 0 : strings / nonNull,
  };
}

interface Family {
  kind: ValueKind | 'array';
  share: number;
}

const ARRAY_KINDS: readonly ValueKind[] = [
  'string_array',
  'empty_array',
  'message_array',
  'entity_array',
  'object_array',
  'number_array',
  'mixed_array',
];

/** The dominant value kind; empty arrays side with whichever array kind dominates. */
function dominant(kinds: readonly ValueKind[]): Family | undefined {
  const counts = new Map<ValueKind, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  const empties = counts.get('empty_array') ?? 0;
  let best: Family | undefined;
  for (const [k, c] of counts) {
    if (k === 'empty_array') continue;
    const n = ARRAY_KINDS.includes(k) ? c + empties : c;
    const share = n / kinds.length;
    if (!best || share > best.share) best = { kind: k, share };
  }
  if (!best && empties > 0) return { kind: 'empty_array', share: 1 };
  return best;
}

/**
 * The column-level signature of a sample of cells.
 *
 * Decision rules (first match wins), over non-null cells:
 * - none → `empty`; no value kind reaching 90 % of the cells → `mixed`;
 * - booleans (also "true"/"false" strings) → `boolean`;
 * - numbers (also numeric strings): integers with ≤ 2 distinct values, or ≤ 20 distinct values spanning < 50 and
 *   repeating (distinct ratio ≤ 0.5) → `categorical` (0/1 labels, star ratings); otherwise `numeric`;
 * - strings: short values (mean ≤ 40 chars, max ≤ 80, ≤ 4 words) that repeat (distinct ratio ≤ 0.5) or look like
 *   label codes → `categorical`; otherwise `text` (identifier-like text is flagged `id_like`);
 * - lists of strings: ≥ 95 % of items BIO tags → `bio_tag_list`; ≥ 2 items per list on average with ≤ 10 % of items
 *   containing whitespace → `token_list`; otherwise `string_list`;
 * - lists of `{role, content}` → `chat_messages`; lists of `{start, end, label|type}` → `entity_list`;
 * - any other object or list → `object`.
 */
export function signatureOf(values: readonly unknown[]): ColumnSignature {
  const normalized = values.map(normalizeValue);
  const cells = normalized.map((n) => n.value).filter((v) => v !== null);
  const jsonEncoded = normalized.some((n) => n.jsonDecoded);
  const count = values.length;
  const nonNull = cells.length;
  const keys = cells.map(canonicalKey);
  const distinct = new Set(keys).size;
  const distinctRatio = nonNull === 0 ? 0 : distinct / nonNull;

  const strings = cells.filter((v): v is string => typeof v === 'string');
  const lengths = strings.map((s) => s.length);
  const wordCounts = strings.map(words);
  const textual = strings.filter((s) => valueKindOf(s) === 'string');
  const questionShare = textual.length === 0 ? 0 : mean(textual.map(questionScore));
  const codeLikeShare = strings.length === 0 ? 0 : strings.filter(isCodeLike).length / strings.length;

  const examples: unknown[] = [];
  const seen = new Set<string>();
  cells.forEach((v, i) => {
    const k = keys[i] ?? '';
    if (examples.length < 3 && !seen.has(k)) {
      seen.add(k);
      examples.push(preview(v));
    }
  });

  const kinds = cells.map(valueKindOf);
  const valueKinds: Partial<Record<ValueKind, number>> = {};
  for (const k of kinds) valueKinds[k] = (valueKinds[k] ?? 0) + 1 / Math.max(1, nonNull);

  const base = {
    count,
    non_null: nonNull,
    non_null_share: count === 0 ? 0 : nonNull / count,
    distinct,
    distinct_ratio: distinctRatio,
    mean_length: mean(lengths),
    max_length: max(lengths),
    mean_words: mean(wordCounts),
    examples,
    value_kinds: valueKinds,
    numbers_only: nonNull > 0 && cells.every((v) => typeof v !== 'number' && numbersOnly(v)),
    id_like: false,
    json_encoded: jsonEncoded,
    question_share: questionShare,
    code_like_share: codeLikeShare,
  };

  const family = dominant(kinds);
  if (nonNull === 0 || !family) return { ...base, kind: 'empty' };
  if (family.share < DOMINANT_SHARE) return { ...base, kind: 'mixed' };

  switch (family.kind) {
    case 'boolean':
      return { ...base, kind: 'boolean', categories: sortedSet(cells.map((v) => String(v).trim().toLowerCase())) };
    case 'number': {
      const nums = cells.filter((v) => valueKindOf(v) === 'number').map((v) => Number(v));
      const numeric: NumericStats = {
        min: min(nums),
        max: max(nums),
        integer: nums.every((n) => Number.isInteger(n)),
        from_strings: cells.some((v) => typeof v === 'string'),
      };
      const categorical =
        numeric.integer &&
        (distinct <= 2 || (distinct <= 20 && distinctRatio <= 0.5 && numeric.max - numeric.min < 50));
      return categorical
        ? { ...base, kind: 'categorical', numeric, categories: sortedSet(cells.map((v) => String(v).trim())) }
        : { ...base, kind: 'numeric', numeric };
    }
    case 'string': {
      const short = base.mean_length <= 40 && base.max_length <= 80 && base.mean_words <= 4;
      const idLike = nonNull >= 3 && distinctRatio === 1 && strings.every(isIdLike);
      if (idLike) return { ...base, kind: 'text', id_like: true };
      if (short && (distinctRatio <= 0.5 || (codeLikeShare >= 0.8 && base.mean_words <= 2))) {
        return { ...base, kind: 'categorical', categories: sortedSet(strings.map((s) => s.trim())) };
      }
      return { ...base, kind: 'text' };
    }
    case 'string_array':
    case 'empty_array': {
      const lists = cells.filter((v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'));
      const items = lists.flat();
      const sizes = lists.map((l) => l.length);
      const list: ListStats = {
        min_items: min(sizes),
        mean_items: mean(sizes),
        max_items: max(sizes),
        mean_item_length: mean(items.map((s) => s.length)),
        item_whitespace_share: items.length === 0 ? 0 : items.filter((s) => /\s/.test(s.trim())).length / items.length,
      };
      if (items.length === 0) return { ...base, kind: 'empty', list };
      const bio = items.filter((s) => BIO_TAG.test(s)).length / items.length;
      if (bio >= 0.95 && (items.some((s) => s !== 'O') || list.mean_items >= 2)) {
        return { ...base, kind: 'bio_tag_list', list, tag_set: sortedSet(items) };
      }
      if (list.mean_items >= 2 && list.item_whitespace_share <= 0.1) return { ...base, kind: 'token_list', list };
      return { ...base, kind: 'string_list', list };
    }
    case 'message_array': {
      const lists = cells.filter((v): v is unknown[] => Array.isArray(v));
      const turns = lists.flat();
      const roles = turns.map(messageRole).filter((r): r is string => r !== undefined);
      return {
        ...base,
        kind: 'chat_messages',
        list: listStatsOf(lists),
        message_roles: sortedSet(roles),
        object: objectStats(turns.filter(isPlainObject)),
      };
    }
    case 'entity_array': {
      const lists = cells.filter((v): v is unknown[] => Array.isArray(v));
      const ents = lists.flat().filter(isPlainObject);
      const labels = ents
        .map((e) => e['label'] ?? e['type'] ?? e['entity'] ?? e['entity_type'] ?? e['tag'] ?? e['category'] ?? e['entity_group'])
        .filter((l): l is string => typeof l === 'string');
      return { ...base, kind: 'entity_list', list: listStatsOf(lists), entity_labels: sortedSet(labels), object: objectStats(ents) };
    }
    case 'object': {
      return { ...base, kind: 'object', object: objectStats(cells.filter(isPlainObject)) };
    }
    default: {
      // object lists, number lists, lists of lists, mixed lists: structured, but no known shape
      const lists = cells.filter((v): v is unknown[] => Array.isArray(v));
      const inner = lists.flat().filter(isPlainObject);
      return { ...base, kind: 'object', list: listStatsOf(lists), object: objectStats(inner) };
    }
  }
}

function listStatsOf(lists: readonly unknown[][]): ListStats {
  const sizes = lists.map((l) => l.length);
  const items = lists.flat().filter((x): x is string => typeof x === 'string');
  return {
    min_items: min(sizes),
    mean_items: mean(sizes),
    max_items: max(sizes),
    mean_item_length: mean(items.map((s) => s.length)),
    item_whitespace_share: items.length === 0 ? 0 : items.filter((s) => /\s/.test(s.trim())).length / items.length,
  };
}

/** A cell whose leaves are all numbers (a number, or lists / objects of numbers: bounding boxes, image sizes). */
function numbersOnly(v: unknown): boolean {
  if (typeof v === 'number') return true;
  if (Array.isArray(v)) return v.length > 0 && v.every(numbersOnly);
  if (isPlainObject(v)) {
    const vs = Object.values(v);
    return vs.length > 0 && vs.every(numbersOnly);
  }
  return false;
}
