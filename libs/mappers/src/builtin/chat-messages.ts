import { accept, isPlainObject, list, reject, sentinel, tooLong } from '../fields.js';
import type { ChatRole, Mapper } from '../types.js';

const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

/**
 * `{messages}` → chat_sft record `{messages: [{role, content}]}`.
 *
 * Each turn must be an object with a string `role` and a string `content` (other keys are dropped). Roles must be
 * user / assistant / system after options.role_aliases (e.g. OpenAssistant's `prompter` → `user`); content must be
 * non-blank (kept verbatim); at least one assistant turn. Anything else rejects as invalid_messages; a value that is
 * not a list as invalid_type. max_chars counts all contents.
 */
export const chatMessagesPassthrough: Mapper = {
  id: 'chat_messages_passthrough',
  task_profile: 'chat_sft',
  description: 'Multi-turn chat supervised fine-tuning: a list of {role, content} turns.',
  output_schema: { fields: { messages: '{role: system|user|assistant, content: string}[]' }, scoring_mode: 'response_similarity' },
  roles: [{ name: 'messages', required: true, description: 'the list of {role, content} turns' }],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const m = list(row, fieldMap, 'messages', { nullReason: 'invalid_messages', emptyReason: 'invalid_messages' });
    if (!m.ok) return m.rejected;
    const aliases = options?.role_aliases ?? {};
    const messages: Array<{ role: ChatRole; content: string }> = [];
    for (const [i, turn] of m.value.entries()) {
      if (!isPlainObject(turn)) return reject(row, 'invalid_messages', `turn ${i} is not an object`);
      const rawRole = turn['role'];
      const content = turn['content'];
      if (typeof rawRole !== 'string') return reject(row, 'invalid_messages', `turn ${i} has no string role`);
      const role = aliases[rawRole] ?? rawRole;
      if (!CHAT_ROLES.includes(role as ChatRole)) {
        return reject(row, 'invalid_messages', `turn ${i} has role '${rawRole}', not user / assistant / system`);
      }
      if (typeof content !== 'string') return reject(row, 'invalid_messages', `turn ${i} has no string content`);
      if (content.trim() === '') return reject(row, 'invalid_messages', `turn ${i} (${role}) has blank content`);
      messages.push({ role: role as ChatRole, content });
    }
    if (!messages.some((x) => x.role === 'assistant')) return reject(row, 'invalid_messages', 'no assistant turn');
    const chars = messages.reduce((n, x) => n + x.content.length, 0);
    return tooLong(row, options, chars) ?? accept(row, 'chat_sft', { messages });
  },
};
