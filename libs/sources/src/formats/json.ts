import type { SourceRow } from '@distillery/contracts';
import { fileBytes } from '../core/bytes.js';
import { decodeText, newDecodeInfo, textRowWarnings } from '../core/decode.js';
import type { ReadContext } from '../core/stream-source.js';
import { LocatorError, UnsupportedFormatError } from '../errors.js';
import { makeRow, type RowOrigin, sentinelRow } from '../row.js';

/** json: parses the whole document in memory; larger files should be converted to JSON Lines. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

interface Segment {
  /** Property to descend into; null for the root array (`[]` as the first segment). */
  readonly key: string | null;
  /** `[]` suffix: iterate the array found there. */
  readonly iterate: boolean;
}

/**
 * Parses a records path: `.`-separated property names, each optionally followed by `[]` to iterate an array;
 * a leading `[]` iterates a top-level array. `data[].paragraphs[].qas[]` yields one record per qa. A final segment
 * without `[]` that holds an array is iterated too.
 */
export function parseRecordsPath(path: string, locator: string): Segment[] {
  const segments: Segment[] = [];
  const parts = path.split('.');
  parts.forEach((part, i) => {
    if (part === '[]' && i === 0) {
      segments.push({ key: null, iterate: true });
      return;
    }
    const m = /^([^[\]]+)(\[\])?$/.exec(part);
    if (!m) {
      throw new LocatorError(
        `invalid records path ${JSON.stringify(path)} in ${locator}: expected names separated by dots, each optionally followed by [] (e.g. data[].paragraphs[].qas[])`,
        locator,
      );
    }
    segments.push({ key: m[1] as string, iterate: m[2] === '[]' });
  });
  return segments;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Carried {
  readonly value: unknown;
  /** Name of the array (or `root`) the object holding this field came from. */
  readonly level: string;
}

/** Adds an object's fields (except the one descended into) to the carried parent fields; deeper levels win. */
function carry(inherited: ReadonlyMap<string, Carried>, node: Obj, except: string | null, level: string): Map<string, Carried> {
  const out = new Map(inherited);
  for (const [k, v] of Object.entries(node)) {
    if (k === except) continue;
    const prev = out.get(k);
    if (prev) out.set(`${prev.level}.${k}`, prev);
    out.set(k, { value: v, level });
  }
  return out;
}

function record(node: unknown, inherited: ReadonlyMap<string, Carried>, level: string): Obj {
  const carried = isObject(node) ? carry(inherited, node, null, level) : carry(inherited, { value: node }, null, level);
  const out: Obj = {};
  for (const [k, c] of carried) out[k] = c.value;
  return out;
}

interface Walk {
  misses: number;
}

function* flatten(node: unknown, segments: readonly Segment[], i: number, inherited: ReadonlyMap<string, Carried>, level: string, walk: Walk): Generator<Obj> {
  if (i === segments.length) {
    if (Array.isArray(node)) {
      for (const el of node) yield record(el, inherited, level);
    } else {
      yield record(node, inherited, level);
    }
    return;
  }
  const seg = segments[i] as Segment;
  let next: unknown = node;
  let carried = inherited;
  if (seg.key !== null) {
    if (!isObject(node) || !(seg.key in node)) {
      walk.misses += 1;
      return;
    }
    next = node[seg.key];
    carried = carry(inherited, node, seg.key, level);
  }
  const nextLevel = seg.key ?? 'root';
  if (seg.iterate) {
    if (!Array.isArray(next)) {
      walk.misses += 1;
      return;
    }
    for (const el of next) yield* flatten(el, segments, i + 1, carried, nextLevel, walk);
  } else {
    yield* flatten(next, segments, i + 1, carried, nextLevel, walk);
  }
}

const describeTop = (doc: unknown): string =>
  Array.isArray(doc) ? `the document is an array of ${doc.length}` : isObject(doc) ? `top-level keys: ${Object.keys(doc).slice(0, 20).join(', ')}` : `the document is a ${typeof doc}`;

/**
 * A JSON document: an array of records, or nested records flattened by `records` (see parseRecordsPath), each
 * carrying the fields of its parents (SQuAD: every qa gets its paragraph's `context` and its article's `title`).
 * Without `records`: a top-level array is the records; an object with exactly one array-valued property uses that
 * property (with a warning); any other object is one record. The whole file is read and parsed in memory.
 */
export async function* readJson(path: string, origin: RowOrigin, ctx: ReadContext, opts: { records?: string; encoding?: string }): AsyncGenerator<SourceRow> {
  const segments = opts.records !== undefined ? parseRecordsPath(opts.records, origin.locator) : undefined;
  const info = newDecodeInfo();
  const parts: string[] = [];
  for await (const text of decodeText(fileBytes(path, ctx, 'json'), ctx, info, opts.encoding)) {
    if (ctx.bytes.read > MAX_JSON_BYTES) {
      throw new UnsupportedFormatError(
        `${origin.locator}: the document is larger than ${MAX_JSON_BYTES} bytes; json: reads whole documents in memory — convert it to JSON Lines and use jsonl:`,
        origin.locator,
        'json',
      );
    }
    parts.push(text);
  }
  const text = parts.join('');
  parts.length = 0;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    ctx.declareRowCount(1);
    ctx.warn('the document is not valid JSON; it is kept as one sentinel row');
    yield sentinelRow(origin, 0, text, `not valid JSON (${(err as Error).message})`, textRowWarnings(info, text.slice(0, 4096)));
    return;
  }
  let effective = segments;
  if (!effective) {
    if (Array.isArray(doc)) effective = [{ key: null, iterate: true }];
    else if (isObject(doc)) {
      const arrays = Object.entries(doc).filter(([, v]) => Array.isArray(v));
      if (arrays.length === 1) {
        const key = (arrays[0] as [string, unknown])[0];
        effective = [{ key, iterate: true }];
        ctx.warn(`records taken from the "${key}" array (pass ?records=<path> to choose, e.g. ${key}[])`);
      } else effective = [];
    } else effective = [];
  }
  const walk: Walk = { misses: 0 };
  const records = [...flatten(doc, effective, 0, new Map(), 'root', walk)];
  if (records.length === 0 && opts.records !== undefined) {
    throw new LocatorError(`records path ${opts.records} matched nothing in ${origin.locator} (${describeTop(doc)})`, origin.locator);
  }
  if (walk.misses > 0) ctx.warn(`${walk.misses} object${walk.misses > 1 ? 's' : ''} on the records path had no array to descend into and yielded no records`);
  ctx.declareRowCount(records.length);
  const warnings = info.rowWarnings.length > 0 ? info.rowWarnings : undefined;
  for (let position = 0; position < records.length; position += 1) {
    const fields = records[position] as Obj;
    yield makeRow(origin, position, JSON.stringify(fields), fields, warnings);
    records[position] = {};
  }
}
