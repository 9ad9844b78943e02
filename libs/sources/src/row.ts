import { hash } from 'node:crypto';
import type { RowSource, SourceRow } from '@distillery/contracts';

/** Sentinel rows keep at most this much of the raw record. */
export const RAW_TEXT_LIMIT = 4096;

/**
 * `row_id` = first 32 hex chars of sha256(identity NUL position NUL raw). `identity` is the resolved file path, or
 * `hf://datasets/<id>@<sha>/<file>` / `kaggle://…/<file>` for hub sources; `raw` is the record exactly as read (a
 * line, a CSV record, a JSON serialisation of a parquet row). Same file read twice → same ids; the same text at
 * another position → another id.
 */
export function rowId(identity: string, position: number, raw: string): string {
  // one-shot crypto.hash (Node ≥ 20.12): half the cost of createHash() on this hot path
  return hash('sha256', `${identity}\0${position}\0${raw}`, 'hex').slice(0, 32);
}

/** Where the rows of one file come from: the parts of RowSource that do not change from row to row. */
export interface RowOrigin {
  readonly locator: string;
  readonly resolved: string;
  /** Hashed into row ids; the resolved path for local files. */
  readonly identity: string;
  readonly file?: string;
}

const sourceOf = (origin: RowOrigin, position: number): RowSource =>
  origin.file === undefined
    ? { locator: origin.locator, resolved: origin.resolved, position }
    : { locator: origin.locator, resolved: origin.resolved, position, file: origin.file };

export function makeRow(
  origin: RowOrigin,
  position: number,
  raw: string,
  fields: Record<string, unknown>,
  warnings?: readonly string[],
): SourceRow {
  const row: { -readonly [K in keyof SourceRow]: SourceRow[K] } = {
    row_id: rowId(origin.identity, position, raw),
    source: sourceOf(origin, position),
    fields,
  };
  if (warnings && warnings.length > 0) row.warnings = warnings;
  return row;
}

/** A record that could not be parsed: kept, never dropped, with the reason and the raw text (truncated). */
export function sentinelRow(origin: RowOrigin, position: number, raw: string, parseError: string, warnings?: readonly string[]): SourceRow {
  const row: { -readonly [K in keyof SourceRow]: SourceRow[K] } = {
    row_id: rowId(origin.identity, position, raw),
    source: sourceOf(origin, position),
    fields: {},
    parse_error: parseError,
    raw_text: raw.length > RAW_TEXT_LIMIT ? raw.slice(0, RAW_TEXT_LIMIT) : raw,
  };
  if (warnings && warnings.length > 0) row.warnings = warnings;
  return row;
}

/**
 * Makes a decoded value safe for JSON (rows go to JSONL artifacts): bigint → number when exact, else a decimal
 * string; Date → ISO string; bytes → base64 string; nested arrays and objects recursively.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'object': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (v) => jsonSafe(v));
      if (Array.isArray(value)) return value.map(jsonSafe);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v);
      return out;
    }
    default:
      return value;
  }
}
