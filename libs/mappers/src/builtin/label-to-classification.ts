import { accept, normalizeLabel, raw, reject, sentinel, text, tooLong, typeName } from '../fields.js';
import type { Mapper } from '../types.js';

/**
 * `{text, label}` → classification record `{text, label}`. Text is trimmed; the label is normalised to a string
 * (`normalizeLabel`: 0/1 numbers → "0"/"1", booleans → "true"/"false", strings trimmed). max_chars counts the text.
 */
export const labelToClassification: Mapper = {
  id: 'label_to_classification',
  task_profile: 'classification',
  description: 'Text classification: one text column and one label column.',
  output_schema: { fields: { text: 'string', label: 'string' }, scoring_mode: 'label_likelihood' },
  roles: [
    { name: 'text', required: true, description: 'the input text' },
    { name: 'label', required: true, description: 'the class label (string or number; normalised to a string)' },
  ],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const t = text(row, fieldMap, 'text');
    if (!t.ok) return t.rejected;
    const l = raw(row, fieldMap, 'label');
    if (!l.ok) return l.rejected;
    const label = normalizeLabel(l.value);
    if (label === null) return reject(row, 'invalid_type', `label must be a string, number or boolean, got ${typeName(l.value)}`);
    if (label === undefined) return reject(row, 'missing_label', `label column '${fieldMap['label'] ?? ''}' is empty`);
    const allowed = options?.allowed_labels;
    if (allowed && !allowed.some((a) => a.trim() === label)) {
      return reject(row, 'label_not_allowed', `label ${JSON.stringify(label)} is not one of ${allowed.length} allowed labels`);
    }
    const value = t.value as string;
    return tooLong(row, options, value.length) ?? accept(row, 'classification', { text: value, label });
  },
};
