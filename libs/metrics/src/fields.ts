import { safeDivide } from './common.js';
import { tokenF1 } from './qa.js';

/** JSON types a field_match schema can ask for. `number` is any JSON number; `object` excludes arrays and null. */
export type FieldType = 'string' | 'number' | 'boolean' | 'array' | 'object';

/** A simple field_match schema: required field → JSON type. */
export type FieldSchema = Readonly<Record<string, FieldType>>;

/** One field_match row: the model's raw output (expected to be a JSON object) and the gold fields. */
export interface FieldRow {
  readonly prediction: string;
  readonly reference: Readonly<Record<string, unknown>>;
}

/** Scores of one schema field. */
export interface FieldScores {
  readonly field: string;
  /** Rows whose reference has this field; the denominator of both scores. */
  readonly n: number;
  /** Share of those rows whose predicted value equals the gold value as JSON (object key order ignored). */
  readonly exact_match: number;
  /** Mean SQuAD token F1 between the values' texts (strings as they are, other values as compact sorted JSON). */
  readonly f1: number;
}

/** field_match metrics over rows (see `fieldMatchScores`). */
export interface FieldMatchScores {
  readonly n: number;
  /** Share of outputs that parse as JSON (`JSON.parse`: strict, so NaN, comments and trailing commas fail). */
  readonly json_valid_rate: number;
  /** Share of outputs that are a JSON object holding every schema field with its JSON type (extra fields allowed). */
  readonly schema_compliance_rate: number;
  /** One entry per schema field, in schema order. A missing or unparseable prediction scores 0 for every field. */
  readonly fields: readonly FieldScores[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function parse(text: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false };
  }
}

/** The JSON type of a value, or `null` for JSON null (and anything that is not JSON). */
export function jsonTypeOf(value: unknown): FieldType | null {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object' && value !== null) return 'object';
  return null;
}

/** Compact JSON with object keys sorted, so equal values have equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : canonicalJson(value));
const has = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/**
 * field_match metrics: JSON validity, schema compliance, and per field exact match and token F1 against the gold
 * fields. A prediction that is not a JSON object scores 0 on every field of its row.
 */
export function fieldMatchScores(rows: readonly FieldRow[], schema: FieldSchema): FieldMatchScores {
  const fields = Object.keys(schema);
  const acc = new Map<string, { n: number; exact: number; f1: number }>(fields.map((f) => [f, { n: 0, exact: 0, f1: 0 }]));
  let valid = 0;
  let compliant = 0;
  for (const row of rows) {
    const parsed = parse(row.prediction);
    if (parsed.ok) valid++;
    const obj = parsed.ok && jsonTypeOf(parsed.value) === 'object' ? (parsed.value as Record<string, Json>) : null;
    if (obj && fields.every((f) => has(obj, f) && jsonTypeOf(obj[f]) === schema[f])) compliant++;
    for (const field of fields) {
      if (!has(row.reference, field)) continue;
      const a = acc.get(field)!;
      a.n++;
      if (!obj || !has(obj, field)) continue;
      const gold = row.reference[field];
      const predicted = obj[field];
      if (jsonTypeOf(predicted) === jsonTypeOf(gold) && canonicalJson(predicted) === canonicalJson(gold)) a.exact++;
      a.f1 += tokenF1(textOf(predicted), [textOf(gold)]);
    }
  }
  return {
    n: rows.length,
    json_valid_rate: safeDivide(valid, rows.length),
    schema_compliance_rate: safeDivide(compliant, rows.length),
    fields: fields.map((field) => {
      const a = acc.get(field)!;
      return { field, n: a.n, exact_match: safeDivide(a.exact, a.n), f1: safeDivide(a.f1, a.n) };
    }),
  };
}
