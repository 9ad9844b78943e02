import type { SourceRow } from '@distillery/contracts';

export type { SourceRow } from '@distillery/contracts';

export interface LoadProgress {
  /** Rows yielded so far (sentinel rows included). */
  readonly rows: number;
  /** Bytes read from disk so far (compressed bytes for gzip files). */
  readonly bytesRead: number;
  /** Size of what is being read, when known. */
  readonly bytesTotal: number | null;
}

export interface LoadOptions {
  /** Stop after this many rows (sentinels count). */
  readonly limit?: number;
  readonly signal?: AbortSignal;
  /** Called every few thousand rows and once at the end. */
  readonly onProgress?: (p: LoadProgress) => void;
  /**
   * Source-level warnings, each reported once (e.g. `decoded as windows-1252`, `skipped 12 empty lines`).
   * Row-level problems travel on the rows themselves (`SourceRow.warnings`).
   */
  readonly onWarning?: (warning: string) => void;
}

export interface DescribeOptions {
  /** How many rows to return as the sample (default 20). */
  readonly sampleSize?: number;
  readonly signal?: AbortSignal;
}

export interface SourceDescription {
  readonly locator: string;
  /** Absolute path, or the hub revision (`hf://datasets/<id>@<sha>`, `kaggle://…`) that was read. */
  readonly resolved: string;
  /** `jsonl`, `csv`, `tsv`, `parquet`, `json`, `text`, `conll`; `+gzip` when the bytes were gzip-compressed. */
  readonly format: string;
  /** Column / field names: the header or schema where the format has one, plus every field seen in the sample. */
  readonly columns: string[];
  readonly sample: SourceRow[];
  /** Exact when the format records it (parquet) or the whole source was read; an estimate from the bytes otherwise. */
  readonly approx_rows: number | null;
  readonly bytes: number | null;
  readonly warnings: string[];
}

/** A readable source of rows. `load()` streams: memory stays flat whatever the size (except `json:`, see README). */
export interface Source {
  readonly locator: string;
  describe(opts?: DescribeOptions): Promise<SourceDescription>;
  load(opts?: LoadOptions): AsyncIterable<SourceRow>;
  /**
   * The same rows as load(), in batches (the built-in sources: one batch per chunk read) — for bulk consumers, one
   * await per batch instead of one per row. Optional: plugin sources may have only load().
   */
  loadBatches?(opts?: LoadOptions): AsyncIterable<readonly SourceRow[]>;
  /**
   * Runs `stage` over the rows on worker threads, a chunk of records at a time, and yields its results in row order
   * — for bulk consumers whose per-row work (e.g. mapping and serialising) can run next to the reading. Resolves to
   * null when this source does not do that: only local, uncompressed UTF-8 `jsonl:` / `csv:` / `tsv:` files of some
   * size, read without `limit` (see README). Warnings, progress and abort as for load().
   */
  loadStaged?(stage: RowStage, opts?: StagedLoadOptions): Promise<AsyncIterable<StagedChunk> | null>;
}

/** What a stage returns for the rows of one chunk: a structured-cloneable result, and buffers to move (not copy). */
export interface StageOutput {
  readonly result: unknown;
  readonly transfer?: readonly ArrayBuffer[];
}

/** A stage's instance on one thread: it gets a chunk's rows a batch at a time, then gives the chunk's output. */
export interface StageInstance {
  add(rows: readonly SourceRow[]): void;
  take(): StageOutput;
}

/**
 * Per-chunk work run next to a source's reader (`Source.loadStaged`). `create(init)` makes the stage instance of a
 * thread, once. `module` is the URL of a compiled ES module exporting the same factory as `createRowStage`, which
 * the worker threads import; null runs every chunk on the calling thread.
 */
export interface RowStage {
  readonly module: string | null;
  readonly create: (init: unknown) => StageInstance;
  /** Passed to `create`; structured-cloneable. */
  readonly init: unknown;
}

export interface StagedLoadOptions extends LoadOptions {
  /** Worker threads (default: the available parallelism, at most 4); 0 runs the chunks on the calling thread. */
  readonly threads?: number;
  /** Files smaller than this are not read in chunks (default 8 MiB). */
  readonly minBytes?: number;
  /** Bytes per chunk (default 1 MiB; whole records, so a chunk can be longer). */
  readonly chunkBytes?: number;
}

/** The stage's result for one chunk of rows, in order. */
export interface StagedChunk {
  /** Rows in the chunk (sentinel rows included). */
  readonly rows: number;
  readonly result: unknown;
  /** What is read (as `SourceRow.source.resolved`). */
  readonly resolved: string;
}

export interface HubSettings {
  /** Default https://huggingface.co */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer <token>` when set (HF_TOKEN). */
  readonly token?: string;
}

export interface KaggleSettings {
  /** Default https://www.kaggle.com */
  readonly endpoint: string;
  readonly username?: string;
  readonly key?: string;
}

/** What a source needs from its environment. Built once by the service from its parsed config. */
export interface SourceContext {
  /** File locators are confined to these directories (symlinks resolved); relative paths resolve against the first. */
  readonly dataRoots: readonly string[];
  /** Downloads (hub parquet files, Kaggle archives) are cached here. */
  readonly cacheDir: string;
  readonly hf: HubSettings;
  readonly kaggle: KaggleSettings;
  /** Injected fetch (tests, proxies); the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

/** A locator split into its parts: `csv:data/x.csv?header=false` → scheme `csv`, body `data/x.csv`, options. */
export interface ParsedLocator {
  readonly locator: string;
  readonly scheme: string;
  readonly body: string;
  readonly options: Readonly<Record<string, string>>;
}

/** Creates a Source for a locator whose prefix it was registered under. May throw the typed errors of this lib. */
export type SourceFactory = (locator: ParsedLocator, ctx: SourceContext) => Source | Promise<Source>;
