/**
 * The ZIP writer alone: round trips through our reader and through Python's zipfile (an independent reader), CRC-32
 * values, stored vs deflated entries, many files, UTF-8 names, and the refusals.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ZipFormatError, ZipLimitError, createZip, readZip } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'zip-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Python's zipfile: testzip() (every CRC checked) and each entry's name, size, CRC and content as hex. */
function pythonRead(zip: Buffer): Array<{ name: string; size: number; crc: number; compress_type: number; hex: string }> {
  const file = join(dir, `z${Math.random().toString(36).slice(2)}.zip`);
  writeFileSync(file, zip);
  const script = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'bad = z.testzip()',
    'assert bad is None, "bad crc in " + str(bad)',
    'print(json.dumps([{"name": i.filename, "size": i.file_size, "crc": i.CRC, "compress_type": i.compress_type, "hex": z.read(i).hex()} for i in z.infolist()]))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as ReturnType<typeof pythonRead>;
}

describe('createZip', () => {
  it('round trips text and binary entries through our reader and through python zipfile', () => {
    const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
    const text = 'hello support bundle\n'.repeat(200);
    const zip = createZip([
      { name: 'a.txt', data: text },
      { name: 'dir/b.bin', data: binary },
      { name: 'empty.json', data: '' },
    ]);
    const ours = readZip(zip);
    expect(ours.map((e) => e.name)).toEqual(['a.txt', 'dir/b.bin', 'empty.json']);
    expect(ours[0]!.data.toString('utf8')).toBe(text);
    expect(ours[1]!.data.equals(binary)).toBe(true);
    expect(ours[2]!.data.length).toBe(0);
    const py = pythonRead(zip);
    expect(py.map((e) => e.name)).toEqual(['a.txt', 'dir/b.bin', 'empty.json']);
    expect(Buffer.from(py[0]!.hex, 'hex').toString('utf8')).toBe(text);
    expect(Buffer.from(py[1]!.hex, 'hex').equals(binary)).toBe(true);
    expect(py[2]!.size).toBe(0);
  });

  it('writes the CRC-32 of the uncompressed data (a known value, and zlib.crc32 of each entry)', () => {
    // CRC-32 of "123456789" is the standard check value 0xCBF43926.
    const zip = createZip([{ name: 'check.txt', data: '123456789' }, { name: 'x.txt', data: 'x'.repeat(10_000) }]);
    const py = pythonRead(zip);
    expect(py[0]!.crc).toBe(0xcbf43926);
    expect(py[1]!.crc).toBe(crc32(Buffer.from('x'.repeat(10_000))) >>> 0);
    expect(readZip(zip)[0]!.crc32).toBe(0xcbf43926);
  });

  it('deflates what shrinks and stores what does not', () => {
    const zip = createZip([{ name: 'repetitive.txt', data: 'abc'.repeat(5000) }, { name: 'tiny.txt', data: 'a' }]);
    const py = pythonRead(zip);
    expect(py[0]!.compress_type).toBe(8);
    expect(py[1]!.compress_type).toBe(0);
    expect(zip.length).toBeLessThan(15_000);
    const stored = createZip([{ name: 'repetitive.txt', data: 'abc'.repeat(5000) }], { level: 0 });
    expect(pythonRead(stored)[0]!.compress_type).toBe(0);
    expect(readZip(stored)[0]!.data.toString()).toBe('abc'.repeat(5000));
  });

  it('holds many files', () => {
    const entries = Array.from({ length: 1500 }, (_, i) => ({ name: `files/${String(i).padStart(4, '0')}.json`, data: JSON.stringify({ i, sq: i * i }) }));
    const zip = createZip(entries);
    const py = pythonRead(zip);
    expect(py).toHaveLength(1500);
    expect(py[1499]!.name).toBe('files/1499.json');
    expect(JSON.parse(Buffer.from(py[777]!.hex, 'hex').toString('utf8'))).toEqual({ i: 777, sq: 777 * 777 });
    expect(readZip(zip).map((e) => e.name)).toEqual(entries.map((e) => e.name));
  });

  it('writes UTF-8 names (flag bit 11) that readers decode as written', () => {
    const names = ['données/résumé.json', '日本語/ファイル.txt', 'emoji-🧪.jsonl', 'Ελληνικά.txt'];
    const zip = createZip(names.map((name) => ({ name, data: `content of ${name}` })));
    expect(pythonRead(zip).map((e) => e.name)).toEqual(names);
    expect(readZip(zip).map((e) => e.name)).toEqual(names);
    // Flag bit 11 in the first local header (offset 6) and in the central directory.
    expect(zip.readUInt16LE(6) & 0x0800).toBe(0x0800);
  });

  it('stamps the DOS time of the archive date', () => {
    const zip = createZip([{ name: 'a', data: 'a' }], { mtime: new Date('2026-11-22T10:31:44Z') });
    const time = zip.readUInt16LE(10);
    const date = zip.readUInt16LE(12);
    expect([(date >> 9) + 1980, (date >> 5) & 15, date & 31]).toEqual([2026, 11, 22]);
    expect([time >> 11, (time >> 5) & 63, (time & 31) * 2]).toEqual([10, 31, 44]);
  });

  it('refuses duplicate, absolute and parent-relative names', () => {
    expect(() => createZip([{ name: 'a', data: '1' }, { name: 'a', data: '2' }])).toThrow(ZipLimitError);
    expect(() => createZip([{ name: '/etc/passwd', data: '' }])).toThrow(/relative path/);
    expect(() => createZip([{ name: 'a/../b', data: '' }])).toThrow(/relative path/);
    expect(() => createZip([{ name: '', data: '' }])).toThrow(/empty/);
  });

  it('the reader notices a corrupted entry', () => {
    const zip = createZip([{ name: 'a.txt', data: 'stored text' }], { level: 0 });
    const bad = Buffer.from(zip);
    const at = 30 + 'a.txt'.length; // first byte of the stored data
    bad[at] = bad[at]! ^ 0xff;
    expect(() => readZip(bad)).toThrow(/CRC-32/);
    expect(() => readZip(Buffer.from('not a zip at all, just some text'))).toThrow(ZipFormatError);
  });
});
