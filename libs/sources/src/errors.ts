import type { ReasonCode } from '@distillery/contracts';

/** Stable error codes of this lib (`as const` map, STYLE naming table). */
export const SOURCE_ERROR_CODES = {
  unsupportedFormat: 'SOURCES.UNSUPPORTED_FORMAT',
  io: 'SOURCES.IO_ERROR',
  unreachable: 'SOURCES.UNREACHABLE',
  locator: 'SOURCES.INVALID_LOCATOR',
  plugin: 'SOURCES.PLUGIN_FAILED',
} as const;
export type SourceErrorCode = (typeof SOURCE_ERROR_CODES)[keyof typeof SOURCE_ERROR_CODES];

/**
 * Base of every error this lib throws on purpose. `code` is stable (tests and callers switch on it), `reasonCode`
 * is the RunEvent reason code the ingestion service publishes for it, `locator` names what was being read.
 */
export abstract class SourceError extends Error {
  abstract readonly code: SourceErrorCode;
  abstract readonly reasonCode: ReasonCode;
  constructor(
    message: string,
    readonly locator: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No connector can read this: unknown locator prefix, unknown file extension, not a parquet file, bad codec. */
export class UnsupportedFormatError extends SourceError {
  readonly code = SOURCE_ERROR_CODES.unsupportedFormat;
  readonly reasonCode = 'ingest_unsupported_format' as const;
  constructor(
    message: string,
    locator: string | undefined,
    /** What was detected instead (a prefix, an extension, magic bytes), when known. */
    readonly detected?: string,
    options?: { cause?: unknown },
  ) {
    super(message, locator, options);
    this.name = 'UnsupportedFormatError';
  }
}

/** Reading failed: file missing, permission denied, corrupt gzip / zip, truncated download, full disk. */
export class SourceIoError extends SourceError {
  readonly code = SOURCE_ERROR_CODES.io;
  readonly reasonCode = 'ingest_io_error' as const;
  constructor(
    message: string,
    locator: string | undefined,
    /** The local path involved, when there is one. */
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, locator, options);
    this.name = 'SourceIoError';
  }
}

/** A remote source (Hugging Face Hub, Kaggle) could not be reached, refused the credentials, or has no such item. */
export class SourceUnreachableError extends SourceError {
  readonly code = SOURCE_ERROR_CODES.unreachable;
  readonly reasonCode = 'ingest_source_unreachable' as const;
  constructor(
    message: string,
    locator: string | undefined,
    readonly host: string,
    /** HTTP status, absent for network errors. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, locator, options);
    this.name = 'SourceUnreachableError';
  }
}

/** The locator is malformed, has an unknown option, or names a file outside the configured data roots. */
export class LocatorError extends SourceError {
  readonly code = SOURCE_ERROR_CODES.locator;
  readonly reasonCode = 'dataset_import_failed' as const;
  constructor(message: string, locator: string | undefined, options?: { cause?: unknown }) {
    super(message, locator, options);
    this.name = 'LocatorError';
  }
}

/** A source plugin failed to load, threw while creating a source, or returned something that is not a Source. */
export class SourcePluginError extends SourceError {
  readonly code = SOURCE_ERROR_CODES.plugin;
  constructor(
    message: string,
    locator: string | undefined,
    readonly pluginId: string,
    readonly reasonCode: 'extension_load_failed' | 'extension_contract_invalid',
    options?: { cause?: unknown },
  ) {
    super(message, locator, options);
    this.name = 'SourcePluginError';
  }
}

/** An abort (AbortSignal / DOMException, from any realm): passed through untouched, never wrapped. */
export const isAbortError = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && ((err as { name?: unknown }).name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR');

const describeCause = (err: unknown): string => {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
};

/**
 * Maps an unexpected error met while reading a local file to a SourceIoError that names the file; typed errors and
 * aborts pass through unchanged.
 */
export function toSourceError(err: unknown, locator: string, path?: string): unknown {
  if (err instanceof SourceError || isAbortError(err)) return err;
  const where = path ? ` (${path})` : '';
  return new SourceIoError(`reading ${locator}${where} failed: ${describeCause(err)}`, locator, path, { cause: err });
}
