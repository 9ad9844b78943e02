import type { SourceRow } from '@distillery/contracts';
import { fileBytes } from '../core/bytes.js';
import { decodeText, newDecodeInfo, textRowWarnings } from '../core/decode.js';
import { splitLines } from '../core/lines.js';
import type { ReadContext } from '../core/stream-source.js';
import { makeRow, type RowOrigin } from '../row.js';

export const TEXT_UNITS = ['line', 'paragraph', 'document'] as const;
export type TextUnit = (typeof TEXT_UNITS)[number];

/**
 * Plain text as rows `{ text }`: one per non-blank line (blank lines skipped and counted in a warning), one per
 * paragraph (runs of non-blank lines, joined with `\n`), or one for the whole document (line breaks normalised to
 * `\n`). BOM, CRLF and lone CR are handled; the encoding is detected like CSV's.
 */
export async function* readText(path: string, origin: RowOrigin, ctx: ReadContext, opts: { unit: TextUnit; encoding?: string }): AsyncGenerator<SourceRow> {
  const info = newDecodeInfo();
  const lines = splitLines(decodeText(fileBytes(path, ctx, 'text'), ctx, info, opts.encoding), true);
  let position = 0;
  const row = (text: string) => {
    const r = makeRow(origin, position, text, { text }, textRowWarnings(info, text));
    position += 1;
    return r;
  };
  if (opts.unit === 'line') {
    let blank = 0;
    for await (const line of lines) {
      if (line.trim() === '') blank += 1;
      else yield row(line);
    }
    if (blank > 0) ctx.warn(`skipped ${blank} blank line${blank > 1 ? 's' : ''} (unit=line yields one row per non-blank line)`);
    return;
  }
  if (opts.unit === 'paragraph') {
    let para: string[] = [];
    for await (const line of lines) {
      if (line.trim() === '') {
        if (para.length > 0) yield row(para.join('\n'));
        para = [];
      } else para.push(line);
    }
    if (para.length > 0) yield row(para.join('\n'));
    return;
  }
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  if (all.length > 0) {
    ctx.declareRowCount(1);
    yield row(all.join('\n'));
  }
}
