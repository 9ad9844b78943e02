import { accept, isPlainObject, raw, reject, sentinel, structured, tooLong, typeName } from '../fields.js';
import type { MappingWarning } from '../reasons.js';
import type { Mapper } from '../types.js';

/**
 * `{text | words, fields}` → field_match record `{text, fields}`.
 *
 * The text role is a string (trimmed) or a list of words / OCR lines joined with options.words_separator (default
 * '\n', as SROIE's README suggests). `fields` is an object (or a JSON-encoded one) of key → scalar: strings are
 * trimmed, numbers and booleans become strings, null / blank values are left out (warning fields_dropped), nested
 * values reject as invalid_type, and an object with nothing left rejects as empty_fields. max_chars counts `text`.
 */
export const kvToStructured: Mapper = {
  id: 'kv_to_structured',
  task_profile: 'structured_extraction',
  description: 'Key-value extraction from documents (invoices, forms, receipts).',
  output_schema: { fields: { text: 'string', fields: 'record<string, string>' }, scoring_mode: 'field_match' },
  roles: [
    { name: 'text', required: true, description: 'the document text, or a list of words / OCR lines' },
    { name: 'fields', required: true, description: 'an object of key → value fields to extract' },
  ],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const t = raw(row, fieldMap, 'text');
    if (!t.ok) return t.rejected;
    const tv = structured(t.value);
    let text: string;
    if (tv === null || tv === undefined) return reject(row, 'missing_text', 'the text is null');
    if (typeof tv === 'string') text = tv.trim();
    else if (Array.isArray(tv)) {
      const parts: string[] = [];
      for (const [i, w] of tv.entries()) {
        if (typeof w === 'string') parts.push(w);
        else if (typeof w === 'number' && Number.isFinite(w)) parts.push(String(w));
        else return reject(row, 'invalid_type', `word ${i} is ${typeName(w)}, not a string`);
      }
      text = parts.join(options?.words_separator ?? '\n').trim();
    } else return reject(row, 'invalid_type', `the text must be a string or a list of words, got ${typeName(tv)}`);
    if (text === '') return reject(row, 'empty_text', 'the text is blank');

    const f = raw(row, fieldMap, 'fields');
    if (!f.ok) return f.rejected;
    const fv = structured(f.value);
    if (fv === null || fv === undefined) return reject(row, 'empty_fields', 'the fields object is null');
    if (!isPlainObject(fv)) return reject(row, 'invalid_type', `fields must be an object, got ${typeName(fv)}`);
    const fields: Record<string, string> = {};
    let dropped = false;
    for (const [k, v] of Object.entries(fv)) {
      if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) dropped = true;
      else if (typeof v === 'string') fields[k] = v.trim();
      else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') fields[k] = String(v);
      else return reject(row, 'invalid_type', `field '${k}' is ${typeName(v)}, not a scalar`);
    }
    if (Object.keys(fields).length === 0) return reject(row, 'empty_fields', 'no field has a value');
    const warnings: MappingWarning[] = dropped ? ['fields_dropped'] : [];
    return tooLong(row, options, text.length) ?? accept(row, 'structured_extraction', { text, fields }, warnings);
  },
};
