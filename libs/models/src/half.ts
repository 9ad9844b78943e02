/**
 * IEEE 754 binary16 (F16) and bfloat16 (BF16) ⇄ float32 conversions, bit-exact: round to nearest, ties to even;
 * overflow → ±Inf; subnormals kept (F16 subnormals are exact in float32, float32 values below F16's range round
 * to ±0 or the smallest F16 subnormal); NaN stays NaN (payload top bits kept, quiet bit set); -0 stays -0.
 */

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** float32 bits → binary16 bits. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // Normal binary16: keep 10 mantissa bits, round on the 13 dropped ones (a carry into the exponent is correct,
    // 0x7bff + 1 = 0x7c00 = Inf).
    let h = ((e + 15) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
    return sign | h;
  }
  if (e < -25) return sign;
  // Subnormal binary16: the value in units of 2^-24 is mant24 · 2^(e+1).
  mant |= 0x800000;
  const shift = -(e + 1);
  let h = mant >>> shift;
  const rest = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) === 1)) h += 1;
  return sign | h;
}

/** float32 bits → bfloat16 bits. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

let f16Table: Float32Array | undefined;

/** All 65,536 binary16 values as float32 (256 KiB, built on first use). */
function f16ToF32Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = (sign ? -1 : 1) * mant * 2 ** -24;
    else if (exp === 31) bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    else bits[h] = (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
  }
  f16Table = table;
  return table;
}

export function f16BitsToF32(h: number): number {
  return f16ToF32Table()[h & 0xffff] as number;
}

export function bf16BitsToF32(b: number): number {
  scratchBits[0] = (b & 0xffff) << 16;
  return scratch[0] as number;
}

export function f32ToF16Bits(value: number): number {
  scratch[0] = value;
  return f32BitsToF16Bits(scratchBits[0] as number);
}

export function f32ToBf16Bits(value: number): number {
  scratch[0] = value;
  return f32BitsToBf16Bits(scratchBits[0] as number);
}

/** Decodes binary16 values into float32 (`out` may be given to avoid an allocation). */
export function decodeF16(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  const table = f16ToF32Table();
  for (let i = 0; i < src.length; i++) out[i] = table[src[i] as number] as number;
  return out;
}

export function decodeBf16(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = (src[i] as number) << 16;
  return out;
}

export function encodeF16(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32BitsToF16Bits(bits[i] as number);
  return out;
}

export function encodeBf16(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32BitsToBf16Bits(bits[i] as number);
  return out;
}
