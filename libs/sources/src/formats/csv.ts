import type { SourceRow } from '@distillery/contracts';
import { type CsvError, parse } from 'csv-parse';
import { fileBytes } from '../core/bytes.js';
import { decodeText, newDecodeInfo, textRowWarnings } from '../core/decode.js';
import type { ReadContext } from '../core/stream-source.js';
import { UnsupportedFormatError } from '../errors.js';
import { makeRow, type RowOrigin, sentinelRow } from '../row.js';

export interface CsvOptions {
  /** `,` for csv:, TAB for tsv:. */
  readonly delimiter: string;
  /** The quote character; null = no quoting (the tsv: default: TSV files rarely quote, and stray quotes are common). */
  readonly quote: string | null;
  /** First record is a header (default true). */
  readonly header: boolean;
  /** Column names to use instead of the header's (with header=true the header record is still consumed). */
  readonly columns?: readonly string[];
  readonly encoding?: string;
}

/**
 * A record longer than this (characters) is almost always a runaway quote. csv-parse cannot resume after such a
 * record, so it becomes a sentinel row and reading stops with an UnsupportedFormatError.
 */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

const NUMERIC = /^\s*[-+]?(\d[\d,]*(\.\d+)?|\.\d+)\s*%?\s*$/;

export const HEADER_LIKE_ROW_WARNING = 'looks like a second header row (2-row header?); kept as data';

/** Unique, non-blank column names: blank → `column_<n>` (1-based position), repeated → `name_2`, `name_3`… */
export function normalizeHeader(raw: readonly string[]): string[] {
  const names: string[] = [];
  const used = new Set<string>();
  const unique = (base: string): string => {
    if (!used.has(base)) return base;
    for (let k = 2; ; k += 1) if (!used.has(`${base}_${k}`)) return `${base}_${k}`;
  };
  // Reserve the non-blank names first, so a real "column_3" header keeps its name.
  const trimmed = raw.map((h) => h.trim());
  trimmed.forEach((h, i) => {
    const name = h === '' ? `column_${i + 1}` : unique(h);
    if (h !== '') used.add(name);
    names.push(name);
  });
  trimmed.forEach((h, i) => {
    if (h === '') {
      const name = unique(`column_${i + 1}`);
      used.add(name);
      names[i] = name;
    }
  });
  return names;
}

type Queued = { readonly cells: string[]; readonly raw: string; readonly line: number } | { readonly error: CsvError; readonly raw: string };

/** csv-parse's raw text may start with the previous record's LF (CRLF files) and ends with the terminator. */
const stripTerminator = (raw: string): string => raw.replace(/^[\r\n]+/, '').replace(/(\r\n|\n|\r)$/, '');

/**
 * CSV / TSV with csv-parse, streaming. Quoted fields, newlines and CRs inside quotes, doubled quotes, BOM and CRLF
 * are handled by the parser; encoding detection by decodeText. Ragged records keep every cell: extra cells are
 * named `column_<n>`, missing cells are absent (with a row warning). A record the parser rejects (an unclosed quote
 * at end of file, an oversized record) is a sentinel row.
 */
export async function* readCsv(path: string, origin: RowOrigin, ctx: ReadContext, opts: CsvOptions): AsyncGenerator<SourceRow> {
  const info = newDecodeInfo();
  const queue: Queued[] = [];
  let failure: unknown;
  const parser = parse({
    delimiter: opts.delimiter,
    quote: opts.quote ?? false,
    bom: true,
    // Both endings, always: auto-detection takes the first record's, and a file with a CRLF header and LF rows
    // would otherwise be read as fewer, merged rows. A bare CR stays inside its cell.
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
    raw: true,
    // with raw: true, csv-parse hands on_record `{ record, raw }`
    on_record: (rec, context) => {
      const { record, raw } = rec as unknown as { record: string[]; raw?: string };
      queue.push({ cells: record, raw: raw ?? context.raw ?? '', line: context.lines });
      return null;
    },
    on_skip: (err, raw) => {
      queue.push({ error: err as CsvError, raw: raw ?? '' });
      return undefined;
    },
  });
  parser.on('error', (err) => {
    failure ??= err;
  });
  parser.resume();
  const write = (s: string) =>
    new Promise<void>((resolve, reject) => {
      parser.write(s, (err) => (err ? reject(err) : resolve()));
    });
  const end = () =>
    new Promise<void>((resolve, reject) => {
      parser.end(() => (failure ? reject(failure) : resolve()));
    });

  let names: string[] | undefined = opts.header ? undefined : [...(opts.columns ?? [])];
  /** Names from the header / the columns option; `names` grows past it as extra cells are met. */
  let declared = names?.length ?? 0;
  let rawHeader: readonly string[] = [];
  let position = 0;
  let checkedFirstRow = false;
  if (names) ctx.declareColumns(names);

  const nameAt = (i: number): string => {
    const list = names as string[];
    while (list.length <= i) {
      const used = new Set(list);
      let name = `column_${list.length + 1}`;
      for (let k = 2; used.has(name); k += 1) name = `column_${list.length + 1}_${k}`;
      list.push(name);
    }
    return list[i] as string;
  };

  const toRows = function* (): Generator<SourceRow> {
    for (const item of queue) {
      if ('error' in item) {
        const raw = stripTerminator(item.raw);
        yield sentinelRow(origin, position, raw, `${item.error.code}: ${item.error.message}`, textRowWarnings(info, raw));
        position += 1;
        if (item.error.code === 'CSV_MAX_RECORD_SIZE') {
          throw new UnsupportedFormatError(
            `${origin.locator}: record ${position} is longer than ${MAX_RECORD_CHARS} characters (a quote that never closes?); ` +
              `reading stopped there — fix the file, or pass ?quote=none if the file does not quote fields`,
            origin.locator,
            'oversized CSV record',
          );
        }
        continue;
      }
      if (names === undefined) {
        rawHeader = item.cells;
        names = opts.columns ? [...opts.columns] : normalizeHeader(item.cells);
        declared = names.length;
        ctx.declareColumns([...names]);
        continue;
      }
      const fields: Record<string, unknown> = {};
      item.cells.forEach((cell, i) => {
        fields[nameAt(i)] = cell;
      });
      const raw = stripTerminator(item.raw);
      const base = textRowWarnings(info, raw);
      const extra: string[] = [];
      if (item.cells.length < declared && declared > 0) {
        extra.push(`fewer cells than the header (${item.cells.length} of ${declared}); missing cells are left out`);
      } else if (declared > 0 && item.cells.length > declared) {
        extra.push(`more cells than the header (${item.cells.length} of ${declared}); extra cells named column_<n>`);
      }
      if (!checkedFirstRow) {
        checkedFirstRow = true;
        if (opts.header && looksLikeHeader(rawHeader, item.cells)) {
          extra.push(HEADER_LIKE_ROW_WARNING);
          ctx.warn(`the first data row ${HEADER_LIKE_ROW_WARNING} — pass ?header=false to read both rows as data, or drop it downstream`);
        }
      }
      const warnings = extra.length > 0 ? [...(base ?? []), ...extra] : base;
      yield makeRow(origin, position, raw, fields, warnings);
      position += 1;
    }
    queue.length = 0;
  };

  try {
    for await (const text of decodeText(fileBytes(path, ctx, opts.delimiter === '\t' ? 'tsv' : 'csv'), ctx, info, opts.encoding)) {
      await write(text);
      yield* toRows();
    }
    await end();
    yield* toRows();
  } finally {
    parser.destroy();
  }
}

/**
 * The StarWars.csv pattern: the header leaves cells blank (questions spanning several columns) and the first data
 * row fills them with option names, with no numbers anywhere in it.
 */
function looksLikeHeader(header: readonly string[], cells: readonly string[]): boolean {
  const blank = header.map((h, i) => (h.trim() === '' ? i : -1)).filter((i) => i >= 0);
  if (blank.length === 0) return false;
  const filled = blank.filter((i) => (cells[i] ?? '').trim() !== '').length;
  if (filled * 2 < blank.length) return false;
  const nonEmpty = cells.filter((c) => c.trim() !== '');
  return nonEmpty.length >= 2 && !nonEmpty.some((c) => NUMERIC.test(c));
}
