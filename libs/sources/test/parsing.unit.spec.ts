import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { LocatorError, normalizeHeader, parseLocator, parseRecordsPath, rowId } from '../src/index.js';
import { decodeText, newDecodeInfo } from '../src/core/decode.js';
import { splitLines } from '../src/core/lines.js';
import type { ReadContext } from '../src/core/stream-source.js';

async function* chunks<T>(...parts: T[]): AsyncGenerator<T> {
  for (const p of parts) yield p;
}
const all = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

const memoryContext = (): ReadContext & { warnings: string[] } => {
  const warnings: string[] = [];
  return {
    locator: 'test:x',
    bytes: { read: 0, total: null },
    warnings,
    warn: (m) => warnings.push(m),
    declareColumns: () => undefined,
    declareRowCount: () => undefined,
    setFormat: () => undefined,
    setResolved: () => undefined,
  };
};

describe('parseLocator', () => {
  it('splits prefix, body and options', () => {
    expect(parseLocator('csv:data/x.csv?header=false&columns=a%2Cb')).toEqual({
      locator: 'csv:data/x.csv?header=false&columns=a%2Cb',
      scheme: 'csv',
      body: 'data/x.csv',
      options: { header: 'false', columns: 'a,b' },
    });
    expect(parseLocator('kaggle:dataset:o/s').body).toBe('dataset:o/s');
    expect(parseLocator('hf:acme/x:test:v1').body).toBe('acme/x:test:v1');
  });

  it('rejects what is not <prefix>:<body>', () => {
    for (const bad of ['', 'x.csv', ':x', 'CSV:x', '1csv:x', 'csv:?a=1']) expect(() => parseLocator(bad)).toThrow(LocatorError);
  });
});

describe('normalizeHeader', () => {
  it('names blank cells by position and numbers duplicates, never colliding with a real name', () => {
    expect(normalizeHeader(['name', 'name', '', 'name', ' '])).toEqual(['name', 'name_2', 'column_3', 'name_3', 'column_5']);
    expect(normalizeHeader(['column_2', '', 'x'])).toEqual(['column_2', 'column_2_2', 'x']);
    expect(normalizeHeader([' padded '])).toEqual(['padded']);
  });
});

describe('parseRecordsPath', () => {
  it('parses names with [] and a leading root []', () => {
    expect(parseRecordsPath('data[].paragraphs[].qas[]', 'json:x')).toEqual([
      { key: 'data', iterate: true },
      { key: 'paragraphs', iterate: true },
      { key: 'qas', iterate: true },
    ]);
    expect(parseRecordsPath('[].items', 'json:x')).toEqual([
      { key: null, iterate: true },
      { key: 'items', iterate: false },
    ]);
    expect(() => parseRecordsPath('data..x', 'json:x')).toThrow(LocatorError);
    expect(() => parseRecordsPath('a[0]', 'json:x')).toThrow(/invalid records path/);
  });
});

describe('rowId', () => {
  it('hashes identity, position and raw content', () => {
    const expected = createHash('sha256').update('/d/f.jsonl\u00003\u0000{"a":1}').digest('hex').slice(0, 32);
    expect(rowId('/d/f.jsonl', 3, '{"a":1}')).toBe(expected);
    expect(rowId('/d/f.jsonl', 4, '{"a":1}')).not.toBe(expected);
    expect(rowId('/d/g.jsonl', 3, '{"a":1}')).not.toBe(expected);
    expect(rowId('/d/f.jsonl', 3, '{"a":2}')).not.toBe(expected);
  });
});

describe('splitLines', () => {
  it('handles LF, CRLF split across chunks, a final line without terminator, and lone CR when asked', async () => {
    expect(await all(splitLines(chunks('a\nb\r', '\nc', 'd\n\ne')))).toEqual(['a', 'b', 'cd', '', 'e']);
    expect(await all(splitLines(chunks('x\ry\n')))).toEqual(['x\ry']);
    expect(await all(splitLines(chunks('x\ry\r', '\nz\r'), true))).toEqual(['x', 'y', 'z']);
    expect(await all(splitLines(chunks('lo', 'ng', ' line')))).toEqual(['long line']);
    expect(await all(splitLines(chunks<string>()))).toEqual([]);
  });
});

describe('decodeText', () => {
  it('strips a UTF-8 BOM and keeps multi-byte characters split across chunks', async () => {
    const bytes = Buffer.from('\uFEFFcafé ☕\n', 'utf8');
    const ctx = memoryContext();
    const info = newDecodeInfo();
    const text = (await all(decodeText(chunks(bytes.subarray(0, 6), bytes.subarray(6, 9), bytes.subarray(9)), ctx, info))).join('');
    expect(text).toBe('café ☕\n');
    expect(info).toEqual({ encoding: 'utf-8', rowWarnings: [], invalidUtf8: false });
    expect(ctx.warnings).toEqual([]);
  });

  it('decodes UTF-16LE by its BOM, and guesses a legacy encoding when the start is not UTF-8', async () => {
    const ctx = memoryContext();
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hé', 'utf16le')]);
    expect((await all(decodeText(chunks(utf16), ctx, newDecodeInfo()))).join('')).toBe('hé');
    const info = newDecodeInfo();
    const latin = Buffer.from('The caf\xe9 served cr\xe8me br\xfbl\xe9e and a na\xefve pi\xf1a colada; \xa35 each.\n'.repeat(20), 'latin1');
    expect((await all(decodeText(chunks(latin), ctx, info))).join('')).toContain('The café served crème brûlée and a naïve piña colada; £5 each.');
    expect(info.encoding).toBe('windows-1252'); // chardet says ISO-8859-1, read as its WHATWG superset
    expect(info.rowWarnings).toEqual(['decoded as windows-1252']);
    expect(ctx.warnings.at(-1)).toMatch(/^decoded as windows-1252: the first 64 KiB are not valid UTF-8 \(encoding guessed by chardet as ISO-8859-1/);
  });

  it('rejects an unknown explicit encoding', async () => {
    await expect(all(decodeText(chunks(Buffer.from('x')), memoryContext(), newDecodeInfo(), 'klingon-8'))).rejects.toThrow(/unknown encoding "klingon-8"/);
  });
});
