import { accept, reject, sentinel, text, tooLong } from '../fields.js';
import type { MappingWarning } from '../reasons.js';
import type { Mapper } from '../types.js';

const TURN_MARKER = /\n\s*Assistant:/g;

/** Longest common prefix of two strings. */
function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/**
 * The HH-RLHF split: the prompt is the shared prefix of the two transcripts up to and including its last
 * "\n\nAssistant:" marker; the responses are the rest with leading whitespace removed. Without a marker in the shared
 * prefix there is no prompt to split off: undefined.
 */
export function splitSharedPrefix(chosen: string, rejected: string): { prompt: string; chosen: string; rejected: string } | undefined {
  const prefix = commonPrefix(chosen, rejected);
  let cut = -1;
  for (const m of prefix.matchAll(TURN_MARKER)) cut = m.index + m[0].length;
  if (cut < 0) return undefined;
  return { prompt: prefix.slice(0, cut), chosen: chosen.slice(cut).trimStart(), rejected: rejected.slice(cut).trimStart() };
}

/**
 * `{prompt?, chosen, rejected}` → dpo record `{prompt, chosen, rejected}`.
 *
 * Values are kept verbatim (transcript formatting is data); emptiness is judged trimmed. Without a prompt column the
 * prompt is split off the shared prefix of chosen / rejected (`splitSharedPrefix`, warning prompt_from_shared_prefix),
 * or is '' when they share no turn marker. A pair whose responses are equal after trimming rejects as
 * identical_pair. max_chars counts prompt + chosen + rejected.
 */
export const preferencePair: Mapper = {
  id: 'preference_pair',
  task_profile: 'dpo',
  description: 'Preference pairs for DPO / ORPO / reward models.',
  output_schema: { fields: { prompt: 'string', chosen: 'string', rejected: 'string' }, scoring_mode: 'preference_margin' },
  roles: [
    { name: 'prompt', required: false, description: 'the shared prompt (optional: split off chosen/rejected when absent)' },
    { name: 'chosen', required: true, description: 'the preferred response' },
    { name: 'rejected', required: true, description: 'the dispreferred response' },
  ],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const p = text(row, fieldMap, 'prompt', { trim: false, required: false });
    if (!p.ok) return p.rejected;
    const c = text(row, fieldMap, 'chosen', { trim: false });
    if (!c.ok) return c.rejected;
    const r = text(row, fieldMap, 'rejected', { trim: false });
    if (!r.ok) return r.rejected;
    let prompt = p.value ?? '';
    let chosen = c.value as string;
    let rejected = r.value as string;
    const warnings: MappingWarning[] = [];
    if (fieldMap['prompt'] === undefined) {
      const split = splitSharedPrefix(chosen, rejected);
      if (split) {
        ({ prompt, chosen, rejected } = split);
        warnings.push('prompt_from_shared_prefix');
        if (chosen.trim() === '' || rejected.trim() === '') {
          return reject(row, 'empty_text', `the ${chosen.trim() === '' ? 'chosen' : 'rejected'} response is blank after the shared prompt`);
        }
      }
    }
    if (chosen.trim() === rejected.trim()) return reject(row, 'identical_pair', 'chosen and rejected are the same text');
    return (
      tooLong(row, options, prompt.length + chosen.length + rejected.length) ??
      accept(row, 'dpo', { prompt, chosen, rejected }, warnings)
    );
  },
};
