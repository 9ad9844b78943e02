import { accept, sentinel, text, tooLong } from '../fields.js';
import type { Mapper } from '../types.js';

/** `{text}` → language-modelling record `{text}`, verbatim (not trimmed: indentation and spacing are data). */
export const textOnly: Mapper = {
  id: 'text_only',
  task_profile: 'language_modeling',
  description: 'Plain text for (continued) language-model training; no labels.',
  output_schema: { fields: { text: 'string' }, scoring_mode: 'perplexity' },
  roles: [{ name: 'text', required: true, description: 'the text to model' }],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const t = text(row, fieldMap, 'text', { trim: false });
    if (!t.ok) return t.rejected;
    const value = t.value as string;
    return tooLong(row, options, value.length) ?? accept(row, 'language_modeling', { text: value });
  },
};
