import type { ModelTokenizer } from '@distillery/models';
import type { ChatTokenizer } from '@distillery/tasks';

/** The task handlers' view of a model's tokenizer: plain encoding (special tokens in the text are still recognised). */
export function chatTokenizerOf(tok: ModelTokenizer): ChatTokenizer {
  if (!tok.eos) throw new Error(`${tok.source}: the tokenizer has no eos_token; training needs one to end sequences`);
  const eos = tok.eos;
  return {
    encode: (text) => tok.encode(text, { addSpecialTokens: false }),
    decode: (ids) => tok.decode([...ids]),
    renderChat: (messages, o) => tok.renderChat(messages.map((m) => ({ role: m.role, content: m.content })), { addGenerationPrompt: o.addGenerationPrompt }),
    eosTokenId: eos.id,
    eosToken: eos.content,
  };
}
