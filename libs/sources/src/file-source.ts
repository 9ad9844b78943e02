import { stat } from 'node:fs/promises';
import { StreamSource } from './core/stream-source.js';
import { SourceIoError } from './errors.js';
import { type FileFormat, fileReader, FORMAT_OPTIONS } from './formats/file-formats.js';
import { checkOptions, resolveDataPath } from './locator.js';
import type { RowOrigin } from './row.js';
import type { SourceFactory } from './types.js';

/** The factory behind `jsonl:`, `csv:`, `tsv:`, `parquet:`, `json:`, `text:` and `conll:`: a file inside the data roots. */
export function fileSourceFactory(format: FileFormat): SourceFactory {
  return async (parsed, ctx) => {
    checkOptions(parsed, FORMAT_OPTIONS[format]);
    const read = fileReader(format, parsed);
    const path = await resolveDataPath(parsed.locator, parsed.body, ctx.dataRoots);
    if ((await stat(path)).isDirectory()) throw new SourceIoError(`cannot read ${parsed.locator}: ${path} is a directory`, parsed.locator, path);
    const origin: RowOrigin = { locator: parsed.locator, resolved: path, identity: path };
    return new StreamSource({ locator: parsed.locator, resolved: path, format, path, readBatches: (rctx) => read(path, origin, rctx) });
  };
}
