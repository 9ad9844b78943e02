import { isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { LocatorError } from '../errors.js';
import type { ReadContext } from './stream-source.js';

/** How much of the start of a file is checked to choose its encoding. */
export const SNIFF_BYTES = 64 * 1024;

/** The source-level warning once invalid UTF-8 was met after the first 64 KiB of a UTF-8 file. */
export const INVALID_UTF8_WARNING =
  'bytes that are not valid UTF-8 were replaced with U+FFFD (the file mixes encodings?; pass ?encoding=<name> to decode it differently)';

export const MIXED_ENCODING_ROW_WARNING = 'contains bytes that are not valid UTF-8 (replaced with U+FFFD)';

/** What the decoder found; rows consult it for their warnings. */
export interface DecodeInfo {
  /** `utf-8`, or the iconv-lite encoding the bytes were decoded with. */
  encoding: string;
  /** Warnings every row of the file carries (`decoded as windows-1252`); one shared frozen array. */
  rowWarnings: readonly string[];
  /** Set once invalid UTF-8 was met after the sniffed prefix: rows containing U+FFFD then say so. */
  invalidUtf8: boolean;
}

export const newDecodeInfo = (): DecodeInfo => ({ encoding: 'utf-8', rowWarnings: [], invalidUtf8: false });

/** Length of the prefix of `buf` that does not end inside a multi-byte UTF-8 sequence. */
function completeUtf8Length(buf: Uint8Array): number {
  const n = buf.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i -= 1) {
    const b = buf[i] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > n ? i : n;
  }
  return n;
}

const normalizeName = (name: string): string => {
  const n = name.toLowerCase();
  if (n === 'utf8' || n === 'utf-8') return 'utf-8';
  // WHATWG maps the latin1 labels to windows-1252, a superset for every printable character.
  if (n === 'iso-8859-1' || n === 'latin1' || n === 'ascii' || n === 'us-ascii') return 'windows-1252';
  return n;
};

/**
 * Decodes text bytes to strings, streaming. The encoding is the `encoding` option when given; otherwise a UTF-8
 * / UTF-16 BOM decides; otherwise the first 64 KiB are checked: valid UTF-8 → UTF-8, else chardet's guess (falling
 * back to windows-1252) with a warning. Bytes that turn out invalid later in a UTF-8 file (mixed encodings) decode
 * to U+FFFD with a warning. It never throws on bad bytes.
 */
export async function* decodeText(
  bytes: AsyncIterable<Buffer>,
  ctx: ReadContext,
  info: DecodeInfo,
  explicitEncoding?: string,
): AsyncGenerator<string> {
  const it = bytes[Symbol.asyncIterator]();
  try {
    const head: Buffer[] = [];
    let headLength = 0;
    let ended = false;
    while (headLength < SNIFF_BYTES) {
      const next = await it.next();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      headLength += next.value.length;
    }
    let prefix = Buffer.concat(head);
    const rest = async function* (): AsyncGenerator<Buffer> {
      if (ended) return;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    };

    let encoding: string;
    if (explicitEncoding !== undefined) {
      encoding = normalizeName(explicitEncoding);
      if (encoding !== 'utf-8' && !iconv.encodingExists(encoding)) {
        throw new LocatorError(`unknown encoding "${explicitEncoding}" in ${ctx.locator}`, ctx.locator);
      }
    } else if (prefix[0] === 0xef && prefix[1] === 0xbb && prefix[2] === 0xbf) {
      encoding = 'utf-8';
    } else if ((prefix[0] === 0xff && prefix[1] === 0xfe) || (prefix[0] === 0xfe && prefix[1] === 0xff)) {
      encoding = prefix[0] === 0xff ? 'utf-16le' : 'utf-16be';
      ctx.warn(`decoded as ${encoding} (byte order mark)`);
    } else if (isUtf8(prefix.subarray(0, ended ? prefix.length : completeUtf8Length(prefix)))) {
      encoding = 'utf-8';
    } else {
      const guess = chardet.detect(prefix);
      const name = guess === null ? 'windows-1252' : normalizeName(guess);
      encoding = name === 'utf-8' || !iconv.encodingExists(name) ? 'windows-1252' : name;
      ctx.warn(
        `decoded as ${encoding}: the first 64 KiB are not valid UTF-8 (encoding guessed${guess ? ` by chardet as ${guess}` : ''}; pass ?encoding=<name> to override)`,
      );
      info.rowWarnings = Object.freeze([`decoded as ${encoding}`]);
    }
    info.encoding = encoding;

    if (encoding !== 'utf-8') {
      const decoder = iconv.getDecoder(encoding as Parameters<typeof iconv.getDecoder>[0]);
      const first = decoder.write(prefix);
      if (first) yield first;
      for await (const chunk of rest()) {
        const s = decoder.write(chunk);
        if (s) yield s;
      }
      const last = decoder.end();
      if (last) yield last;
      return;
    }

    if (prefix[0] === 0xef && prefix[1] === 0xbb && prefix[2] === 0xbf) prefix = prefix.subarray(3);
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    const flagInvalid = () => {
      if (info.invalidUtf8) return;
      info.invalidUtf8 = true;
      ctx.warn(INVALID_UTF8_WARNING);
    };
    let carry: Buffer = Buffer.alloc(0);
    const decodeChunk = (chunk: Buffer): string => {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const cut = completeUtf8Length(buf);
      carry = Buffer.from(buf.subarray(cut));
      const complete = buf.subarray(0, cut);
      if (!info.invalidUtf8 && !isUtf8(complete)) flagInvalid();
      return utf8.decode(complete);
    };
    const first = decodeChunk(prefix);
    if (first) yield first;
    for await (const chunk of rest()) {
      const s = decodeChunk(chunk);
      if (s) yield s;
    }
    if (carry.length > 0) {
      flagInvalid();
      yield utf8.decode(carry);
    }
  } finally {
    // closes the file when the reader stops early (limit, describe, abort)
    await it.return?.();
  }
}

/** The warnings a row of decoded text carries. */
export function textRowWarnings(info: DecodeInfo, text: string): readonly string[] | undefined {
  if (info.invalidUtf8 && text.includes('\uFFFD')) {
    return info.rowWarnings.length > 0 ? [...info.rowWarnings, MIXED_ENCODING_ROW_WARNING] : [MIXED_ENCODING_ROW_WARNING];
  }
  return info.rowWarnings.length > 0 ? info.rowWarnings : undefined;
}
