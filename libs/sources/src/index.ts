export type {
  DescribeOptions,
  HubSettings,
  KaggleSettings,
  LoadOptions,
  LoadProgress,
  ParsedLocator,
  Source,
  SourceContext,
  SourceDescription,
  SourceFactory,
  SourceRow,
} from './types.js';
export {
  isAbortError,
  LocatorError,
  SOURCE_ERROR_CODES,
  SourceError,
  type SourceErrorCode,
  SourceIoError,
  SourcePluginError,
  SourceUnreachableError,
  UnsupportedFormatError,
} from './errors.js';
export {
  createSourceContext,
  DEFAULT_HF_ENDPOINT,
  DEFAULT_KAGGLE_ENDPOINT,
  defaultKaggleConfigPath,
  type Env,
  hfToken,
  type KaggleCredentials,
  kaggleCredentials,
  type SourceContextInit,
} from './context.js';
export { checkOptions, parseLocator, resolveDataPath } from './locator.js';
export { makeRow, RAW_TEXT_LIMIT, rowId, type RowOrigin, sentinelRow } from './row.js';
export { BUILTIN_PREFIXES, createSourceRegistry, type PluginFailure, type PluginLoadReport, SourceRegistry, type SourcePlugin } from './registry.js';
export { type BatchReader, type ReadContext, type RowReader, StreamSource, type StreamSourceSpec } from './core/stream-source.js';
export { FILE_FORMATS, type FileFormat } from './formats/file-formats.js';
export { normalizeHeader } from './formats/csv.js';
export { parseRecordsPath } from './formats/json.js';
