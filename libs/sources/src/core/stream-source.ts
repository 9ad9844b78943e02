import type { SourceRow } from '@distillery/contracts';
import { toSourceError } from '../errors.js';
import type { DescribeOptions, LoadOptions, Source, SourceDescription } from '../types.js';

/** What a format reader reports while it reads, besides the rows. One per load() / describe() call. */
export interface ReadContext {
  readonly locator: string;
  readonly signal?: AbortSignal;
  /** Byte counters the reader keeps current: `read` from disk (or the network), `total` when known. */
  readonly bytes: { read: number; total: number | null };
  /** A source-level warning; repeated messages are reported once. */
  warn(message: string): void;
  /** The header / schema columns, once known. */
  declareColumns(columns: readonly string[]): void;
  /** The exact number of rows, when the format records it (parquet metadata) or the reader has counted them. */
  declareRowCount(rows: number): void;
  /** Refines the format name (e.g. `jsonl+gzip` once gzip magic bytes are seen). */
  setFormat(format: string): void;
  /** Sets what was read, once a remote source has resolved it (`hf://datasets/<id>@<sha>`). */
  setResolved(resolved: string): void;
}

export type RowReader = (ctx: ReadContext) => AsyncGenerator<SourceRow>;

/** A reader that yields rows in batches (the built-in file readers: a batch per chunk read). */
export type BatchReader = (ctx: ReadContext) => AsyncIterable<SourceRow[]>;

export interface StreamSourceSpec {
  readonly locator: string;
  /** What is read; a remote source refines it with ctx.setResolved() once resolved. */
  readonly resolved: string;
  readonly format: string;
  /** Rows one at a time (the simple form, for plugins). Give this or `readBatches`. */
  readonly read?: RowReader;
  /** Rows in batches: one await per batch instead of one per row (the built-in readers). */
  readonly readBatches?: BatchReader;
  /** Path of the local file, named in I/O errors. */
  readonly path?: string;
}

async function* oneRowBatches(rows: AsyncGenerator<SourceRow>): AsyncGenerator<SourceRow[]> {
  for await (const row of rows) yield [row];
}

/** describe() reads at least this many bytes (when the source is larger) to estimate the row count. */
export const ESTIMATE_BYTES = 1024 * 1024;
const PROGRESS_EVERY_ROWS = 1000;
const PROGRESS_EVERY_MS = 250;

class ReadState implements ReadContext {
  readonly bytes: { read: number; total: number | null } = { read: 0, total: null };
  readonly warnings: string[] = [];
  columns: readonly string[] | undefined;
  rowCount: number | null = null;
  format: string;
  resolved: string;
  constructor(
    readonly locator: string,
    format: string,
    resolved: string,
    readonly signal: AbortSignal | undefined,
    private readonly onWarning: ((w: string) => void) | undefined,
  ) {
    this.format = format;
    this.resolved = resolved;
  }
  warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.onWarning?.(message);
  }
  declareColumns(columns: readonly string[]): void {
    this.columns = columns;
  }
  declareRowCount(rows: number): void {
    this.rowCount = rows;
  }
  setFormat(format: string): void {
    this.format = format;
  }
  setResolved(resolved: string): void {
    this.resolved = resolved;
  }
}

/**
 * A context for reading one file of a multi-file source: bytes read add up in the parent; the file's size, row
 * count and columns reach the parent only when asked (a single-file source), its format and warnings always do.
 */
export function childContext(parent: ReadContext, pass: { rowCount: boolean; columns: boolean }): ReadContext {
  let read = 0;
  return {
    locator: parent.locator,
    signal: parent.signal,
    bytes: {
      get read() {
        return read;
      },
      set read(v: number) {
        parent.bytes.read += v - read;
        read = v;
      },
      total: null,
    },
    warn: (m) => parent.warn(m),
    declareColumns: (c) => {
      if (pass.columns) parent.declareColumns(c);
    },
    declareRowCount: (n) => {
      if (pass.rowCount) parent.declareRowCount(n);
    },
    setFormat: (f) => parent.setFormat(f),
    setResolved: () => undefined,
  };
}

/**
 * The one implementation of Source's contract over a RowReader: limit, abort, progress, error mapping, and a
 * describe() that samples the first rows and estimates the size. Every built-in source is one of these.
 */
export class StreamSource implements Source {
  readonly locator: string;
  constructor(private readonly spec: StreamSourceSpec) {
    this.locator = spec.locator;
  }

  load(opts: LoadOptions = {}): AsyncIterable<SourceRow> {
    return this.run(opts);
  }

  /** The rows in the reader's batches (limit, abort, progress and warnings as for load()). */
  loadBatches(opts: LoadOptions = {}): AsyncIterable<readonly SourceRow[]> {
    return this.runBatches(opts);
  }

  private async *run(opts: LoadOptions): AsyncGenerator<SourceRow> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    const { signal, onProgress } = opts;
    signal?.throwIfAborted();
    const state = new ReadState(this.locator, this.spec.format, this.spec.resolved, signal, opts.onWarning);
    const report = () => onProgress?.({ rows, bytesRead: state.bytes.read, bytesTotal: state.bytes.total });
    let rows = 0;
    let lastReportRows = 0;
    let lastReportAt = Date.now();
    outer: for await (const batch of this.batchesOf(state)) {
      for (const row of batch) {
        signal?.throwIfAborted();
        rows += 1;
        yield row;
        if (onProgress && rows - lastReportRows >= PROGRESS_EVERY_ROWS) {
          lastReportRows = rows;
          const now = Date.now();
          if (now - lastReportAt >= PROGRESS_EVERY_MS) {
            lastReportAt = now;
            report();
          }
        }
        if (rows >= limit) break outer;
      }
    }
    report();
  }

  private async *runBatches(opts: LoadOptions): AsyncGenerator<readonly SourceRow[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    const { signal, onProgress } = opts;
    signal?.throwIfAborted();
    const state = new ReadState(this.locator, this.spec.format, this.spec.resolved, signal, opts.onWarning);
    const report = () => onProgress?.({ rows, bytesRead: state.bytes.read, bytesTotal: state.bytes.total });
    let rows = 0;
    let lastReportRows = 0;
    let lastReportAt = Date.now();
    for await (const batch of this.batchesOf(state)) {
      signal?.throwIfAborted();
      const take = rows + batch.length > limit ? batch.slice(0, limit - rows) : batch;
      rows += take.length;
      if (take.length > 0) yield take;
      if (onProgress && rows - lastReportRows >= PROGRESS_EVERY_ROWS) {
        lastReportRows = rows;
        const now = Date.now();
        if (now - lastReportAt >= PROGRESS_EVERY_MS) {
          lastReportAt = now;
          report();
        }
      }
      if (rows >= limit) break;
    }
    report();
  }

  /** The format reader's batches, with its errors turned into this lib's typed errors; stopping early closes it. */
  private async *batchesOf(state: ReadState): AsyncGenerator<SourceRow[]> {
    const { read, readBatches } = this.spec;
    let source: AsyncIterable<SourceRow[]>;
    if (readBatches) source = readBatches(state);
    else if (read) source = oneRowBatches(read(state));
    else throw new Error(`source ${this.locator}: the StreamSource spec has neither read nor readBatches`);
    const it = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<SourceRow[]>;
        try {
          next = await it.next();
        } catch (err) {
          throw toSourceError(err, this.locator, this.spec.path);
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await it.return?.(undefined);
    }
  }

  async describe(opts: DescribeOptions = {}): Promise<SourceDescription> {
    const sampleSize = Math.max(0, opts.sampleSize ?? 20);
    const state = new ReadState(this.locator, this.spec.format, this.spec.resolved, opts.signal, undefined);
    const sample: SourceRow[] = [];
    const seen = new Set<string>();
    const rowWarnings = new Map<string, number>();
    let rows = 0;
    let sentinels = 0;
    let complete = true;
    outer: for await (const batch of this.batchesOf(state)) {
      for (const row of batch) {
        opts.signal?.throwIfAborted();
        rows += 1;
        if (row.parse_error !== undefined) sentinels += 1;
        for (const w of row.warnings ?? []) rowWarnings.set(w, (rowWarnings.get(w) ?? 0) + 1);
        if (sample.length < sampleSize) {
          sample.push(row);
          for (const k of Object.keys(row.fields)) seen.add(k);
        }
        if (sample.length >= sampleSize) {
          const { read, total } = state.bytes;
          if (state.rowCount !== null || (read >= ESTIMATE_BYTES && (total === null || read < total))) {
            complete = false;
            break outer;
          }
        }
      }
    }
    const columns = [...(state.columns ?? [])];
    for (const k of seen) if (!columns.includes(k)) columns.push(k);
    const { read, total } = state.bytes;
    const approx =
      state.rowCount ?? (complete ? rows : total !== null && read > 0 ? Math.round((rows * total) / read) : null);
    const warnings = [...state.warnings];
    const scope = complete ? '' : ` in the first ${rows} rows`;
    if (sentinels > 0) warnings.push(`${sentinels} unparseable record${sentinels > 1 ? 's' : ''} kept as sentinel rows${scope}`);
    // a row warning that restates a source-level one (`decoded as windows-1252`) adds nothing
    const distinct = [...rowWarnings].filter(([w]) => !warnings.some((s) => s.startsWith(w)));
    for (const [w, n] of distinct.slice(0, 20)) warnings.push(n > 1 ? `${w} (${n} rows${scope})` : `${w} (1 row${scope})`);
    if (distinct.length > 20) warnings.push(`…and ${distinct.length - 20} more distinct row warnings`);
    return {
      locator: this.locator,
      resolved: state.resolved,
      format: state.format,
      columns,
      sample,
      approx_rows: approx,
      bytes: total,
      warnings,
    };
  }
}
