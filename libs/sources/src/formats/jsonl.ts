import type { SourceRow } from '@distillery/contracts';
import { fileBytes } from '../core/bytes.js';
import { decodeText, newDecodeInfo, textRowWarnings } from '../core/decode.js';
import { lineBatches } from '../core/lines.js';
import type { ReadContext } from '../core/stream-source.js';
import { makeRow, type RowOrigin, sentinelRow } from '../row.js';

export interface JsonlOptions {
  readonly encoding?: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * JSON Lines (plain or gzip-compressed): one record per non-blank line. An object line is the row's fields; any
 * other JSON value (a bare string, a number, an array) becomes `{ value }`; a line that is not JSON becomes a
 * sentinel row. Blank lines are not records; their count is reported as a warning.
 */
export async function* readJsonl(path: string, origin: RowOrigin, ctx: ReadContext, opts: JsonlOptions = {}): AsyncGenerator<SourceRow> {
  const info = newDecodeInfo();
  let position = 0;
  let blank = 0;
  for await (const batch of lineBatches(decodeText(fileBytes(path, ctx, 'jsonl'), ctx, info, opts.encoding))) {
    for (const line of batch) {
      if (line.trim() === '') {
        blank += 1;
        continue;
      }
      const warnings = textRowWarnings(info, line);
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        yield sentinelRow(origin, position, line, `line ${position + blank + 1}: not valid JSON (${(err as Error).message})`, warnings);
        position += 1;
        continue;
      }
      yield makeRow(origin, position, line, isPlainObject(value) ? value : { value }, warnings);
      position += 1;
    }
  }
  if (blank > 0) ctx.warn(`skipped ${blank} blank line${blank > 1 ? 's' : ''} (not records)`);
}
