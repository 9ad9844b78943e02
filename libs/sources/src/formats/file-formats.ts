import type { SourceRow } from '@distillery/contracts';
import iconv from 'iconv-lite';
import type { ReadContext } from '../core/stream-source.js';
import { LocatorError, UnsupportedFormatError } from '../errors.js';
import { booleanOption, enumOption, positiveIntOption } from '../locator.js';
import type { RowOrigin } from '../row.js';
import type { ParsedLocator } from '../types.js';
import { readConll } from './conll.js';
import { type CsvOptions, readCsv } from './csv.js';
import { readJson } from './json.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import { readText, TEXT_UNITS } from './text.js';

export const FILE_FORMATS = ['jsonl', 'csv', 'tsv', 'parquet', 'json', 'text', 'conll'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Locator options each file format accepts. */
export const FORMAT_OPTIONS: Readonly<Record<FileFormat, readonly string[]>> = {
  jsonl: ['encoding'],
  csv: ['header', 'columns', 'delimiter', 'quote', 'encoding'],
  tsv: ['header', 'columns', 'delimiter', 'quote', 'encoding'],
  parquet: [],
  json: ['records', 'encoding'],
  text: ['unit', 'encoding'],
  conll: ['token_col', 'tag_col', 'encoding'],
};

/** Reads one local file of a known format, in batches of rows (a batch per chunk read, or one row at a time). */
export type FileReader = (path: string, origin: RowOrigin, ctx: ReadContext) => AsyncGenerator<SourceRow[]>;

/** A reader of one row at a time as a batch reader (one-row batches, so byte counters stay in step with the rows). */
async function* oneByOne(rows: AsyncGenerator<SourceRow>): AsyncGenerator<SourceRow[]> {
  for await (const row of rows) yield [row];
}

const delimiterOption = (parsed: ParsedLocator, fallback: string): string => {
  const v = parsed.options['delimiter'];
  if (v === undefined) return fallback;
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|', space: ' ' };
  const d = named[v.toLowerCase()] ?? v;
  if (d.length === 0 || /[\r\n"]/.test(d)) {
    throw new LocatorError(`option delimiter=${JSON.stringify(v)} in ${parsed.locator} is not usable as a delimiter`, parsed.locator);
  }
  return d;
};

const quoteOption = (parsed: ParsedLocator, fallback: string | null): string | null => {
  const v = parsed.options['quote'];
  if (v === undefined) return fallback;
  if (v === '' || v.toLowerCase() === 'none') return null;
  if (v.length !== 1) throw new LocatorError(`option quote=${JSON.stringify(v)} in ${parsed.locator} must be one character or "none"`, parsed.locator);
  return v;
};

function csvOptions(format: 'csv' | 'tsv', parsed: ParsedLocator): CsvOptions {
  const tsv = format === 'tsv';
  const columnsOpt = parsed.options['columns'];
  const columns = columnsOpt === undefined ? undefined : columnsOpt.split(',').map((c) => c.trim());
  if (columns && columns.some((c) => c === '')) throw new LocatorError(`option columns=${columnsOpt} in ${parsed.locator} has an empty name`, parsed.locator);
  return {
    delimiter: delimiterOption(parsed, tsv ? '\t' : ','),
    quote: quoteOption(parsed, tsv ? null : '"'),
    header: booleanOption(parsed, 'header', true),
    columns,
    encoding: parsed.options['encoding'],
  };
}

/** Builds the reader for a format from a locator's options (options are assumed to be checked already). */
export function fileReader(format: FileFormat, parsed: ParsedLocator): FileReader {
  const encoding = parsed.options['encoding'];
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding) && !iconv.encodingExists(encoding)) {
    throw new LocatorError(`unknown encoding "${encoding}" in ${parsed.locator} (any iconv-lite encoding name, e.g. windows-1252, latin1, shift_jis)`, parsed.locator);
  }
  switch (format) {
    case 'jsonl':
      return (path, origin, ctx) => readJsonl(path, origin, ctx, { encoding });
    case 'csv':
    case 'tsv': {
      const opts = csvOptions(format, parsed);
      return (path, origin, ctx) => readCsv(path, origin, ctx, opts);
    }
    case 'parquet':
      return (path, origin, ctx) => oneByOne(readParquet(path, origin, ctx));
    case 'json': {
      const records = parsed.options['records'];
      return (path, origin, ctx) => oneByOne(readJson(path, origin, ctx, { records, encoding }));
    }
    case 'text': {
      const unit = enumOption(parsed, 'unit', TEXT_UNITS, 'line');
      return (path, origin, ctx) => oneByOne(readText(path, origin, ctx, { unit, encoding }));
    }
    case 'conll': {
      const tokenColumn = positiveIntOption(parsed, 'token_col');
      const tagColumn = positiveIntOption(parsed, 'tag_col');
      return (path, origin, ctx) => oneByOne(readConll(path, origin, ctx, { tokenColumn, tagColumn, encoding }));
    }
  }
}

const EXTENSIONS: readonly [RegExp, FileFormat][] = [
  [/\.(jsonl|ndjson)(\.gz)?$/i, 'jsonl'],
  [/\.csv(\.gz)?$/i, 'csv'],
  [/\.(tsv|tab)(\.gz)?$/i, 'tsv'],
  [/\.parquet$/i, 'parquet'],
  [/\.json(\.gz)?$/i, 'json'],
  [/\.txt(\.gz)?$/i, 'text'],
  [/\.(conll|conllu|iob2|bio)$/i, 'conll'],
];

/** The format of a downloaded file, from its name (hub and Kaggle files). */
export function formatFromName(name: string, locator: string): FileFormat {
  for (const [re, format] of EXTENSIONS) if (re.test(name)) return format;
  const ext = /\.[^./]+$/.exec(name)?.[0] ?? '(no extension)';
  throw new UnsupportedFormatError(
    `${locator}: cannot read ${name}: no reader for ${ext} files (readable: .csv, .tsv, .jsonl, .json, .parquet, .txt, .conll)`,
    locator,
    ext,
  );
}
