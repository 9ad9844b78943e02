import { decodeF16, encodeF16, f16BitsToF32, f32ToF16Bits } from '@distillery/models';
import { GgufUnsupportedError } from './errors.js';
import { GGML_TYPES, type GgmlTypeName } from './ggml-types.js';

/**
 * Quantizers and dequantizers of the GGML block types, bit-exact with ggml's reference quantizers
 * (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref` in ggml-quants.c: "reference implementation for deterministic
 * creation of model files", which gguf-py's numpy quantizer also reproduces) and its `dequantize_row_*`.
 *
 * ggml computes in C `float`. Every intermediate here is rounded to float32 with `Math.fround` after the double
 * operation; for one +, −, ×, ÷ of float32 operands this equals the float32 operation exactly (a double has more
 * than 2·24 + 2 bits, so the double rounding is innocuous), which is what makes the bytes identical, not just close.
 *
 * Every GGUF value is little-endian (spec: "Models are little-endian by default"); the byte views below assume a
 * little-endian host, which is checked once.
 */

/** Elements per Q8_0 / Q4_0 block (QK8_0 = QK4_0 = 32). */
export const QK = 32;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new GgufUnsupportedError('GGUF files are little-endian and this lib needs a little-endian host', 'host_endianness', 'big');
}

const f = Math.fround;

/** C `roundf`: halves go away from zero (JS `Math.round` sends −2.5 to −2, roundf to −3). */
const roundf = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

function assertBlocks(n: number, what: string): void {
  if (n % QK !== 0) throw new GgufUnsupportedError(`${what}: ${n} elements is not a multiple of the block size ${QK}`, 'row_length', n);
}

/**
 * Q8_0: per block of 32, d = max|x| / 127, q = roundf(x / d) as int8; the block is d as fp16 (2 bytes, round to
 * nearest even as GGML_FP32_TO_FP16) then the 32 int8. The quantization divides by the float32 d (through its
 * reciprocal, as ggml does), not by the fp16-rounded d that the dequantizer multiplies by.
 */
export function quantizeQ8_0(src: Float32Array): Uint8Array {
  assertBlocks(src.length, 'Q8_0');
  const blocks = src.length / QK;
  const out = new Uint8Array(blocks * GGML_TYPES.Q8_0.typeSize);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * QK;
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[base + j] as number));
    const d = f(amax / 127);
    const id = d !== 0 ? f(1 / d) : 0;
    const at = b * 34;
    view.setUint16(at, f32ToF16Bits(d), true);
    for (let j = 0; j < QK; j++) view.setInt8(at + 2 + j, roundf(f((src[base + j] as number) * id)));
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array, elements: number): Float32Array {
  assertBlocks(elements, 'Q8_0');
  const out = new Float32Array(elements);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < elements / QK; b++) {
    const at = b * 34;
    const d = f16BitsToF32(view.getUint16(at, true));
    for (let j = 0; j < QK; j++) out[b * QK + j] = view.getInt8(at + 2 + j) * d;
  }
  return out;
}

/**
 * Q4_0: per block of 32, the element of largest magnitude `max` (its sign kept; the first one on ties) gives
 * d = max / −8, so that element maps to −8 exactly and the 4-bit range [−8, 7] is used asymmetrically in its
 * favour; q = min(15, trunc(x / d + 8.5)). Bytes: d as fp16, then 16 bytes where byte j holds element j in its low
 * nibble and element j + 16 in its high nibble (not adjacent pairs: ggml's split-half layout).
 */
export function quantizeQ4_0(src: Float32Array): Uint8Array {
  assertBlocks(src.length, 'Q4_0');
  const blocks = src.length / QK;
  const out = new Uint8Array(blocks * GGML_TYPES.Q4_0.typeSize);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * QK;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[base + j] as number;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -8);
    const id = d !== 0 ? f(1 / d) : 0;
    const at = b * 18;
    view.setUint16(at, f32ToF16Bits(d), true);
    for (let j = 0; j < QK / 2; j++) {
      // (int8_t)(x + 8.5f) truncates toward zero; x·id ∈ [−8, 8] so the sum is positive and this is a floor.
      const lo = Math.min(15, Math.trunc(f(f((src[base + j] as number) * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(f(f((src[base + QK / 2 + j] as number) * id) + 8.5)));
      out[at + 2 + j] = lo | (hi << 4);
    }
  }
  return out;
}

export function dequantizeQ4_0(bytes: Uint8Array, elements: number): Float32Array {
  assertBlocks(elements, 'Q4_0');
  const out = new Float32Array(elements);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < elements / QK; b++) {
    const at = b * 18;
    const d = f16BitsToF32(view.getUint16(at, true));
    for (let j = 0; j < QK / 2; j++) {
      const q = bytes[at + 2 + j] as number;
      out[b * QK + j] = ((q & 0x0f) - 8) * d;
      out[b * QK + QK / 2 + j] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}

/** F32 values as little-endian bytes (a copy). */
export function encodeF32Bytes(src: Float32Array): Uint8Array {
  assertLittleEndian();
  return new Uint8Array(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength));
}

/** F16 bytes (round to nearest even, as GGML_FP32_TO_FP16 and numpy's astype(float16)). */
export function encodeF16Bytes(src: Float32Array): Uint8Array {
  assertLittleEndian();
  const h = encodeF16(src);
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

/** Encodes `data` (row-major, rows contiguous, length a multiple of the block size for block types) as `type`. */
export function quantize(type: GgmlTypeName, data: Float32Array): Uint8Array {
  switch (type) {
    case 'F32':
      return encodeF32Bytes(data);
    case 'F16':
      return encodeF16Bytes(data);
    case 'Q8_0':
      return quantizeQ8_0(data);
    case 'Q4_0':
      return quantizeQ4_0(data);
    default: {
      const _never: never = type;
      throw new GgufUnsupportedError(`tensor type ${String(_never)} cannot be written`, 'tensor_type', _never);
    }
  }
}

/** Decodes `elements` values of `type` from `bytes` into float32. */
export function dequantize(type: GgmlTypeName, bytes: Uint8Array, elements: number): Float32Array {
  assertLittleEndian();
  switch (type) {
    case 'F32': {
      const copy = bytes.slice(0, elements * 4);
      return new Float32Array(copy.buffer, 0, elements);
    }
    case 'F16': {
      const copy = bytes.slice(0, elements * 2);
      return decodeF16(new Uint16Array(copy.buffer, 0, elements));
    }
    case 'Q8_0':
      return dequantizeQ8_0(bytes, elements);
    case 'Q4_0':
      return dequantizeQ4_0(bytes, elements);
    default: {
      const _never: never = type;
      throw new GgufUnsupportedError(`tensor type ${String(_never)} cannot be read`, 'tensor_type', _never);
    }
  }
}
