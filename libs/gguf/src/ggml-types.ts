/**
 * The GGML tensor types this lib writes and reads, with the ids the GGUF spec (ggml docs/gguf.md, `enum ggml_type`)
 * gives them, and the `general.file_type` ids (`LLAMA_FTYPE_*`, the spec's `general.file_type` list).
 */

/** GGML tensor type ids (a subset of `enum ggml_type`). */
export const GGML_TYPE = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
  Q4_K: 12,
  Q6_K: 14,
} as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;
export type GgmlTypeId = (typeof GGML_TYPE)[GgmlTypeName];

/** Layout of one type: `blockSize` elements take `typeSize` bytes (ggml's `blck_size` / `type_size`). */
export interface GgmlTypeInfo {
  readonly name: GgmlTypeName;
  readonly id: GgmlTypeId;
  readonly blockSize: number;
  readonly typeSize: number;
  readonly quantized: boolean;
}

/**
 * Q8_0 and Q4_0 blocks hold 32 elements (QK8_0 = QK4_0 = 32). Q8_0 = fp16 scale + 32 int8 (34 bytes); Q4_0 = fp16
 * scale + 16 bytes of nibbles (18 bytes). Nothing is padded inside a block (ggml's `static_assert`s on
 * `sizeof(block_q8_0) == sizeof(ggml_half) + QK8_0` and `sizeof(block_q4_0) == sizeof(ggml_half) + QK4_0 / 2`).
 */
export const GGML_TYPES: Readonly<Record<GgmlTypeName, GgmlTypeInfo>> = {
  F32: { name: 'F32', id: GGML_TYPE.F32, blockSize: 1, typeSize: 4, quantized: false },
  F16: { name: 'F16', id: GGML_TYPE.F16, blockSize: 1, typeSize: 2, quantized: false },
  Q4_0: { name: 'Q4_0', id: GGML_TYPE.Q4_0, blockSize: 32, typeSize: 18, quantized: true },
  Q8_0: { name: 'Q8_0', id: GGML_TYPE.Q8_0, blockSize: 32, typeSize: 34, quantized: true },
  // K-quants: super-blocks of QK_K = 256. Q4_K = fp16 d + fp16 dmin + 12 bytes of 6-bit sub-block scales and mins +
  // 128 bytes of nibbles (144); Q6_K = 128 bytes of low nibbles + 64 bytes of high 2-bit pairs + 16 int8 sub-block
  // scales + fp16 d (210).
  Q4_K: { name: 'Q4_K', id: GGML_TYPE.Q4_K, blockSize: 256, typeSize: 144, quantized: true },
  Q6_K: { name: 'Q6_K', id: GGML_TYPE.Q6_K, blockSize: 256, typeSize: 210, quantized: true },
};

const BY_ID = new Map<number, GgmlTypeInfo>(Object.values(GGML_TYPES).map((t) => [t.id, t]));

/** The type with GGML id `id`, or undefined for a type this lib does not handle. */
export const ggmlTypeById = (id: number): GgmlTypeInfo | undefined => BY_ID.get(id);

/** Bytes of a tensor of `elements` elements whose innermost dimension is `rowLength` (a multiple of the block size). */
export function tensorBytes(type: GgmlTypeName, elements: number): number {
  const t = GGML_TYPES[type];
  return (elements / t.blockSize) * t.typeSize;
}

/** The file types `writeLlamaGguf` produces: one tensor type throughout, or llama.cpp's Q4_K_M mix. */
export const GGUF_FILE_TYPES = ['F32', 'F16', 'Q8_0', 'Q4_0', 'Q4_K_M'] as const;
export type GgufFileType = (typeof GGUF_FILE_TYPES)[number];

/**
 * `general.file_type` ("the type of the majority of the tensors"): LLAMA_FTYPE_ALL_F32 = 0, MOSTLY_F16 = 1,
 * MOSTLY_Q4_0 = 2, MOSTLY_Q8_0 = 7, MOSTLY_Q4_K_M = 15. Note 7, not 8: file types and tensor types are separate
 * enumerations.
 */
export const GGUF_FILE_TYPE: Readonly<Record<GgufFileType, number>> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q4_K_M: 15 };

/**
 * `general.quantization_version` (GGML_QNT_VERSION): required by the spec as soon as any tensor is quantized. Version 2
 * is the current layout of the Q4_0/Q8_0 blocks (the scale is fp16 since ggml's 2023 change).
 */
export const GGML_QUANTIZATION_VERSION = 2;
