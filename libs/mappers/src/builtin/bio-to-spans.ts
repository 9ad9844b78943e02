import { decodeBio } from '../bio.js';
import { accept, list, reject, sentinel, tooLong } from '../fields.js';
import type { MappingWarning } from '../reasons.js';
import type { Mapper } from '../types.js';

/**
 * `{tokens, tags}` (BIO / IOB2, IOBES, BILOU) → span_set record `{text, tokens, spans}`.
 *
 * `text` = tokens joined with single spaces; each span is `{type, start, end, text, token_start, token_end}` with
 * character offsets into `text` and token indexes, both end-exclusive (see `decodeBio`). Tokens must be strings
 * (numbers become strings). Tags must be strings, or integers with options.tag_names. Orphan I- tags are repaired
 * with the warning bio_repaired (default) or rejected as invalid_bio with options.bio_mode 'strict'. max_chars
 * counts `text`.
 */
export const bioToSpans: Mapper = {
  id: 'bio_to_spans',
  task_profile: 'structured_extraction',
  description: 'Token classification (NER, PII): BIO-tagged tokens become typed character spans.',
  output_schema: {
    fields: { text: 'string', tokens: 'string[]', spans: '{type, start, end, text, token_start, token_end}[]' },
    scoring_mode: 'span_set',
  },
  roles: [
    { name: 'tokens', required: true, description: 'the list of tokens' },
    { name: 'tags', required: true, description: 'one BIO tag per token (strings, or integer ids with tag_names)' },
  ],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const tk = list(row, fieldMap, 'tokens', { nullReason: 'missing_text', emptyReason: 'empty_text' });
    if (!tk.ok) return tk.rejected;
    const tg = list(row, fieldMap, 'tags', { nullReason: 'missing_label', emptyReason: 'length_mismatch' });
    if (!tg.ok) return tg.rejected;

    const tokens: string[] = [];
    for (const [i, t] of tk.value.entries()) {
      if (typeof t === 'string') tokens.push(t);
      else if (typeof t === 'number' && Number.isFinite(t)) tokens.push(String(t));
      else return reject(row, 'invalid_type', `token ${i} is not a string`);
    }
    const names = options?.tag_names;
    const tags: string[] = [];
    for (const [i, t] of tg.value.entries()) {
      if (typeof t === 'string') tags.push(t);
      else if (typeof t === 'number' && Number.isInteger(t)) {
        if (!names) return reject(row, 'invalid_type', `tag ${i} is the number ${t}: pass options.tag_names to decode tag ids`);
        const name = names[t];
        if (name === undefined) return reject(row, 'invalid_bio', `tag id ${t} at token ${i} has no name in tag_names`);
        tags.push(name);
      } else return reject(row, 'invalid_type', `tag ${i} is not a string`);
    }
    if (tokens.length !== tags.length) {
      return reject(row, 'length_mismatch', `${tokens.length} tokens but ${tags.length} tags`);
    }
    const decoded = decodeBio(tokens, tags, options?.bio_mode ?? 'repair');
    if (!decoded.ok) return reject(row, 'invalid_bio', decoded.detail);
    const warnings: MappingWarning[] = decoded.repaired > 0 ? ['bio_repaired'] : [];
    return (
      tooLong(row, options, decoded.text.length) ??
      accept(row, 'structured_extraction', { text: decoded.text, tokens, spans: decoded.spans }, warnings)
    );
  },
};
