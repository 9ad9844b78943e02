import { readFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parse } from 'csv-parse/sync';

/** The banking77 fixture slice as `{ text, category }` records (parsed with csv-parse's sync API, independently of the lib). */
export function bankingRecords(path: string): { text: string; category: string }[] {
  return parse(readFileSync(path), { columns: true, bom: true }) as { text: string; category: string }[];
}

/**
 * A parquet file of banking77 records plus an INT64 and a nullable column, in several row groups (the reader
 * must stream them one by one). Written with hyparquet-writer at test time: no binary fixture is committed.
 */
export function bankingParquet(records: readonly { text: string; category: string }[], rowGroupSize = 100): Buffer {
  const ab = parquetWriteBuffer({
    columnData: [
      { name: 'text', data: records.map((r) => r.text), type: 'STRING' },
      { name: 'label', data: records.map((r) => r.category), type: 'STRING' },
      { name: 'id', data: records.map((_, i) => BigInt(i) * 1_000_000_007n), type: 'INT64' },
      { name: 'note', data: records.map((_, i) => (i % 7 === 0 ? null : `n${i}`)), type: 'STRING' },
    ],
    rowGroupSize,
  });
  return Buffer.from(ab);
}
