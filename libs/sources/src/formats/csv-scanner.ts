import { type CsvError, parse } from 'csv-parse';

/**
 * The CSV record splitter behind `csv:` / `tsv:`. It gives exactly what csv-parse gave with the options readCsv
 * always used (`relax_quotes`, `relax_column_count`, `skip_empty_lines`, `skip_records_with_error`, `raw`, `bom`,
 * record delimiters `\r\n` and `\n`, `"` as quote and escape) — the same cells, the same raw text, the same error
 * codes and messages (line numbers included) — but splits on whole strings (`indexOf`, `slice`, `split`) instead of
 * walking bytes and building a context object per record, which made csv-parse ~60 % of a CSV import's CPU.
 * `test/csv-scanner.unit.spec.ts` checks the equivalence against csv-parse on generated inputs cut into random chunks.
 *
 * Two cases still go to csv-parse itself (`CsvParseScanner`): quote characters other than `"` (csv-parse then keeps
 * `"` as the escape character, a rule not worth re-implementing), and records so long that csv-parse's size limit
 * could apply (≥ MAX/3 characters: the limit counts bytes); from such a record on, the rest of the file is read by
 * csv-parse, with its error messages' line numbers shifted to count from the start of the file.
 */

export interface CsvScanOptions {
  /** Field delimiter (one or more characters, never CR, LF or `"`). */
  readonly delimiter: string;
  /** `"`, or null for no quoting; any other character is handled by csv-parse. */
  readonly quote: string | null;
  /** csv-parse's `max_record_size`. */
  readonly maxRecordSize: number;
}

/** A record: its cells, and its text without the terminator (row ids hash it). */
export interface CsvRecordItem {
  readonly cells: string[];
  readonly raw: string;
}

/** A record the parser rejected (csv-parse's error code and message), with the text read for it. */
export interface CsvErrorItem {
  readonly error: { readonly code: string; readonly message: string };
  readonly raw: string;
}

export type CsvItem = CsvRecordItem | CsvErrorItem;

/** A streaming CSV record splitter: text in, items out, in order. */
export interface CsvScanner {
  /** Feeds text; complete records are appended to `out`. Returns a promise only while csv-parse is reading. */
  write(text: string, out: CsvItem[]): void | Promise<void>;
  /** No more text: the last record (or the unclosed-quote error) is appended to `out`. */
  end(out: CsvItem[]): void | Promise<void>;
  /** Releases csv-parse when it was used (reading stopped early). */
  destroy(): void;
}

/** csv-parse's raw text may start with line breaks of skipped empty lines and ends with the terminator. */
export const stripTerminator = (raw: string): string => {
  let start = 0;
  while (start < raw.length && (raw.charCodeAt(start) === 13 || raw.charCodeAt(start) === 10)) start += 1;
  let end = raw.length;
  if (end > start) {
    const last = raw.charCodeAt(end - 1);
    if (last === 10) end -= end - 1 > start && raw.charCodeAt(end - 2) === 13 ? 2 : 1;
    else if (last === 13) end -= 1;
  }
  return start === 0 && end === raw.length ? raw : raw.slice(start, end);
};

const stripLeadingBreaks = (raw: string): string => {
  let start = 0;
  while (start < raw.length && (raw.charCodeAt(start) === 13 || raw.charCodeAt(start) === 10)) start += 1;
  return raw.slice(start);
};

/** The scanner for these options: the fast one, or csv-parse for quote characters other than `"`. */
export function csvScanner(opts: CsvScanOptions): CsvScanner {
  if (opts.quote !== null && opts.quote !== '"') return new CsvParseScanner(opts, { bom: true, linesOffset: 0 });
  return new FastCsvScanner(opts);
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/** Number of CR and LF characters in s[from, to). */
function countBreaks(s: string, from: number, to: number): number {
  let n = 0;
  for (let k = s.indexOf('\n', from); k !== -1 && k < to; k = s.indexOf('\n', k + 1)) n += 1;
  for (let k = s.indexOf('\r', from); k !== -1 && k < to; k = s.indexOf('\r', k + 1)) n += 1;
  return n;
}

/**
 * The fast scanner. State carried between chunks: the cells of the record being read, the field being read, its
 * quoting state, the record's text so far, and a held-back tail (a trailing `\r`, a closing-quote candidate or the
 * start of a delimiter) whose meaning depends on characters not read yet.
 */
export class FastCsvScanner implements CsvScanner {
  private readonly delim: string;
  private readonly delimCode: number;
  private readonly quoting: boolean;
  /** Records at least this long (characters) go to csv-parse, whose size limit counts bytes (≤ 3 per character). */
  private readonly hugeRecord: number;
  private cells: string[] = [];
  private field = '';
  private inQuotes = false;
  private wasQuoting = false;
  /** The current record's text read in earlier chunks, its length and its CR / LF count. */
  private rawParts: string[] = [];
  private rawLength = 0;
  private rawBreaks = 0;
  /**
   * Multi-character delimiters: where they are in the record's text. csv-parse's raw text keeps only the first
   * character of each (it skips the others), and row ids hash that text.
   */
  private delimCuts: number[] = [];
  private hold = '';
  private bomChecked = false;
  /**
   * csv-parse's line counter (for its error messages): the CR and LF characters it visited, i.e. all of them but
   * the LF of each CRLF record delimiter, which it skips. Counts the text consumed so far.
   */
  private visitedBreaks = 0;
  private lastConsumed = -1;
  private fallback: CsvParseScanner | undefined;

  constructor(private readonly opts: CsvScanOptions) {
    this.delim = opts.delimiter;
    this.delimCode = opts.delimiter.charCodeAt(0);
    this.quoting = opts.quote === '"';
    this.hugeRecord = Math.floor((opts.maxRecordSize + 2) / 3);
  }

  write(text: string, out: CsvItem[]): void | Promise<void> {
    if (this.fallback) return this.fallback.write(text, out);
    let s = this.hold.length > 0 ? this.hold + text : text;
    this.hold = '';
    if (!this.bomChecked) {
      if (s.length === 0) return;
      this.bomChecked = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    return this.scan(s, false, out);
  }

  end(out: CsvItem[]): void | Promise<void> {
    if (this.fallback) return this.fallback.end(out);
    const s = this.hold;
    this.hold = '';
    return this.scan(s, true, out);
  }

  /**
   * Hands the rest of the file to csv-parse, starting with the current record (`text`: all of it read so far);
   * `breaksBefore` = visited CR / LF before the record, so that its messages count lines from the file's start.
   */
  private toFallback(text: string, breaksBefore: number, end: boolean, out: CsvItem[]): Promise<void> {
    this.resetRecord();
    const fb = new CsvParseScanner(this.opts, { bom: false, linesOffset: breaksBefore });
    this.fallback = fb;
    return (async () => {
      await fb.write(text, out);
      if (end) await fb.end(out);
    })();
  }

  private scan(s: string, end: boolean, out: CsvItem[]): void | Promise<void> {
    const n = s.length;
    const delim = this.delim;
    const dl = delim.length;
    const dc = this.delimCode;
    const quoting = this.quoting;
    let i = 0;
    /** Where the current record's text starts in s (0 when it began in an earlier chunk). */
    let recStart = 0;
    let nextNl = -2;
    let nextDelim = -2;
    /** CRLF record delimiters (outside quotes, empty lines included) met in s. */
    let crlf = 0;
    let cells = this.cells;
    let field = this.field;
    let inQuotes = this.inQuotes;
    let wasQuoting = this.wasQuoting;
    let holdFrom = n;

    /** The record s[recStart, e) (plus earlier parts) is complete; false when it is long enough for csv-parse. */
    const emit = (e: number, atEnd: boolean): boolean => {
      if (this.rawLength + (e - recStart) >= this.hugeRecord) return false;
      let raw = this.rawParts.length > 0 ? this.rawParts.join('') + s.slice(recStart, e) : s.slice(recStart, e);
      if (this.delimCuts.length > 0) raw = this.collapseDelimiters(raw);
      if (atEnd) raw = stripTerminator(raw);
      else {
        // csv-parse's raw text ends with the terminator, which is not part of `raw` here: strip the front only
        const c0 = raw.charCodeAt(0);
        if (c0 === CR || c0 === LF) raw = stripLeadingBreaks(raw);
      }
      out.push({ cells, raw });
      return true;
    };
    const fallbackAt = (atEnd: boolean): Promise<void> => {
      const breaksBefore = this.visitedBreaks - this.rawBreaks + countBreaks(s, 0, recStart) - crlf;
      const text = this.rawParts.join('') + s.slice(recStart);
      return this.toFallback(text, breaksBefore, atEnd, out);
    };

    for (;;) {
      if (inQuotes) {
        const q = s.indexOf('"', i);
        if (q === -1) {
          field += i === 0 ? s : s.slice(i);
          i = n;
          break;
        }
        const after = q + 1;
        if (after < n && s.charCodeAt(after) === QUOTE) {
          field += s.slice(i, after); // an escaped quote: one is kept
          i = after + 1;
          continue;
        }
        if (!end && (n - after < dl || (s.charCodeAt(after) === CR && after + 1 >= n))) {
          // whether this quote closes the field depends on characters not read yet
          field += s.slice(i, q);
          i = q;
          holdFrom = q;
          break;
        }
        let closes = true;
        if (after < n) {
          const c = s.charCodeAt(after);
          closes = c === 0 || c === LF || (c === CR && s.charCodeAt(after + 1) === LF) || (c === dc && (dl === 1 || s.startsWith(delim, after)));
        }
        // relax_quotes: a quote followed by anything else ends the quoting, and the quotes stay in the cell
        field = closes ? field + s.slice(i, q) : `"${field}${s.slice(i, after)}`;
        inQuotes = false;
        wasQuoting = true;
        i = after;
        continue;
      }
      if (quoting && i < n && field.length === 0 && !wasQuoting && s.charCodeAt(i) === QUOTE) {
        inQuotes = true;
        i += 1;
        continue;
      }
      if (nextNl < i && nextNl !== -1) nextNl = s.indexOf('\n', i);
      if (nextDelim < i && nextDelim !== -1) nextDelim = s.indexOf(delim, i);
      if (nextDelim !== -1 && (nextNl === -1 || nextDelim < nextNl)) {
        cells.push(field.length === 0 ? s.slice(i, nextDelim) : field + s.slice(i, nextDelim));
        if (dl > 1) this.delimCuts.push(this.rawLength + nextDelim - recStart);
        field = '';
        wasQuoting = false;
        i = nextDelim + dl;
        continue;
      }
      if (nextNl !== -1) {
        const nl = nextNl;
        const isCrlf = nl > i && s.charCodeAt(nl - 1) === CR;
        const e = isCrlf ? nl - 1 : nl;
        if (cells.length > 0 || field.length > 0 || wasQuoting || e > i) {
          cells.push(field.length === 0 ? s.slice(i, e) : field + s.slice(i, e));
          if (!emit(e, false)) return fallbackAt(end);
        } // else: an empty line, not a record
        if (isCrlf) crlf += 1;
        cells = [];
        field = '';
        wasQuoting = false;
        this.rawParts = [];
        this.rawLength = 0;
        this.rawBreaks = 0;
        if (this.delimCuts.length > 0) this.delimCuts = [];
        i = nl + 1;
        recStart = i;
        continue;
      }
      // neither a delimiter nor a line break in the rest of s
      if (end) {
        if (i < n || field.length > 0 || wasQuoting || cells.length > 0) {
          cells.push(field.length === 0 ? s.slice(i) : field + s.slice(i));
          if (!emit(n, true)) return fallbackAt(true);
        }
        i = n;
        break;
      }
      // keep back a trailing CR (maybe a CRLF) or the start of a delimiter
      let h = n > i && s.charCodeAt(n - 1) === CR ? 1 : 0;
      for (let k = Math.min(dl - 1, n - i); k > h; k -= 1) {
        if (s.endsWith(delim.slice(0, k))) {
          h = k;
          break;
        }
      }
      field += s.slice(i, n - h);
      i = n - h;
      holdFrom = i;
      break;
    }

    if (end) {
      if (inQuotes) {
        // csv-parse reports this before counting a line break that is the very last character
        const last = n > 0 ? s.charCodeAt(n - 1) : this.lastConsumed;
        const breaks = this.visitedBreaks + countBreaks(s, 0, n) - crlf - (last === CR || last === LF ? 1 : 0);
        const text = this.collapseDelimiters(this.rawParts.join('') + s.slice(recStart));
        out.push({
          error: { code: 'CSV_QUOTE_NOT_CLOSED', message: `Quote Not Closed: the parsing is finished with an opening quote at line ${1 + breaks}` },
          raw: stripTerminator(text),
        });
      }
      this.resetRecord();
      return;
    }
    // keep the state for the next chunk
    const consumed = holdFrom;
    this.visitedBreaks += countBreaks(s, 0, consumed) - crlf;
    if (consumed > 0) this.lastConsumed = s.charCodeAt(consumed - 1);
    this.hold = s.slice(holdFrom);
    if (recStart < consumed) {
      this.rawParts.push(s.slice(recStart, consumed));
      this.rawLength += consumed - recStart;
      this.rawBreaks += countBreaks(s, recStart, consumed);
    }
    this.cells = cells;
    this.field = field;
    this.inQuotes = inQuotes;
    this.wasQuoting = wasQuoting;
    if (this.rawLength >= this.hugeRecord) {
      const text = this.rawParts.join('') + this.hold;
      this.hold = '';
      return this.toFallback(text, this.visitedBreaks - this.rawBreaks, false, out);
    }
  }

  private collapseDelimiters(text: string): string {
    const cuts = this.delimCuts;
    if (cuts.length === 0) return text;
    const dl = this.delim.length;
    let out = '';
    let from = 0;
    for (const cut of cuts) {
      out += text.slice(from, cut + 1);
      from = cut + dl;
    }
    return out + text.slice(from);
  }

  destroy(): void {
    this.fallback?.destroy();
  }

  private resetRecord(): void {
    this.delimCuts = [];
    this.cells = [];
    this.field = '';
    this.inQuotes = false;
    this.wasQuoting = false;
    this.rawParts = [];
    this.rawLength = 0;
    this.rawBreaks = 0;
  }
}

/**
 * csv-parse with readCsv's options, as a CsvScanner: for quote characters other than `"`, and for the rest of a file
 * once a record is long enough for csv-parse's size limit to matter. `linesOffset` shifts the line numbers of its
 * error messages when it starts in the middle of a file.
 */
export class CsvParseScanner implements CsvScanner {
  private readonly parser;
  private failure: unknown;
  private queue: CsvItem[] = [];

  constructor(opts: CsvScanOptions, how: { bom: boolean; linesOffset: number }) {
    const shift = (message: string) =>
      how.linesOffset === 0 ? message : message.replace(/at line (\d+)/, (_m, n: string) => `at line ${Number(n) + how.linesOffset}`);
    this.parser = parse({
      delimiter: opts.delimiter,
      quote: opts.quote ?? false,
      bom: how.bom,
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: opts.maxRecordSize,
      raw: true,
      // with raw: true, csv-parse hands on_record `{ record, raw }`
      on_record: (rec, context) => {
        const { record, raw } = rec as unknown as { record: string[]; raw?: string };
        this.queue.push({ cells: record, raw: stripTerminator(raw ?? context.raw ?? '') });
        return null;
      },
      on_skip: (err, raw) => {
        const e = err as CsvError;
        this.queue.push({ error: { code: e.code, message: shift(e.message) }, raw: stripTerminator(raw ?? '') });
        return undefined;
      },
    });
    this.parser.on('error', (err) => {
      this.failure ??= err;
    });
    this.parser.resume();
  }

  private flush(out: CsvItem[]): void {
    for (const item of this.queue) out.push(item);
    this.queue = [];
  }

  write(text: string, out: CsvItem[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.parser.write(text, (err) => {
        this.flush(out);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  end(out: CsvItem[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.parser.end(() => {
        this.flush(out);
        if (this.failure) reject(this.failure);
        else resolve();
      });
    });
  }

  destroy(): void {
    this.parser.destroy();
  }
}
