import { eosTokenIds, type DecoderConfig, type ModelTokenizer } from '@distillery/models';

/** Ids of a `eos_token_id` field (generation_config.json or config.json): a number, a list, or nothing. */
export function idsOf(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (Array.isArray(value)) return value.filter((x): x is number => typeof x === 'number' && Number.isInteger(x));
  return [];
}

/**
 * The token the chat template closes an assistant turn with (`<|im_end|>` for ChatML, `<|eot_id|>` for Llama 3): the
 * first token after the assistant's content in a rendered conversation, when it is a special token. A model trained
 * through the template emits it at the end of every answer; if it is not a stop token, the export "never stops".
 */
export function endOfTurnId(tokenizer: ModelTokenizer): number | undefined {
  if (tokenizer.chatTemplate === undefined) return undefined;
  const marker = 'DISTILLERY_END_OF_TURN_PROBE';
  let rendered: string;
  try {
    rendered = tokenizer.renderChat([{ role: 'user', content: 'ping' }, { role: 'assistant', content: marker }], { addGenerationPrompt: false });
  } catch {
    return undefined;
  }
  const at = rendered.lastIndexOf(marker);
  if (at < 0) return undefined;
  const after = rendered.slice(at + marker.length);
  const first = after === '' ? undefined : tokenizer.encode(after, { addSpecialTokens: false })[0];
  return first !== undefined && tokenizer.addedTokens.some((t) => t.id === first && t.special) ? first : undefined;
}

/**
 * Every id that ends a generation of the exported model: config.json's and generation_config.json's eos ids, the
 * tokenizer's eos token, and the template's end-of-turn token. Sorted, without duplicates.
 */
export function stopTokenIds(config: DecoderConfig, tokenizer: ModelTokenizer, generationConfig: Readonly<Record<string, unknown>> | undefined): number[] {
  const eot = endOfTurnId(tokenizer);
  const ids = [...eosTokenIds(config), ...idsOf(generationConfig?.['eos_token_id']), ...(tokenizer.eos ? [tokenizer.eos.id] : []), ...(eot === undefined ? [] : [eot])];
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** generation_config.json of an export: the source's, with every stop id as `eos_token_id` (and bos / pad from the config). */
export function exportGenerationConfig(config: DecoderConfig, source: Readonly<Record<string, unknown>> | undefined, stopIds: readonly number[]): Record<string, unknown> {
  return {
    ...(source ?? {}),
    ...(config.bos_token_id !== null ? { bos_token_id: config.bos_token_id } : {}),
    // The primary eos first: the tokenizer's / config's own, as transformers and llama.cpp take the first as `eos`.
    eos_token_id: stopIds.length === 1 ? stopIds[0] : orderedStops(config, stopIds),
    ...(config.pad_token_id !== null ? { pad_token_id: config.pad_token_id } : {}),
  };
}

function orderedStops(config: DecoderConfig, stopIds: readonly number[]): number[] {
  const primary = eosTokenIds(config).filter((id) => stopIds.includes(id));
  return [...new Set([...primary, ...stopIds])];
}
