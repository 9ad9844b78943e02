import type { SourceRow, TaskProfile } from '@distillery/contracts';
import type { MappingWarning, RejectionReason } from './reasons.js';
import type { FieldMap, MapOptions, MapResult } from './types.js';

/**
 * Building blocks of the built-in mappers: reading a role's value from a row, the typed outcomes, and the accept /
 * reject constructors. A reader returns either a value or a ready RejectedRow, so mappers read top to bottom.
 */

export function reject(row: SourceRow, reason: RejectionReason, detail: string): MapResult {
  return { ok: false, row: { row_id: row.row_id, source: row.source, reason, detail } };
}

export function accept(
  row: SourceRow,
  task_profile: TaskProfile,
  record: Readonly<Record<string, unknown>>,
  warnings: readonly MappingWarning[] = [],
): MapResult {
  const result: MapResult = { ok: true, row: { row_id: row.row_id, source: row.source, task_profile, record } };
  return warnings.length > 0 ? { ...result, warnings: [...new Set(warnings)] } : result;
}

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rejected: MapResult };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const no = <T>(rejected: MapResult): Read<T> => ({ ok: false, rejected });

export function isPlainObject(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The sentinel-row check every mapper starts with. */
export function sentinel(row: SourceRow): MapResult | undefined {
  if (row.parse_error === undefined) return undefined;
  return reject(row, 'parse_error', row.parse_error || 'the source could not parse this record');
}

/**
 * The raw value of a role. Required roles: an unmapped role or an absent field rejects as missing_field. Optional
 * roles: both read as `undefined`.
 */
export function raw(row: SourceRow, fieldMap: FieldMap, role: string, required = true): Read<unknown> {
  const column = fieldMap[role];
  if (column === undefined) {
    return required ? no(reject(row, 'missing_field', `the field map names no column for role '${role}'`)) : ok(undefined);
  }
  if (!Object.prototype.hasOwnProperty.call(row.fields, column)) {
    return required ? no(reject(row, 'missing_field', `column '${column}' (role '${role}') is absent from the row`)) : ok(undefined);
  }
  return ok(row.fields[column]);
}

const where = (fieldMap: FieldMap, role: string): string => `'${fieldMap[role] ?? '?'}' (role '${role}')`;

export interface TextReadOptions {
  /** Trim the value (default true). When false the value is kept verbatim; emptiness is still judged trimmed. */
  readonly trim?: boolean;
  readonly required?: boolean;
}

/**
 * A text role: strings (numbers become their decimal string), null → missing_text, blank → empty_text, anything else
 * → invalid_type. Optional roles read null / absent / blank as `undefined`.
 */
export function text(row: SourceRow, fieldMap: FieldMap, role: string, opts: TextReadOptions = {}): Read<string | undefined> {
  const required = opts.required ?? true;
  const r = raw(row, fieldMap, role, required);
  if (!r.ok) return r;
  const v = r.value;
  if (v === undefined || v === null) {
    return required ? no(reject(row, 'missing_text', `${where(fieldMap, role)} is null`)) : ok(undefined);
  }
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
  else return no(reject(row, 'invalid_type', `${where(fieldMap, role)} must be a string, got ${typeName(v)}`));
  if (s.trim() === '') {
    return required ? no(reject(row, 'empty_text', `${where(fieldMap, role)} is blank`)) : ok(undefined);
  }
  return ok(opts.trim === false ? s : s.trim());
}

/** A list or object role: JSON-encoded strings (lists in CSV cells) are decoded first. */
export function structured(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('{') && t.endsWith('}')))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** A list role (JSON-encoded strings decoded). null → `nullReason`, [] → `emptyReason`, not a list → invalid_type. */
export function list(
  row: SourceRow,
  fieldMap: FieldMap,
  role: string,
  reasons: { readonly nullReason: RejectionReason; readonly emptyReason: RejectionReason },
): Read<unknown[]> {
  const r = raw(row, fieldMap, role);
  if (!r.ok) return r;
  if (r.value === null || r.value === undefined) return no(reject(row, reasons.nullReason, `${where(fieldMap, role)} is null`));
  const v = structured(r.value);
  if (!Array.isArray(v)) return no(reject(row, 'invalid_type', `${where(fieldMap, role)} must be a list, got ${typeName(v)}`));
  if (v.length === 0) return no(reject(row, reasons.emptyReason, `${where(fieldMap, role)} is an empty list`));
  return ok(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/**
 * Label normalisation: strings trimmed; finite numbers as decimal strings (0 → "0", 1.0 → "1"); booleans as
 * "true" / "false". Null, undefined, blank → undefined (missing); lists / objects → null (invalid type).
 */
export function normalizeLabel(v: unknown): string | undefined | null {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return null;
}

/** The too_long check shared by all mappers. */
export function tooLong(row: SourceRow, options: MapOptions | undefined, chars: number): MapResult | undefined {
  const max = options?.max_chars;
  if (max === undefined || chars <= max) return undefined;
  return reject(row, 'too_long', `${chars} characters > max_chars ${max}`);
}

/**
 * Answer strings in any usual spelling: a string or number, a list of them, SQuAD `[{text, answer_start}]`, or
 * Hugging Face `{text: [...], answer_start: [...]}`. Returns null for a type that carries no answer text.
 */
export function answerList(v: unknown): Array<{ text: string; start?: number }> | null {
  const out: Array<{ text: string; start?: number }> = [];
  const push = (t: unknown, start?: unknown): boolean => {
    if (t === null || t === undefined) return true;
    if (typeof t === 'number' && Number.isFinite(t)) t = String(t);
    if (typeof t !== 'string') return false;
    if (t.trim() === '') return true;
    out.push(typeof start === 'number' && Number.isInteger(start) ? { text: t, start } : { text: t });
    return true;
  };
  const value = structured(v);
  if (value === null || value === undefined) return out;
  if (typeof value === 'string' || typeof value === 'number') return push(value) ? out : null;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isPlainObject(item)) {
        if (!push(item['text'] ?? item['answer'], item['answer_start'] ?? item['start'])) return null;
      } else if (!push(item)) return null;
    }
    return out;
  }
  if (isPlainObject(value)) {
    const t = value['text'] ?? value['answer'];
    const s = value['answer_start'] ?? value['start'];
    if (Array.isArray(t)) {
      for (let i = 0; i < t.length; i++) if (!push(t[i], Array.isArray(s) ? s[i] : undefined)) return null;
      return out;
    }
    return push(t, s) ? out : null;
  }
  return null;
}
