// Quantizers against hand-derived block bytes (the reference algorithm worked through on chosen inputs: scale bits,
// roundf ties, the Q4_0 clamp, its sign rule and nibble layout), then error bounds and idempotence on random data.
import { describe, expect, it } from '@jest/globals';
import { f16BitsToF32 } from '@distillery/models';
import { dequantize, dequantizeQ4_0, dequantizeQ8_0, GgufUnsupportedError, quantize, quantizeQ4_0, quantizeQ8_0, QK } from '../src/index.js';
import { prng } from './support/tiny-llama.js';

const block = (values: Record<number, number>, fill = 0): Float32Array => {
  const b = new Float32Array(QK).fill(fill);
  for (const [i, v] of Object.entries(values)) b[Number(i)] = v;
  return b;
};

const int8 = (v: number): number => v & 0xff;

describe('Q8_0 block bytes', () => {
  it('d = amax/127 as fp16 little-endian, q = roundf(x/d) with halves away from zero', () => {
    // amax 127/128 → d = 1/128 exactly (fp16 0x2000), 1/d = 128 exactly, so x·128 lands on exact halves.
    const x = block({ 0: 127 / 128, 1: -2.5 / 128, 2: 2.5 / 128, 3: -0.5 / 128, 4: 0.49 / 128, 5: -127 / 128, 6: 10 / 128 });
    const bytes = quantizeQ8_0(x);
    expect(bytes.length).toBe(34);
    expect([...bytes.subarray(0, 9)]).toEqual([0x00, 0x20, 127, int8(-3), 3, int8(-1), 0, int8(-127), 10]);
    expect([...bytes.subarray(9)]).toEqual(new Array(25).fill(0));
  });

  it('an all-zero block has d = 0 and q = 0 (no division by zero)', () => {
    expect([...quantizeQ8_0(new Float32Array(QK))]).toEqual(new Array(34).fill(0));
  });

  it('a scale that is not an fp16 value is rounded to nearest even for storage, while q uses the float32 scale', () => {
    // amax 1 → d = 1/127 = 0.00787401… → fp16 0x2008 (1.0078125 · 2^-7); the element equal to amax still maps to 127.
    const x = block({ 0: 1, 1: -0.5 });
    const bytes = quantizeQ8_0(x);
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0x2008);
    expect(bytes[2]).toBe(127);
    expect(bytes[3]).toBe(int8(-64)); // −0.5 · 127.00000x = −63.50000x → −64
  });
});

describe('Q4_0 block bytes', () => {
  it('d = max/−8 of the largest-magnitude element (first on ties), q = min(15, trunc(x/d + 8.5)), nibbles j | j+16', () => {
    // max = −1 (index 5; +1 at index 20 has equal magnitude and comes later) → d = 0.125 (fp16 0x3000), 1/d = 8.
    const x = block({ 5: -1, 20: 1, 1: 0.0625, 2: -0.0625, 3: 0.5, 17: -0.5, 30: 0.9 });
    const bytes = quantizeQ4_0(x);
    expect(bytes.length).toBe(18);
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0x3000);
    const q = new Array<number>(QK).fill(8); // x = 0 → trunc(8.5) = 8
    q[5] = 0; // −8 + 8.5 → 0
    q[20] = 15; // 8 + 8.5 = 16.5 → 16, clamped to 15: the positive side has one level less
    q[1] = 9; // 0.5 + 8.5
    q[2] = 8; // −0.5 + 8.5 = 8 exactly
    q[3] = 12; // 4 + 8.5
    q[17] = 4; // −4 + 8.5
    q[30] = 15; // 7.2 + 8.5 = 15.7 → 15
    const expected = Array.from({ length: 16 }, (_, j) => (q[j] as number) | ((q[j + 16] as number) << 4));
    expect([...bytes.subarray(2)]).toEqual(expected);
  });

  it('a positive maximum gives a negative d: the maximum itself maps to q = 0', () => {
    const x = block({ 0: 0.8, 1: -0.8, 2: 0.1 });
    const bytes = quantizeQ4_0(x);
    // −0.1 as fp16: 1.6 · 2^-4 → exponent 11, mantissa round(0.6 · 1024) = 614 → 0xAE66.
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0xae66);
    expect(bytes[2]! & 0x0f).toBe(0); // 0.8 · (−10) + 8.5 = 0.4999… → 0
    expect(bytes[3]! & 0x0f).toBe(15); // −0.8 · (−10) + 8.5 = 16.5 → 15
    expect(bytes[4]! & 0x0f).toBe(7); // 0.1 · (−10) + 8.5 = 7.5 → 7
    const back = dequantizeQ4_0(bytes, QK);
    expect(back[0]).toBeCloseTo(0.8, 3); // (0 − 8) · d16 = 0.8 within fp16 rounding of d
    expect(back[1]).toBeCloseTo(-0.7, 3); // (15 − 8) · d16: the clamp costs one step
  });
});

describe('quantize → dequantize on random rows', () => {
  const rand = prng(42);
  // Normal-ish values with outliers, 64 blocks.
  const data = Float32Array.from({ length: 64 * QK }, (_, i) => (rand() + rand() + rand() - 1.5) * (i % 97 === 0 ? 8 : 1));

  const perBlock = (fn: (blockIndex: number, x: Float32Array, y: Float32Array, d: number) => void, bytes: Uint8Array, typeSize: number, decoded: Float32Array) => {
    for (let b = 0; b < data.length / QK; b++) {
      const d = Math.abs(f16BitsToF32(bytes[b * typeSize]! | (bytes[b * typeSize + 1]! << 8)));
      fn(b, data.subarray(b * QK, (b + 1) * QK), decoded.subarray(b * QK, (b + 1) * QK), d);
    }
  };

  it('Q8_0: |x − x̂| ≤ 0.5·d + 127·d·2^-11 per block (half a step plus the fp16 rounding of d)', () => {
    const bytes = quantizeQ8_0(data);
    const back = dequantizeQ8_0(bytes, data.length);
    let worst = 0;
    perBlock((_b, x, y, d) => {
      for (let j = 0; j < QK; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!) / d);
    }, bytes, 34, back);
    expect(worst).toBeLessThanOrEqual(0.5 + 127 * 2 ** -11);
    expect(worst).toBeGreaterThan(0.3); // the bound is not vacuous: errors do reach near half a step
  });

  it('Q4_0: |x − x̂| ≤ d (the clamped side) + 8·d·2^-11, and mean |x − x̂| ≈ d/4', () => {
    const bytes = quantizeQ4_0(data);
    const back = dequantizeQ4_0(bytes, data.length);
    let worst = 0;
    let sum = 0;
    perBlock((_b, x, y, d) => {
      for (let j = 0; j < QK; j++) {
        worst = Math.max(worst, Math.abs(x[j]! - y[j]!) / d);
        sum += Math.abs(x[j]! - y[j]!) / d;
      }
    }, bytes, 18, back);
    expect(worst).toBeLessThanOrEqual(1 + 8 * 2 ** -11);
    const mean = sum / data.length;
    expect(mean).toBeGreaterThan(0.15);
    expect(mean).toBeLessThan(0.35);
  });

  it('re-quantizing dequantized values gives the same bytes (Q8_0 and Q4_0)', () => {
    for (const type of ['Q8_0', 'Q4_0'] as const) {
      const bytes = quantize(type, data);
      expect([...quantize(type, dequantize(type, bytes, data.length))]).toEqual([...bytes]);
    }
  });

  it('F16 keeps 11 significant bits (relative error ≤ 2^-11) and F32 is exact', () => {
    const f16 = dequantize('F16', quantize('F16', data), data.length);
    for (let i = 0; i < data.length; i++) expect(Math.abs(f16[i]! - data[i]!)).toBeLessThanOrEqual(Math.abs(data[i]!) * 2 ** -11);
    expect([...dequantize('F32', quantize('F32', data), data.length)]).toEqual([...data]);
    expect(quantize('F16', data).length).toBe(data.length * 2);
  });

  it('a length that is not a whole number of blocks is refused', () => {
    expect(() => quantizeQ8_0(new Float32Array(48))).toThrow(GgufUnsupportedError);
    expect(() => quantizeQ4_0(new Float32Array(33))).toThrow(/not a multiple of the block size 32/);
  });
});
