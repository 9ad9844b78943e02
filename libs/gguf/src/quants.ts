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

/** Elements per K-quant super-block (QK_K). */
export const QK_K = 256;

function assertSuperBlocks(n: number, what: string): void {
  if (n % QK_K !== 0) throw new GgufUnsupportedError(`${what}: ${n} elements is not a multiple of the super-block size ${QK_K}`, 'row_length', n);
}

/**
 * The affine fit of one Q4_K sub-block: x ≈ scale·q − min with q ∈ [0, 15] and min ≥ 0 (the format stores the
 * minimum as a positive amount subtracted, so a block of positive values keeps 0 representable). Starts from the
 * range, then alternates assigning q and refitting (scale, min) by least squares, keeping the best squared error.
 */
function fitAffine(x: Float32Array, from: number, n: number): { scale: number; min: number } {
  let lo = 0;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[from + i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return { scale: 0, min: -lo };
  let best = { scale: (hi - lo) / 15, min: -lo };
  const error = (scale: number, min: number): number => {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const v = x[from + i] as number;
      const q = scale > 0 ? Math.min(15, Math.max(0, Math.round((v + min) / scale))) : 0;
      e += (scale * q - min - v) ** 2;
    }
    return e;
  };
  let bestErr = error(best.scale, best.min);
  let cur = best;
  for (let iter = 0; iter < 6; iter++) {
    // Assign, then solve min Σ (s·q − m − x)² for (s, m): the normal equations of a line through (q, x).
    let sq = 0;
    let sqq = 0;
    let sx = 0;
    let sqx = 0;
    for (let i = 0; i < n; i++) {
      const v = x[from + i] as number;
      const q = Math.min(15, Math.max(0, Math.round((v + cur.min) / cur.scale)));
      sq += q;
      sqq += q * q;
      sx += v;
      sqx += q * v;
    }
    const det = n * sqq - sq * sq;
    if (det <= 0) break;
    let scale = (n * sqx - sq * sx) / det;
    let min = -(sx - scale * sq) / n;
    if (min < 0) {
      min = 0;
      scale = sqq > 0 ? sqx / sqq : 0;
    }
    if (!(scale > 0)) break;
    cur = { scale, min };
    const e = error(scale, min);
    if (e < bestErr) {
      bestErr = e;
      best = cur;
    } else break;
  }
  return best;
}

/**
 * Q4_K: per super-block of 256, eight sub-blocks of 32, each x ≈ d·sc·q − dmin·m with q ∈ [0, 15] and 6-bit sc, m;
 * d and dmin are fp16. Layout (ggml's `block_q4_K`, decoded by `dequantize_row_q4_K`): d, dmin, 12 bytes of packed
 * scales (sub-blocks 0–3: sc and m in the low 6 bits of bytes j and j + 4; 4–7: low nibbles in byte j + 4, high two
 * bits in the top bits of bytes j − 4 (sc) and j (m)), then 128 bytes where byte 32·c + l holds element 64·c + l in
 * its low nibble and element 64·c + 32 + l in its high nibble. The fit per sub-block is a least-squares refinement
 * (fitAffine), not ggml's search, so the bytes differ from llama-quantize's while decoding the same way.
 */
export function quantizeQ4_K(src: Float32Array): Uint8Array {
  assertSuperBlocks(src.length, 'Q4_K');
  const blocks = src.length / QK_K;
  const out = new Uint8Array(blocks * GGML_TYPES.Q4_K.typeSize);
  const view = new DataView(out.buffer);
  const scales = new Float64Array(8);
  const mins = new Float64Array(8);
  const q = new Uint8Array(QK_K);
  for (let b = 0; b < blocks; b++) {
    const base = b * QK_K;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 8; j++) {
      const fit = fitAffine(src, base + 32 * j, 32);
      scales[j] = fit.scale;
      mins[j] = fit.min;
      maxScale = Math.max(maxScale, fit.scale);
      maxMin = Math.max(maxMin, fit.min);
    }
    const dBits = f32ToF16Bits(f(maxScale / 63));
    const dminBits = f32ToF16Bits(f(maxMin / 63));
    const d = f16BitsToF32(dBits);
    const dmin = f16BitsToF32(dminBits);
    const at = b * GGML_TYPES.Q4_K.typeSize;
    view.setUint16(at, dBits, true);
    view.setUint16(at + 2, dminBits, true);
    const packed = out.subarray(at + 4, at + 16);
    for (let j = 0; j < 8; j++) {
      const sc = d > 0 ? Math.min(63, Math.max(0, Math.round((scales[j] as number) / d))) : 0;
      const m = dmin > 0 ? Math.min(63, Math.max(0, Math.round((mins[j] as number) / dmin))) : 0;
      if (j < 4) {
        packed[j] = (packed[j] as number) | sc;
        packed[j + 4] = (packed[j + 4] as number) | m;
      } else {
        packed[j + 4] = (sc & 0x0f) | ((m & 0x0f) << 4);
        packed[j - 4] = (packed[j - 4] as number) | ((sc >> 4) << 6);
        packed[j] = (packed[j] as number) | ((m >> 4) << 6);
      }
      const step = d * sc;
      const offset = dmin * m;
      for (let i = 0; i < 32; i++) {
        const v = src[base + 32 * j + i] as number;
        q[32 * j + i] = step > 0 ? Math.min(15, Math.max(0, Math.round((v + offset) / step))) : 0;
      }
    }
    for (let c = 0; c < 4; c++) for (let l = 0; l < 32; l++) out[at + 16 + 32 * c + l] = (q[64 * c + l] as number) | ((q[64 * c + 32 + l] as number) << 4);
  }
  return out;
}

/** A Q4_K sub-block's 6-bit scale and min (ggml's `get_scale_min_k4`). */
function scaleMinK4(j: number, packed: Uint8Array, at: number): [number, number] {
  const p = (k: number) => packed[at + k] as number;
  if (j < 4) return [p(j) & 63, p(j + 4) & 63];
  return [(p(j + 4) & 0x0f) | ((p(j - 4) >> 6) << 4), (p(j + 4) >> 4) | ((p(j) >> 6) << 4)];
}

export function dequantizeQ4_K(bytes: Uint8Array, elements: number): Float32Array {
  assertSuperBlocks(elements, 'Q4_K');
  const out = new Float32Array(elements);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < elements / QK_K; b++) {
    const at = b * GGML_TYPES.Q4_K.typeSize;
    const d = f16BitsToF32(view.getUint16(at, true));
    const dmin = f16BitsToF32(view.getUint16(at + 2, true));
    for (let c = 0; c < 4; c++) {
      const [sc1, m1] = scaleMinK4(2 * c, bytes, at + 4);
      const [sc2, m2] = scaleMinK4(2 * c + 1, bytes, at + 4);
      for (let l = 0; l < 32; l++) {
        const byte = bytes[at + 16 + 32 * c + l] as number;
        out[b * QK_K + 64 * c + l] = f(f(d * sc1) * (byte & 0x0f)) - f(dmin * m1);
        out[b * QK_K + 64 * c + 32 + l] = f(f(d * sc2) * (byte >> 4)) - f(dmin * m2);
      }
    }
  }
  return out;
}

/**
 * Q6_K: per super-block of 256, sixteen sub-blocks of 16, each x ≈ d·sc·q with q ∈ [−32, 31] and an int8 sc; d is
 * fp16. Per sub-block the element of largest magnitude maps to −32 (its sign kept), refined by least squares; the
 * sub-block scales are then quantized against the largest one mapping to −128. Layout (`block_q6_K`, decoded by
 * `dequantize_row_q6_K`): for each half of 128 elements, 64 bytes of low nibbles (byte l: elements l and l + 64 of
 * the half; byte l + 32: elements l + 32 and l + 96), 32 bytes of high bit pairs (byte l: elements l, l + 32,
 * l + 64, l + 96 at bits 0, 2, 4, 6), then 16 int8 scales (element e of a half uses scale 8·half + e / 16), then d.
 */
export function quantizeQ6_K(src: Float32Array): Uint8Array {
  assertSuperBlocks(src.length, 'Q6_K');
  const blocks = src.length / QK_K;
  const out = new Uint8Array(blocks * GGML_TYPES.Q6_K.typeSize);
  const view = new DataView(out.buffer);
  const scales = new Float64Array(16);
  const q = new Uint8Array(QK_K);
  for (let b = 0; b < blocks; b++) {
    const base = b * QK_K;
    let maxScale = 0;
    for (let j = 0; j < 16; j++) {
      let max = 0;
      for (let i = 0; i < 16; i++) {
        const v = src[base + 16 * j + i] as number;
        if (Math.abs(v) > Math.abs(max)) max = v;
      }
      let scale = max / -32;
      if (scale !== 0) {
        // One least-squares refit of the scale for the assigned levels, kept when it lowers the error.
        let sqx = 0;
        let sqq = 0;
        let e0 = 0;
        for (let i = 0; i < 16; i++) {
          const v = src[base + 16 * j + i] as number;
          const l = Math.min(31, Math.max(-32, Math.round(v / scale)));
          sqx += l * v;
          sqq += l * l;
          e0 += (l * scale - v) ** 2;
        }
        const refit = sqq > 0 ? sqx / sqq : scale;
        let e1 = 0;
        for (let i = 0; i < 16; i++) {
          const v = src[base + 16 * j + i] as number;
          e1 += (Math.min(31, Math.max(-32, Math.round(v / refit))) * refit - v) ** 2;
        }
        if (e1 < e0) scale = refit;
      }
      scales[j] = scale;
      if (Math.abs(scale) > Math.abs(maxScale)) maxScale = scale;
    }
    const at = b * GGML_TYPES.Q6_K.typeSize;
    const dBits = f32ToF16Bits(f(maxScale / -128));
    const d = f16BitsToF32(dBits);
    view.setUint16(at + 208, dBits, true);
    for (let j = 0; j < 16; j++) {
      const sc = d !== 0 ? Math.min(127, Math.max(-128, Math.round((scales[j] as number) / d))) : 0;
      view.setInt8(at + 192 + j, sc);
      const step = d * sc;
      for (let i = 0; i < 16; i++) {
        const v = src[base + 16 * j + i] as number;
        q[16 * j + i] = (step !== 0 ? Math.min(31, Math.max(-32, Math.round(v / step))) : 0) + 32;
      }
    }
    for (let h = 0; h < 2; h++) {
      for (let l = 0; l < 32; l++) {
        const q1 = q[128 * h + l] as number;
        const q2 = q[128 * h + l + 32] as number;
        const q3 = q[128 * h + l + 64] as number;
        const q4 = q[128 * h + l + 96] as number;
        out[at + 64 * h + l] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
        out[at + 64 * h + l + 32] = (q2 & 0x0f) | ((q4 & 0x0f) << 4);
        out[at + 128 + 32 * h + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
      }
    }
  }
  return out;
}

export function dequantizeQ6_K(bytes: Uint8Array, elements: number): Float32Array {
  assertSuperBlocks(elements, 'Q6_K');
  const out = new Float32Array(elements);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < elements / QK_K; b++) {
    const at = b * GGML_TYPES.Q6_K.typeSize;
    const d = f16BitsToF32(view.getUint16(at + 208, true));
    for (let h = 0; h < 2; h++) {
      for (let l = 0; l < 32; l++) {
        const lo1 = bytes[at + 64 * h + l] as number;
        const lo2 = bytes[at + 64 * h + l + 32] as number;
        const hi = bytes[at + 128 + 32 * h + l] as number;
        const levels = [(lo1 & 0x0f) | ((hi & 3) << 4), (lo2 & 0x0f) | (((hi >> 2) & 3) << 4), (lo1 >> 4) | (((hi >> 4) & 3) << 4), (lo2 >> 4) | (((hi >> 6) & 3) << 4)];
        for (let k = 0; k < 4; k++) {
          const e = l + 32 * k;
          const sc = view.getInt8(at + 192 + 8 * h + (e >> 4));
          out[b * QK_K + 128 * h + e] = f(d * sc) * ((levels[k] as number) - 32);
        }
      }
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
    case 'Q4_K':
      return quantizeQ4_K(data);
    case 'Q6_K':
      return quantizeQ6_K(data);
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
    case 'Q4_K':
      return dequantizeQ4_K(bytes, elements);
    case 'Q6_K':
      return dequantizeQ6_K(bytes, elements);
    default: {
      const _never: never = type;
      throw new GgufUnsupportedError(`tensor type ${String(_never)} cannot be read`, 'tensor_type', _never);
    }
  }
}
