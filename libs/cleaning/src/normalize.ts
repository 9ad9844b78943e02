import { fnv1a64 } from './hash.js';

const PUNCT_OR_SYMBOL = /[\p{P}\p{S}]+/gu;
const WHITESPACE = /\s+/gu;
// Zero-width and format characters (ZWSP, ZWNJ, ZWJ, BOM, soft hyphen, bidi marks) vanish rather than split words.
const INVISIBLE = /[\u00ad\u200b-\u200f\u2060\u202a-\u202e\ufeff]/gu;

/**
 * The text identity used by exact dedup and leakage checks: Unicode NFKC (full-width, ligatures and compatibility
 * forms fold to their plain form), lowercase (locale-independent), punctuation and symbols replaced by a space,
 * whitespace collapsed to one space, trimmed. `"Hello,  WORLD!"` and `"hello world"` normalise alike; `"e-mail"`
 * becomes `"e mail"` (not `"email"`). Digits and letters of every script are kept.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase().replace(PUNCT_OR_SYMBOL, ' ').replace(WHITESPACE, ' ').trim();
}

/** FNV-1a 64 of the normalised text, 16 hex digits: equal for texts that differ only by case, spacing or punctuation. */
export function contentHash(text: string): string {
  return fnv1a64(normalizeText(text));
}
