import { describe, expect, it } from '@jest/globals';
import { f32ToF16Bits } from '@distillery/models';
import { dequantize, dequantizeQ4_K, dequantizeQ6_K, llamaTensorType, quantize, quantizeQ4_K, quantizeQ6_K, QK_K, useMoreBits } from '../src/index.js';

/** Deterministic Gaussian-ish values (sum of uniforms), like trained weights: centred, a few large ones. */
function weights(n: number, seed: number, scale = 0.05): Float32Array {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Float32Array.from({ length: n }, () => (u() + u() + u() + u() - 2) * scale);
}
const rmse = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((e, x, i) => e + (x - (b[i] as number)) ** 2, 0) / a.length);

describe('Q4_K blocks', () => {
  it('decode by the documented layout: d, dmin, packed 6-bit scales / mins, split nibbles per 64 elements', () => {
    const block = new Uint8Array(144);
    const view = new DataView(block.buffer);
    view.setUint16(0, f32ToF16Bits(0.5), true); // d
    view.setUint16(2, f32ToF16Bits(0.25), true); // dmin
    const sc = [1, 2, 3, 4, 17, 33, 50, 63];
    const m = [0, 5, 10, 15, 20, 40, 60, 63];
    for (let j = 0; j < 4; j++) {
      block[4 + j] = sc[j]! | ((sc[j + 4]! >> 4) << 6);
      block[4 + j + 4] = m[j]! | ((m[j + 4]! >> 4) << 6);
      block[4 + 8 + j] = (sc[j + 4]! & 15) | ((m[j + 4]! & 15) << 4);
    }
    for (let k = 0; k < 128; k++) block[16 + k] = (k % 16) | (((k * 7) % 16) << 4);
    const y = dequantizeQ4_K(block, 256);
    for (let e = 0; e < 256; e++) {
      const chunk = Math.floor(e / 64);
      const within = e % 64;
      const byte = block[16 + 32 * chunk + (within % 32)]!;
      const q = within < 32 ? byte & 15 : byte >> 4;
      const j = Math.floor(e / 32);
      expect(y[e]).toBeCloseTo(0.5 * sc[j]! * q - 0.25 * m[j]!, 5);
    }
  });

  it('round trip: error well under Q4_0 at the same 4.5 bits per weight, sub-blocks with their own offset', () => {
    const x = weights(QK_K * 64, 3);
    const q4k = rmse(x, dequantize('Q4_K', quantize('Q4_K', x), x.length));
    const q40 = rmse(x, dequantize('Q4_0', quantize('Q4_0', x), x.length));
    expect(quantizeQ4_K(x).length).toBe(64 * 144);
    expect(q4k).toBeLessThan(0.9 * q40);
    // All-positive sub-blocks (min clamped to 0) and a constant zero block come back sensibly.
    const pos = Float32Array.from({ length: 256 }, (_, i) => 1 + (i % 16) / 16);
    expect(rmse(pos, dequantizeQ4_K(quantizeQ4_K(pos), 256))).toBeLessThan(0.05);
    expect([...dequantizeQ4_K(quantizeQ4_K(new Float32Array(256)), 256)].every((v) => v === 0)).toBe(true);
  });

  it('refuses rows that are not whole super-blocks', () => {
    expect(() => quantizeQ4_K(new Float32Array(128))).toThrow(/multiple of the super-block size 256/);
  });
});

describe('Q6_K blocks', () => {
  it('decode by the documented layout: low nibbles, high bit pairs, int8 scales per 16, d last', () => {
    const block = new Uint8Array(210);
    const view = new DataView(block.buffer);
    for (let k = 0; k < 128; k++) block[k] = (k * 5) % 256;
    for (let k = 0; k < 64; k++) block[128 + k] = (k * 37) % 256;
    for (let j = 0; j < 16; j++) view.setInt8(192 + j, j % 2 === 0 ? j + 1 : -(j + 1));
    view.setUint16(208, f32ToF16Bits(0.125), true);
    const y = dequantizeQ6_K(block, 256);
    for (let e = 0; e < 256; e++) {
      const h = Math.floor(e / 128);
      const w = e % 128;
      const l = w % 32;
      const k = Math.floor(w / 32);
      const lo = block[64 * h + l + (k % 2 === 1 ? 32 : 0)]!;
      const low = k < 2 ? lo & 15 : lo >> 4;
      const high = (block[128 + 32 * h + l]! >> (2 * k)) & 3;
      const q = (low | (high << 4)) - 32;
      const sc = view.getInt8(192 + 8 * h + Math.floor(w / 16));
      expect(y[e]).toBeCloseTo(0.125 * sc * q, 6);
    }
  });

  it('round trip: much closer than Q4_K, a little behind Q8_0', () => {
    const x = weights(QK_K * 64, 5);
    const q6 = rmse(x, dequantizeQ6_K(quantizeQ6_K(x), x.length));
    const q4k = rmse(x, dequantizeQ4_K(quantizeQ4_K(x), x.length));
    const q8 = rmse(x, dequantize('Q8_0', quantize('Q8_0', x), x.length));
    expect(quantizeQ6_K(x).length).toBe(64 * 210);
    expect(q6).toBeLessThan(q4k / 3);
    expect(q6).toBeGreaterThan(q8);
    expect(q6).toBeLessThan(q8 * 6);
  });
});

describe('the Q4_K_M mix (llama-quantize’s choices)', () => {
  it('more bits for attn_v / ffn_down in the first and last eighth and every third layer between', () => {
    expect(Array.from({ length: 16 }, (_, i) => useMoreBits(i, 16))).toEqual([true, true, false, false, true, false, false, true, false, false, true, false, false, true, true, true]);
    expect(llamaTensorType('blk.0.attn_v.weight', [256, 128], 'Q4_K_M', false, 16)).toBe('Q6_K');
    expect(llamaTensorType('blk.2.attn_v.weight', [256, 128], 'Q4_K_M', false, 16)).toBe('Q4_K');
    expect(llamaTensorType('blk.4.ffn_down.weight', [512, 256], 'Q4_K_M', false, 16)).toBe('Q6_K');
    expect(llamaTensorType('blk.4.ffn_up.weight', [256, 512], 'Q4_K_M', false, 16)).toBe('Q4_K');
    expect(llamaTensorType('blk.5.attn_q.weight', [256, 256], 'Q4_K_M', false, 16)).toBe('Q4_K');
  });

  it('the head is Q6_K (the tied embedding too); rows not a multiple of 256 fall back to Q8_0, then F16; norms stay F32', () => {
    expect(llamaTensorType('output.weight', [256, 512], 'Q4_K_M', false, 2)).toBe('Q6_K');
    expect(llamaTensorType('token_embd.weight', [256, 512], 'Q4_K_M', true, 2)).toBe('Q6_K');
    expect(llamaTensorType('token_embd.weight', [256, 512], 'Q4_K_M', false, 2)).toBe('Q4_K');
    expect(llamaTensorType('blk.0.attn_q.weight', [64, 64], 'Q4_K_M', false, 2)).toBe('Q8_0');
    expect(llamaTensorType('blk.0.attn_q.weight', [48, 48], 'Q4_K_M', false, 2)).toBe('F16');
    expect(llamaTensorType('blk.0.attn_norm.weight', [256], 'Q4_K_M', false, 2)).toBe('F32');
  });
});
