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
