import { describe, expect, it } from '@jest/globals';
import { type CsvError, parse } from 'csv-parse';
import { type CsvItem, csvScanner, type CsvScanOptions, stripTerminator } from '../src/formats/csv-scanner.js';

// The fast CSV scanner must give exactly what csv-parse gave with readCsv's options (cells, raw text, error codes
// and messages), whatever the chunking. The reference below is the csv-parse set-up readCsv used before the scanner.

type Ref = { cells: string[]; raw: string } | { error: { code: string; message: string }; raw: string };

const legacyStrip = (raw: string): string => raw.replace(/^[\r\n]+/, '').replace(/(\r\n|\n|\r)$/, '');

async function reference(chunks: readonly string[], opts: CsvScanOptions): Promise<Ref[]> {
  const out: Ref[] = [];
  let failure: unknown;
  const parser = parse({
    delimiter: opts.delimiter,
    quote: opts.quote ?? false,
    bom: true,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: opts.maxRecordSize,
    raw: true,
    on_record: (rec, context) => {
      const { record, raw } = rec as unknown as { record: string[]; raw?: string };
      out.push({ cells: record, raw: legacyStrip(raw ?? context.raw ?? '') });
      return null;
    },
    on_skip: (err, raw) => {
      out.push({ error: { code: (err as CsvError).code, message: (err as CsvError).message }, raw: legacyStrip(raw ?? '') });
      return undefined;
    },
  });
  parser.on('error', (err) => {
    failure ??= err;
  });
  parser.resume();
  for (const c of chunks) await new Promise<void>((res, rej) => parser.write(c, (err) => (err ? rej(err) : res())));
  await new Promise<void>((res, rej) => parser.end(() => (failure ? rej(failure) : res())));
  parser.destroy();
  return out;
}

async function scanned(chunks: readonly string[], opts: CsvScanOptions): Promise<Ref[]> {
  const scanner = csvScanner(opts);
  const out: CsvItem[] = [];
  for (const c of chunks) await scanner.write(c, out);
  await scanner.end(out);
  return out.map((i) => ('error' in i ? { error: { code: i.error.code, message: i.error.message }, raw: i.raw } : { cells: i.cells, raw: i.raw }));
}

/** Items up to and including the first size error: csv-parse stops making sense after it (readCsv stops there). */
const untilSizeError = (items: Ref[]): Ref[] => {
  const k = items.findIndex((i) => 'error' in i && i.error.code === 'CSV_MAX_RECORD_SIZE');
  return k === -1 ? items : items.slice(0, k + 1);
};

const FUZZ = Number(process.env['CSV_FUZZ'] ?? 400);
let seed = Number(process.env['CSV_FUZZ_SEED'] ?? 12345);
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const PIECES = ['a', 'b', 'xy', ' ', ',', ',', ';', '::', ':', '\t', '"', '"', '""', '\r', '\n', '\n', '\r\n', '\r\n', '\0', 'é', '😀', '\uFEFF'];

function randomText(len: number, opts: CsvScanOptions): string {
  let s = rand() < 0.1 ? '\uFEFF' : '';
  for (let k = 0; k < len; k += 1) {
    if (rand() < 0.3) s += opts.delimiter;
    else s += PIECES[Math.floor(rand() * PIECES.length)];
  }
  return s;
}

/** Cuts text at random code point boundaries (a decoder never splits a surrogate pair). */
function randomChunks(text: string): string[] {
  const chunks: string[] = [];
  let i = 0;
  while (i < text.length) {
    let j = Math.min(text.length, i + 1 + Math.floor(rand() * (rand() < 0.5 ? 4 : 40)));
    if (j < text.length && text.charCodeAt(j) >= 0xdc00 && text.charCodeAt(j) <= 0xdfff) j += 1;
    chunks.push(text.slice(i, j));
    i = j;
  }
  if (rand() < 0.1) chunks.splice(Math.floor(rand() * (chunks.length + 1)), 0, '');
  return chunks;
}

const OPTION_SETS: CsvScanOptions[] = [
  { delimiter: ',', quote: '"', maxRecordSize: 16 * 1024 * 1024 },
  { delimiter: ';', quote: '"', maxRecordSize: 16 * 1024 * 1024 },
  { delimiter: '::', quote: '"', maxRecordSize: 16 * 1024 * 1024 },
  { delimiter: '\t', quote: null, maxRecordSize: 16 * 1024 * 1024 },
  { delimiter: ',', quote: "'", maxRecordSize: 16 * 1024 * 1024 },
  // small limits: long records go to csv-parse for the rest of the input, with line numbers counted from the start
  { delimiter: ',', quote: '"', maxRecordSize: 40 },
  { delimiter: ',', quote: '"', maxRecordSize: 12 },
];

describe('csv scanner ≡ csv-parse with readCsv options', () => {
  it('stripTerminator matches the regular-expression version', () => {
    for (const raw of ['', 'a', '\r\na\r\n', '\n\n', 'a\r', 'a\r\r\n', '\r', 'a\n\r', '\ra,b\n', 'x\r\n\r\n']) expect(stripTerminator(raw)).toBe(legacyStrip(raw));
  });

  it('known cases: quotes kept by relax_quotes, escapes, NUL after a closing quote, empty lines, lone CR, BOM', async () => {
    const opts = OPTION_SETS[0] as CsvScanOptions;
    for (const text of [
      'a,b\n1,2\n3,"unterminated\n4,5\n',
      '"abc"def,x\n"a""b"c,d\r\n',
      '"x"\0y,z\n',
      'a,b\r\n\r\n\r\nc,d\r\n',
      'a\r\r\n\rb,c\n',
      '\uFEFFh1,h2\r\n"q,1",2',
      '"",""\n,\n',
      'a,"b\r\nc"\r\n"open\r\n',
      'a,b\r',
    ]) {
      for (const chunks of [[text], text.split('')]) expect(await scanned(chunks, opts)).toEqual(await reference(chunks, opts));
    }
  });

  it('random inputs in random chunks, for every option set', async () => {
    let cases = 0;
    for (const opts of OPTION_SETS) {
      for (let k = 0; k < FUZZ; k += 1) {
        const text = randomText(Math.floor(rand() * (rand() < 0.8 ? 60 : 400)), opts);
        const chunks = randomChunks(text);
        const [want, got] = [untilSizeError(await reference(chunks, opts)), untilSizeError(await scanned(chunks, opts))];
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          expect(JSON.stringify({ opts, text, chunks, got })).toEqual(JSON.stringify({ opts, text, chunks, got: want }));
        }
        cases += 1;
      }
    }
    expect(cases).toBe(OPTION_SETS.length * FUZZ);
  });
});
