// The GGUF container: exact bytes of a minimal file laid out by hand from the spec, write → read round trips of every
// metadata value type and tensor type (offsets, alignment, zero padding), and malformed files refused with a reason.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GgufFile, GgufFormatError, GgufUnsupportedError, gguf, quantize, writeGgufFile, type GgufValue } from '../src/index.js';
import { prng } from './support/tiny-llama.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Little-endian field builders, independent of the writer. */
const u32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return [...b];
};
const u64 = (v: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return [...b];
};
const str = (s: string) => [...u64(Buffer.byteLength(s)), ...Buffer.from(s, 'utf8')];
const f32s = (...v: number[]) => [...new Uint8Array(Float32Array.from(v).buffer)];

describe('bytes on disk', () => {
  it('a minimal file is header, key/values, tensor info, zero padding to 32, data, zero padding to 32', async () => {
    const path = join(dir, 'minimal.gguf');
    const written = await writeGgufFile(
      path,
      new Map<string, GgufValue>([
        ['general.alignment', gguf.uint32(32)],
        ['a.b', gguf.string('hi')],
      ]),
      [{ name: 't', type: 'F32', dims: [2], data: () => quantize('F32', Float32Array.from([1, 2])) }],
    );
    const header = [
      ...[0x47, 0x47, 0x55, 0x46], // "GGUF"
      ...u32(3),
      ...u64(1), // tensors
      ...u64(2), // key/values
      ...str('general.alignment'),
      ...u32(4), // UINT32
      ...u32(32),
      ...str('a.b'),
      ...u32(8), // STRING
      ...str('hi'),
      ...str('t'),
      ...u32(1), // n_dims
      ...u64(2),
      ...u32(0), // F32
      ...u64(0), // offset in the data section
    ];
    expect(header.length).toBe(115);
    const expected = [...header, ...new Array(128 - 115).fill(0), ...f32s(1, 2), ...new Array(32 - 8).fill(0)];
    expect([...(await readFile(path))]).toEqual(expected);
    expect(written).toMatchObject({ bytes: 160, dataOffset: 128 });
  });
});

describe('write → read', () => {
  const rand = prng(7);
  const values = (n: number) => Float32Array.from({ length: n }, () => 2 * rand() - 1);
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', gguf.string('llama')],
    ['general.alignment', gguf.uint32(32)],
    ['test.u8', { type: 'uint8', value: 255 }],
    ['test.i8', { type: 'int8', value: -128 }],
    ['test.u16', { type: 'uint16', value: 65535 }],
    ['test.i16', { type: 'int16', value: -32768 }],
    ['test.u32', gguf.uint32(0xffffffff)],
    ['test.i32', gguf.int32(-0x80000000)],
    ['test.f32', gguf.float32(1e-5)],
    ['test.f64', { type: 'float64', value: Math.PI }],
    ['test.u64', gguf.uint64(2n ** 64n - 1n)],
    ['test.i64', { type: 'int64', value: -(2n ** 63n) }],
    ['test.bool', gguf.bool(true)],
    ['test.unicode', gguf.string('Ġthe — “Alice” 🐇')],
    ['test.strings', gguf.strings(['a', '', 'Ċ', 'ü'])],
    ['test.ints', gguf.int32s([1, -2, 3])],
    ['test.bools', { type: 'array', itemType: 'bool', value: [true, false] }],
    ['test.empty', gguf.strings([])],
  ]);
  const tensors = {
    // dims in GGML order: [64, 3] is a row-major [3, 64] matrix
    'blk.0.q8': { type: 'Q8_0' as const, dims: [64, 3], data: values(192) },
    'blk.0.q4': { type: 'Q4_0' as const, dims: [32, 5], data: values(160) },
    'blk.0.f16': { type: 'F16' as const, dims: [7, 3], data: values(21) },
    'norm': { type: 'F32' as const, dims: [5], data: values(5) },
    'cube': { type: 'F32' as const, dims: [2, 3, 4], data: values(24) },
  };
  let file: GgufFile;
  let bytes: Buffer;

  beforeAll(async () => {
    const path = join(dir, 'all.gguf');
    await writeGgufFile(
      path,
      metadata,
      Object.entries(tensors).map(([name, t]) => ({ name, type: t.type, dims: t.dims, data: () => quantize(t.type, t.data) })),
    );
    file = await GgufFile.open(path);
    bytes = await readFile(path);
  });
  afterAll(async () => {
    await file.close();
  });

  it('every metadata value comes back with its type and value, in order', () => {
    expect(file.version).toBe(3);
    expect([...file.metadata.keys()]).toEqual([...metadata.keys()]);
    for (const [key, v] of metadata) {
      const got = file.get(key) as GgufValue;
      expect(got.type).toBe(v.type);
      if (v.type === 'array') expect(got).toEqual(v);
      else if (v.type === 'float32') expect(got.value).toBe(Math.fround(v.value));
      else expect(got.value).toEqual(v.value);
    }
  });

  it('tensors: dims, shape (reversed), type, aligned offsets, bytes and values', async () => {
    expect(file.tensors.map((t) => t.name)).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const info = file.tensor(name);
      expect(info.dims).toEqual(t.dims);
      expect(info.shape).toEqual([...t.dims].reverse());
      expect(info.type).toBe(t.type);
      expect(info.offset % 32).toBe(0);
      expect(info.fileOffset % 32).toBe(0);
      expect([...(await file.readRaw(name))]).toEqual([...quantize(t.type, t.data)]);
      const back = await file.read(name);
      const tol = { F32: 0, F16: 1e-3, Q8_0: 1e-2, Q4_0: 0.15 }[t.type];
      for (let i = 0; i < t.data.length; i++) expect(Math.abs(back[i]! - t.data[i]!)).toBeLessThanOrEqual(tol);
    }
  });

  it('sizes follow the block layouts: Q8_0 34 bytes / 32, Q4_0 18 bytes / 32, F16 2, F32 4', () => {
    expect(file.tensor('blk.0.q8').bytes).toBe(6 * 34);
    expect(file.tensor('blk.0.q4').bytes).toBe(5 * 18);
    expect(file.tensor('blk.0.f16').bytes).toBe(42);
    expect(file.tensor('cube').bytes).toBe(96);
  });

  it('the data section starts aligned; gaps between tensors and the file end are zero padding', () => {
    expect(file.dataOffset % 32).toBe(0);
    expect(bytes.length % 32).toBe(0);
    const ends = [...file.tensors].sort((a, b) => a.fileOffset - b.fileOffset);
    let cursor = file.dataOffset;
    for (const t of ends) {
      expect(t.fileOffset).toBe(cursor + ((32 - ((cursor - file.dataOffset) % 32)) % 32));
      expect(bytes.subarray(cursor, t.fileOffset).every((b) => b === 0)).toBe(true);
      cursor = t.fileOffset + (t.bytes as number);
    }
    expect(bytes.length - cursor).toBeLessThan(32);
    expect(bytes.subarray(cursor).every((b) => b === 0)).toBe(true);
  });
});

describe('refusals', () => {
  it('the writer refuses a row length that is not whole blocks, bad keys, out-of-range values and long names', async () => {
    const path = join(dir, 'bad.gguf');
    const one = (dims: number[], type: 'Q8_0' | 'F32' = 'Q8_0', name = 'x') => [{ name, type, dims, data: () => new Uint8Array(0) }];
    await expect(writeGgufFile(path, new Map(), one([48, 2]))).rejects.toThrow(/row length 48 is not a multiple of Q8_0's block size 32/);
    await expect(writeGgufFile(path, new Map([['Bad.Key', gguf.uint32(1)]]), [])).rejects.toThrow(GgufUnsupportedError);
    await expect(writeGgufFile(path, new Map([['a.b', gguf.uint32(-1)]]), [])).rejects.toThrow(/-1 is not a uint32/);
    await expect(writeGgufFile(path, new Map(), one([4], 'F32', 'n'.repeat(64)))).rejects.toThrow(/longer than 63 bytes/);
    await expect(writeGgufFile(path, new Map([['general.alignment', gguf.uint32(12)]]), [])).rejects.toThrow(/power of two/);
    await expect(writeGgufFile(path, new Map(), [{ name: 'x', type: 'F32', dims: [4], data: () => new Uint8Array(8) }])).rejects.toThrow(/8 bytes of data, its type and dims need 16/);
  });

  it('the reader refuses a wrong magic, an unknown version, a truncated file and a misaligned tensor offset', async () => {
    const good = join(dir, 'good.gguf');
    await writeGgufFile(good, new Map([['general.alignment', gguf.uint32(32)]]), [{ name: 't', type: 'F32', dims: [8], data: () => new Uint8Array(32) }]);
    const original = await readFile(good);
    const variant = async (name: string, edit: (b: Buffer) => Buffer) => {
      const p = join(dir, name);
      await writeFile(p, edit(Buffer.from(original)));
      return GgufFile.open(p);
    };
    await expect(variant('magic.gguf', (b) => (b.write('GGML', 0), b))).rejects.toThrow(/not a GGUF file/);
    await expect(variant('version.gguf', (b) => (b.writeUInt32LE(1, 4), b))).rejects.toThrow(/GGUF version 1 is not supported/);
    await expect(variant('short.gguf', (b) => b.subarray(0, 40))).rejects.toThrow(GgufFormatError);
    await expect(variant('data.gguf', (b) => b.subarray(0, b.length - 20))).rejects.toThrow(/runs past the end of the file/);
    // The tensor's offset field: 24 (header) + 33 (the alignment key/value) + 9 (name) + 4 (n_dims) + 8 (dim) + 4 (type) = 82.
    await expect(variant('offset.gguf', (b) => (b.writeBigUInt64LE(8n, 82), b))).rejects.toThrow(/offset 8 is not a multiple of the alignment 32/);
    await expect(variant('type.gguf', (b) => (b.writeUInt32LE(8, 78), b))).rejects.toThrow(/row length 8 is not a multiple of Q8_0's block size 32/);
    await expect(GgufFile.open(join(dir, 'missing.gguf'))).rejects.toThrow(/cannot open/);
  });
});
