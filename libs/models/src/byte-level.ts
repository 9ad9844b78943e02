/**
 * The GPT-2 byte-level scheme shared by the BPE trainer and the tokenizer.json it writes: every byte maps to one
 * printable character (the printable Latin-1 bytes to themselves, the other 68 to U+0100…U+0143 in byte order),
 * so any UTF-8 text is a string over 256 symbols and no input is ever unknown.
 */

const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);

function buildByteToUnicode(): readonly string[] {
  const out: string[] = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = String.fromCharCode(printable(b) ? b : 256 + next++);
  }
  return out;
}

/** byte → its character. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();
/** character → its byte. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

/**
 * The GPT-2 pre-tokenizer pattern (contractions, letters, numbers, other symbols, each optionally after one space;
 * whitespace runs keep their last space for the next word). It matches every character of any string, so
 * pre-tokenization loses nothing. This is the pattern the ByteLevel pre-tokenizer with `use_regex: true` applies.
 */
export const GPT2_PRETOKENIZE_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const utf8 = new TextEncoder();

/** A text piece → its byte-level string. */
export function toByteLevel(piece: string): string {
  let s = '';
  for (const b of utf8.encode(piece)) s += BYTE_TO_UNICODE[b];
  return s;
}

/** A byte-level string → the bytes it stands for (throws on a character outside the 256). */
export function fromByteLevel(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = UNICODE_TO_BYTE.get(s[i] as string);
    if (b === undefined) throw new Error(`${JSON.stringify(s[i])} is not a byte-level character`);
    out[i] = b;
  }
  return out;
}

/** Splits text into pre-tokens (the pieces BPE merges never cross). */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_PRETOKENIZE_PATTERN) ?? [];
}
