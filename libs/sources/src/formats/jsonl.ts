import type { SourceRow } from '@distillery/contracts';
import { fileBytes } from '../core/bytes.js';
import { decodeText, type DecodeInfo, newDecodeInfo, textRowWarnings } from '../core/decode.js';
import { lineBatches } from '../core/lines.js';
import type { ReadContext } from '../core/stream-source.js';
import { makeRow, type RowOrigin, sentinelRow } from '../row.js';

export interface JsonlOptions {
  readonly encoding?: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a JSONL reader is in its file: records so far (the next position) and blank lines so far. */
export interface JsonlState {
  position: number;
  blank: number;
}

/**
 * Rows of consecutive lines of a JSONL file (terminators removed), continuing from `state`, which it advances.
 * The one place JSONL lines become rows: the streaming reader and the parallel import both call it.
 */
export function jsonlRows(lines: readonly string[], origin: RowOrigin, info: DecodeInfo, state: JsonlState): SourceRow[] {
  const rows: SourceRow[] = [];
  let { position, blank } = state;
  for (const line of lines) {
    if (line.trim() === '') {
      blank += 1;
      continue;
    }
    const warnings = textRowWarnings(info, line);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      rows.push(sentinelRow(origin, position, line, `line ${position + blank + 1}: not valid JSON (${(err as Error).message})`, warnings));
      position += 1;
      continue;
    }
    rows.push(makeRow(origin, position, line, isPlainObject(value) ? value : { value }, warnings));
    position += 1;
  }
  state.position = position;
  state.blank = blank;
  return rows;
}

export const blankLinesWarning = (blank: number): string => `skipped ${blank} blank line${blank > 1 ? 's' : ''} (not records)`;

/**
 * JSON Lines (plain or gzip-compressed): one record per non-blank line. An object line is the row's fields; any
 * other JSON value (a bare string, a number, an array) becomes `{ value }`; a line that is not JSON becomes a
 * sentinel row. Blank lines are not records; their count is reported as a warning. One batch of rows per chunk read.
 */
export async function* readJsonl(path: string, origin: RowOrigin, ctx: ReadContext, opts: JsonlOptions = {}): AsyncGenerator<SourceRow[]> {
  const info = newDecodeInfo();
  const state: JsonlState = { position: 0, blank: 0 };
  for await (const batch of lineBatches(decodeText(fileBytes(path, ctx, 'jsonl'), ctx, info, opts.encoding))) {
    const rows = jsonlRows(batch, origin, info, state);
    if (rows.length > 0) yield rows;
  }
  if (state.blank > 0) ctx.warn(blankLinesWarning(state.blank));
}
