import { afterAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import {
  bf16BitsToF32,
  decodeSafetensors,
  encodeSafetensors,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  SafetensorsError,
  SafetensorsFile,
  writeSafetensors,
} from '../src/index.js';
import { bitsOf, sandbox } from './support/sandbox.js';

const box = sandbox('safetensors-');
afterAll(() => box.cleanup());

/** A safetensors file from a header object and data bytes, written by hand (no use of the code under test). */
function craft(header: Record<string, unknown>, data: Uint8Array, opts: { length?: bigint } = {}): Uint8Array {
  let json = JSON.stringify(header);
  while (new TextEncoder().encode(json).length % 8 !== 0) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32Bytes = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

async function fileError(bytes: Uint8Array, name: string): Promise<SafetensorsError> {
  const path = box.path(name);
  writeFileSync(path, bytes);
  const err = await SafetensorsFile.open(path).then(
    (f) => f.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SafetensorsError);
  return err as SafetensorsError;
}

describe('binary16 conversion', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite
    [65519, 0x7bff], // below the halfway point to 65536
    [65520, 0x7c00], // the tie rounds to even, which is Inf
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: tie to even (0)
    [0.75 * 2 ** -24, 0x0001], // above the tie
    [1.5 * 2 ** -24, 0x0002], // tie between 1 and 2 units: to even (2)
    [2.5 * 2 ** -24, 0x0002], // tie between 2 and 3 units: to even (2)
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1 + 2^-10: to even
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1 + 2^-10 and 1 + 2^-9: to even
    [1 + 2 ** -10, 0x3c01],
    [1.401298464324817e-45, 0x0000], // float32 subnormal → 0
    [-1e-30, 0x8000], // underflow keeps the sign
  ])('%p → 0x%s', (value, bits) => {
    expect(f32ToF16Bits(value)).toBe(bits);
  });

  it('NaN stays NaN (and keeps its sign) both ways', () => {
    const h = f32ToF16Bits(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x03ff).not.toBe(0);
    expect(f32ToF16Bits(-NaN) & 0x7fff).toBe(h & 0x7fff);
    expect(Number.isNaN(f16BitsToF32(0x7e00))).toBe(true);
    expect(Number.isNaN(f16BitsToF32(0xfc01))).toBe(true);
  });

  it('decodes every kind of binary16 exactly', () => {
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14);
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0x3555)).toBe(0.333251953125);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
  });

  it('every binary16 value survives float32 and back', () => {
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const back = f32ToF16Bits(f16BitsToF32(h));
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN ? (back & 0x7c00) !== 0x7c00 || (back & 0x3ff) === 0 : back !== h) bad.push(h);
    }
    expect(bad).toEqual([]);
  });
});

describe('bfloat16 conversion', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3f80],
    [1 + 2 ** -8, 0x3f80], // tie: to even
    [1 + 3 * 2 ** -8, 0x3f82], // tie: to even (up)
    [1 + 2 ** -7, 0x3f81],
    [3.4028234663852886e38, 0x7f80], // float32 max rounds past bf16 max: Inf
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [2 ** -133, 0x0001], // smallest bf16 subnormal
    [2 ** -149, 0x0000], // smallest float32 subnormal: rounds to 0
    [3 * 2 ** -134, 0x0002], // tie (1.5 units): to even
  ])('%p → 0x%s', (value, bits) => {
    expect(f32ToBf16Bits(value)).toBe(bits);
  });

  it('decodes and keeps NaN', () => {
    expect(bf16BitsToF32(0x0001)).toBe(2 ** -133);
    expect(bf16BitsToF32(0xbf80)).toBe(-1);
    expect(bf16BitsToF32(0x7f80)).toBe(Infinity);
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN)))).toBe(true);
    // A NaN whose payload sits only in the low 16 bits must not become Inf.
    const f = new Float32Array(new Uint32Array([0x7f800001]).buffer)[0] as number;
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(f)))).toBe(true);
  });
});

describe('safetensors round trips', () => {
  const edge = [0, -0, 1, -1.5, 3.140625, 65504, 65520, 1e-8, 2 ** -24, 2 ** -25, 1e-40, NaN, Infinity, -Infinity, 3.4e38, -7.25e-3];

  it('F32 is bit-exact, NaN payloads and -0 included', async () => {
    const data = new Float32Array(edge);
    new Uint32Array(data.buffer)[11] = 0x7fc12345; // a NaN with a payload
    const path = box.path('f32.safetensors');
    await writeSafetensors(path, { w: { shape: [4, 4], data } }, { metadata: { format: 'pt', note: 'edge values' } });
    const f = await SafetensorsFile.open(path);
    expect(f.metadata).toEqual({ format: 'pt', note: 'edge values' });
    expect(f.info('w')).toMatchObject({ dtype: 'F32', shape: [4, 4], begin: 0, end: 64 });
    expect(bitsOf(await f.read('w'))).toEqual(bitsOf(data));
    await f.close();
  });

  it.each([
    ['F16', f32ToF16Bits, f16BitsToF32],
    ['BF16', f32ToBf16Bits, bf16BitsToF32],
  ] as const)('%s converts on write and read like the scalar conversion', async (dtype, toBits, fromBits) => {
    const data = new Float32Array(edge);
    const path = box.path(`${dtype}.safetensors`);
    await writeSafetensors(path, { w: { shape: [16], data } }, { dtype });
    const f = await SafetensorsFile.open(path);
    expect(f.info('w')).toMatchObject({ dtype, shape: [16], begin: 0, end: 32 });
    const raw = await f.readRaw('w');
    const halves = Array.from({ length: 16 }, (_, i) => (raw[2 * i] as number) | ((raw[2 * i + 1] as number) << 8));
    expect(halves).toEqual(edge.map((v) => toBits(v)));
    const back = await f.read('w');
    expect(Array.from(back, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v))).toEqual(
      edge.map((v) => {
        const r = fromBits(toBits(v));
        return Number.isNaN(r) ? 'NaN' : Object.is(r, -0) ? '-0' : r;
      }),
    );
    await f.close();
  });

  it('mixed dtypes in one file: aligned layout, each tensor read back, in memory as on disk', async () => {
    const a = { shape: [3], data: new Float32Array([1, 2, 3]), dtype: 'F16' as const };
    const b = { shape: [2, 2], data: new Float32Array([0.5, -0.5, 0.25, -0.25]) };
    const c = { shape: [0], data: new Float32Array(0), dtype: 'BF16' as const };
    const bytes = encodeSafetensors({ a, b, c });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: number[] }>;
    // F32 first (alignment), then the 2-byte dtypes by name.
    expect(header['b']?.data_offsets).toEqual([0, 16]);
    expect(header['a']?.data_offsets).toEqual([16, 22]);
    expect(header['c']?.data_offsets).toEqual([22, 22]);
    const decoded = decodeSafetensors(bytes);
    expect([...decoded.tensors.keys()]).toEqual(['b', 'a', 'c']);
    expect(Array.from(decoded.tensors.get('a')?.data ?? [])).toEqual([1, 2, 3]);
    expect(decoded.tensors.get('a')?.dtype).toBe('F16');
    expect(Array.from(decoded.tensors.get('b')?.data ?? [])).toEqual([0.5, -0.5, 0.25, -0.25]);
    expect(decoded.tensors.get('c')?.shape).toEqual([0]);
    const path = box.path('mixed.safetensors');
    writeFileSync(path, bytes);
    const f = await SafetensorsFile.open(path);
    expect(Array.from(await f.read('a'))).toEqual([1, 2, 3]);
    await f.close();
  });

  it('reads only the bytes of the tensors asked for, once', async () => {
    const big = new Float32Array(10_000).map((_, i) => i);
    const path = box.path('partial.safetensors');
    const size = await writeSafetensors(path, { big: { shape: [100, 100], data: big }, small: { shape: [2], data: new Float32Array([7, 8]) } });
    const f = await SafetensorsFile.open(path);
    const afterHeader = f.bytesRead;
    expect(afterHeader).toBe(f.header.dataOffset);
    expect(Array.from(await f.read('small'))).toEqual([7, 8]);
    expect(f.bytesRead).toBe(afterHeader + 8);
    expect((await f.read('big'))[9_999]).toBe(9_999);
    expect(f.bytesRead).toBe(size);
    await f.close();
  });

  it('refuses to write a tensor whose data does not fill its shape, naming it', async () => {
    await expect(writeSafetensors(box.path('bad.safetensors'), { 'layer.w': { shape: [2, 3], data: new Float32Array(5) } })).rejects.toThrow(
      /tensor "layer\.w" has shape \[2,3\] but 5 values/,
    );
  });
});

describe('corrupt files are refused with the file and the tensor named', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('a header length past the end of the file', async () => {
    const err = await fileError(craft(ok, f32Bytes([1, 2]), { length: 4096n }), 'long-header.safetensors');
    expect(err.message).toMatch(/long-header\.safetensors: header length 4096 runs past the end of the file/);
  });

  it('a file shorter than the length prefix', async () => {
    const err = await fileError(new Uint8Array([1, 2, 3]), 'tiny.safetensors');
    expect(err.message).toMatch(/tiny\.safetensors: 3 bytes is too short/);
  });

  it('a header length beyond the 100 MB limit', async () => {
    const err = await fileError(craft(ok, f32Bytes([1, 2]), { length: 2n ** 40n }), 'huge.safetensors');
    expect(err.message).toMatch(/header length 1099511627776 exceeds/);
  });

  it('a header that is not JSON', async () => {
    const bytes = craft(ok, f32Bytes([1, 2]));
    bytes[8] = 0x5b; // '[' … breaks the object
    bytes[9] = 0x7b;
    const err = await fileError(bytes, 'not-json.safetensors');
    expect(err.message).toMatch(/not-json\.safetensors: the safetensors header is not valid UTF-8 JSON/);
  });

  it('an unknown dtype', async () => {
    const err = await fileError(craft({ 'model.norm.weight': { dtype: 'F42', shape: [2], data_offsets: [0, 8] } }, f32Bytes([1, 2])), 'dtype.safetensors');
    expect(err.tensor).toBe('model.norm.weight');
    expect(err.file).toMatch(/dtype\.safetensors$/);
    expect(err.message).toMatch(/dtype\.safetensors: tensor "model\.norm\.weight" has unknown dtype "F42"/);
  });

  it('offsets out of range', async () => {
    const err = await fileError(craft({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32Bytes([1, 2])), 'range.safetensors');
    expect(err.tensor).toBe('w');
    expect(err.message).toMatch(/tensor "w": data_offsets \[0, 16\] are out of range \(the data section has 8 bytes\)/);
  });

  it('offsets that do not match dtype × shape', async () => {
    const err = await fileError(craft({ w: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } }, f32Bytes([1, 2])), 'span.safetensors');
    expect(err.message).toMatch(/tensor "w": data_offsets \[0, 8\] span 8 bytes but F16\[2\] needs 4/);
  });

  it('overlapping tensors, holes and trailing bytes', async () => {
    const overlap = await fileError(
      craft(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        f32Bytes([1, 2]),
      ),
      'overlap.safetensors',
    );
    expect(overlap.message).toMatch(/tensor "b" \(bytes 4–8\) overlaps tensor "a"/);
    const hole = await fileError(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32Bytes([1, 2])), 'hole.safetensors');
    expect(hole.message).toMatch(/bytes 0–4 before tensor "a" belong to no tensor/);
    const trailing = await fileError(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32Bytes([1, 2])), 'trailing.safetensors');
    expect(trailing.message).toMatch(/the data section has 8 bytes but the tensors cover 4 \(the last is "a"\)/);
  });

  it('a bad shape, bad offsets, and bad metadata', async () => {
    expect((await fileError(craft({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32Bytes([1, 2])), 's.safetensors')).message).toMatch(
      /tensor "w" has an invalid shape \[-2\]/,
    );
    expect((await fileError(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, f32Bytes([1, 2])), 'o.safetensors')).message).toMatch(
      /tensor "w" has invalid data_offsets \[8,0\]/,
    );
    expect((await fileError(craft({ __metadata__: { step: 3 }, ...ok }, f32Bytes([1, 2])), 'm.safetensors')).message).toMatch(
      /__metadata__\.step must be a string \(got 3\)/,
    );
  });

  it('a known dtype that is not a float is parsed, and refused when read as float32', async () => {
    const path = box.path('ints.safetensors');
    writeFileSync(path, craft({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)));
    const f = await SafetensorsFile.open(path);
    expect(f.info('ids').dtype).toBe('I64');
    await expect(f.read('ids')).rejects.toThrow(/ints\.safetensors: tensor "ids" has dtype I64, which cannot be read as float32/);
    await expect(f.read('nope')).rejects.toThrow(/has no tensor "nope"/);
    await f.close();
  });

  it('a missing file', async () => {
    await expect(SafetensorsFile.open(box.path('absent.safetensors'))).rejects.toThrow(/absent\.safetensors: cannot open \(ENOENT\)/);
  });
});
