import type { SourceRow } from '@distillery/contracts';
import { fileBytes } from '../core/bytes.js';
import { decodeText, type DecodeInfo, newDecodeInfo, textRowWarnings } from '../core/decode.js';
import type { ReadContext } from '../core/stream-source.js';
import { UnsupportedFormatError } from '../errors.js';
import { makeRow, type RowOrigin, sentinelRow } from '../row.js';
import { type CsvItem, csvScanner, type CsvScanOptions } from './csv-scanner.js';

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
 * A record longer than this (characters) is almost always a runaway quote. The parser cannot resume after such a
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

/** Names of extra cells past the header: `column_<n>`, made unique against the names already used. */
function growNames(names: string[], upTo: number): void {
  while (names.length <= upTo) {
    const used = new Set(names);
    let name = `column_${names.length + 1}`;
    for (let k = 2; used.has(name); k += 1) name = `column_${names.length + 1}_${k}`;
    names.push(name);
  }
}

/** What a CSV reader must know to turn records into rows from some record on (parallel imports start mid-file). */
export interface CsvRowsState {
  /** The next record's position. */
  position: number;
  /** Column names (header or `columns=`); undefined until the header record is read. */
  names: string[] | undefined;
  /** The raw header cells (for the second-header-row check). */
  rawHeader: readonly string[];
  /** How many names the header / `columns=` gave (`names` grows past it as extra cells are met). */
  declared: number;
  /** The first data row was checked for looking like a second header row. */
  checkedFirstRow: boolean;
}

export const initialCsvRowsState = (opts: CsvOptions): CsvRowsState => ({
  position: 0,
  names: opts.header ? undefined : [...(opts.columns ?? [])],
  rawHeader: [],
  declared: opts.header ? 0 : (opts.columns?.length ?? 0),
  checkedFirstRow: false,
});

/**
 * Records → rows: the header, ragged-row warnings, the second-header-row check, sentinel rows for records the parser
 * rejected. The one place CSV records become rows: the streaming reader and the parallel import both use it.
 */
export class CsvRows {
  constructor(
    private readonly origin: RowOrigin,
    private readonly opts: CsvOptions,
    private readonly info: DecodeInfo,
    private readonly ctx: Pick<ReadContext, 'warn' | 'declareColumns'>,
    readonly state: CsvRowsState,
  ) {}

  /** Appends the rows of `items` to `rows`; throws UnsupportedFormatError after the sentinel of an oversized record. */
  add(items: readonly CsvItem[], rows: SourceRow[]): void {
    const st = this.state;
    const { origin, info } = this;
    for (const item of items) {
      if ('error' in item) {
        const raw = item.raw;
        rows.push(sentinelRow(origin, st.position, raw, `${item.error.code}: ${item.error.message}`, textRowWarnings(info, raw)));
        st.position += 1;
        if (item.error.code === 'CSV_MAX_RECORD_SIZE') {
          throw new UnsupportedFormatError(
            `${origin.locator}: record ${st.position} is longer than ${MAX_RECORD_CHARS} characters (a quote that never closes?); ` +
              `reading stopped there — fix the file, or pass ?quote=none if the file does not quote fields`,
            origin.locator,
            'oversized CSV record',
          );
        }
        continue;
      }
      const cells = item.cells;
      if (st.names === undefined) {
        st.rawHeader = cells;
        st.names = this.opts.columns ? [...this.opts.columns] : normalizeHeader(cells);
        st.declared = st.names.length;
        this.ctx.declareColumns([...st.names]);
        continue;
      }
      const names = st.names;
      if (names.length < cells.length) growNames(names, cells.length - 1);
      const fields: Record<string, unknown> = {};
      for (let i = 0; i < cells.length; i += 1) fields[names[i] as string] = cells[i];
      const raw = item.raw;
      const base = textRowWarnings(info, raw);
      const declared = st.declared;
      let extra: string[] | undefined;
      if (cells.length < declared && declared > 0) {
        extra = [`fewer cells than the header (${cells.length} of ${declared}); missing cells are left out`];
      } else if (declared > 0 && cells.length > declared) {
        extra = [`more cells than the header (${cells.length} of ${declared}); extra cells named column_<n>`];
      }
      if (!st.checkedFirstRow) {
        st.checkedFirstRow = true;
        if (this.opts.header && looksLikeHeader(st.rawHeader, cells)) {
          (extra ??= []).push(HEADER_LIKE_ROW_WARNING);
          this.ctx.warn(`the first data row ${HEADER_LIKE_ROW_WARNING} — pass ?header=false to read both rows as data, or drop it downstream`);
        }
      }
      rows.push(makeRow(origin, st.position, raw, fields, extra ? [...(base ?? []), ...extra] : base));
      st.position += 1;
    }
  }
}

/** Lone surrogates (a UTF-16 file can hold them) become U+FFFD, as csv-parse's conversion to UTF-8 bytes did. */
const wellFormed = (text: string): string =>
  /[\uD800-\uDFFF]/.test(text) ? text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD') : text;

export const csvScanOptions = (opts: CsvOptions): CsvScanOptions => ({ delimiter: opts.delimiter, quote: opts.quote, maxRecordSize: MAX_RECORD_CHARS });

/**
 * CSV / TSV, streaming (`csv-scanner.ts`: csv-parse's behaviour, faster). Quoted fields, newlines and CRs inside
 * quotes, doubled quotes, BOM and CRLF are handled by the scanner; encoding detection by decodeText. Ragged records
 * keep every cell: extra cells are named `column_<n>`, missing cells are absent (with a row warning). A record the
 * parser rejects (an unclosed quote at end of file, an oversized record) is a sentinel row. One batch per chunk read.
 */
export async function* readCsv(path: string, origin: RowOrigin, ctx: ReadContext, opts: CsvOptions): AsyncGenerator<SourceRow[]> {
  const info = newDecodeInfo();
  const scanner = csvScanner(csvScanOptions(opts));
  const state = initialCsvRowsState(opts);
  if (state.names) ctx.declareColumns(state.names);
  const rowsOf = new CsvRows(origin, opts, info, ctx, state);
  const items: CsvItem[] = [];
  /** The rows of the items so far; an oversized record stops the read after its sentinel row, which comes first. */
  const take = function* (): Generator<SourceRow[]> {
    const rows: SourceRow[] = [];
    try {
      rowsOf.add(items, rows);
    } catch (err) {
      if (rows.length > 0) yield rows;
      throw err;
    } finally {
      items.length = 0;
    }
    if (rows.length > 0) yield rows;
  };
  try {
    for await (const text of decodeText(fileBytes(path, ctx, opts.delimiter === '\t' ? 'tsv' : 'csv'), ctx, info, opts.encoding)) {
      const pending = scanner.write(info.encoding === 'utf-8' ? text : wellFormed(text), items);
      if (pending) await pending;
      if (items.length > 0) yield* take();
    }
    const pending = scanner.end(items);
    if (pending) await pending;
    yield* take();
  } finally {
    scanner.destroy();
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
