import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { SourceRow } from '@distillery/contracts';
import { type AsyncBuffer, asyncBufferFromFile, type Compressors, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { headBytes, isParquet } from '../core/bytes.js';
import type { ReadContext } from '../core/stream-source.js';
import { UnsupportedFormatError } from '../errors.js';
import { jsonSafe, makeRow, type RowOrigin } from '../row.js';

/** Codecs beyond hyparquet's built-in snappy, from node:zlib. ZSTD / LZ4 need Node ≥ 22 or hyparquet-compressors. */
const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};
const SUPPORTED_CODECS = new Set(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI']);

export interface ParquetReadOptions {
  /** Declare the file's row count as the source's (false when the source spans several files). */
  readonly declareRowCount?: boolean;
}

/** Wraps an AsyncBuffer so the bytes hyparquet reads are counted. */
const counted = (file: AsyncBuffer, ctx: ReadContext): AsyncBuffer => ({
  byteLength: file.byteLength,
  async slice(start: number, end?: number) {
    const buf = await file.slice(start, end);
    ctx.bytes.read += buf.byteLength;
    return buf;
  },
});

/**
 * Parquet with hyparquet, one row group at a time (memory holds one row group, not the file). Columns come from
 * the schema; values are made JSON-safe (INT64 → number when exact, else a decimal string; bytes → base64;
 * timestamps → ISO strings). The raw content hashed into row_id is the row's JSON serialisation.
 */
export async function* readParquet(path: string, origin: RowOrigin, ctx: ReadContext, opts: ParquetReadOptions = {}): AsyncGenerator<SourceRow> {
  const head = await headBytes(path, 4);
  if (!isParquet(head)) {
    throw new UnsupportedFormatError(
      `${origin.locator}: ${path} is not a parquet file (it does not start with the PAR1 magic bytes)`,
      origin.locator,
      head.toString('hex'),
    );
  }
  const file = counted(await asyncBufferFromFile(path), ctx);
  ctx.bytes.total = file.byteLength;
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new UnsupportedFormatError(`${origin.locator}: cannot read the parquet footer of ${path}: ${(err as Error).message}`, origin.locator, 'parquet', {
      cause: err,
    });
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  ctx.declareColumns(columns);
  if (opts.declareRowCount !== false) ctx.declareRowCount(Number(metadata.num_rows));
  for (const rg of metadata.row_groups) {
    for (const col of rg.columns) {
      const codec = col.meta_data?.codec;
      if (codec && !SUPPORTED_CODECS.has(codec)) {
        throw new UnsupportedFormatError(
          `${origin.locator}: column ${col.meta_data?.path_in_schema.join('.')} uses the ${codec} codec, which this reader does not support (supported: ${[...SUPPORTED_CODECS].join(', ')})`,
          origin.locator,
          codec,
        );
      }
    }
  }

  let position = 0;
  let groupStart = 0;
  for (const rg of metadata.row_groups) {
    const groupRows = Number(rg.num_rows);
    let rows: Record<string, unknown>[] = [];
    await parquetRead({
      file,
      metadata,
      rowStart: groupStart,
      rowEnd: groupStart + groupRows,
      rowFormat: 'object',
      compressors: COMPRESSORS,
      onComplete: (data) => {
        rows = data;
      },
    });
    groupStart += groupRows;
    for (const row of rows) {
      const fields = jsonSafe(row) as Record<string, unknown>;
      yield makeRow(origin, position, JSON.stringify(fields), fields);
      position += 1;
    }
    rows = [];
  }
}
