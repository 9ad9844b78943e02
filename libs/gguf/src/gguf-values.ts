/**
 * GGUF metadata values: the value types of the spec (`enum gguf_metadata_value_type`) as a discriminated union, so a
 * value keeps the exact wire type it is written with. That matters: llama.cpp's loader checks the type of every key
 * it reads (e.g. `llama.block_count` must be UINT32, as gguf-py writes it, even though the spec's prose says most
 * counts are uint64), so "a number" is not enough to describe a key.
 */

/** Value type ids (GGUF v3). */
export const GGUF_VALUE_TYPE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;
export type GgufValueTypeName = keyof typeof GGUF_VALUE_TYPE;
export type GgufNumberType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export type GgufBigIntType = 'uint64' | 'int64';
/** Element types an array may have here. Nested arrays are valid GGUF but ggml's own reader rejects them, so no writer should produce them; this lib neither writes nor reads them. */
export type GgufArrayItemType = Exclude<GgufValueTypeName, 'array'>;

export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | GgufArray;

export type GgufArray =
  | { readonly type: 'array'; readonly itemType: GgufNumberType; readonly value: readonly number[] }
  | { readonly type: 'array'; readonly itemType: GgufBigIntType; readonly value: readonly bigint[] }
  | { readonly type: 'array'; readonly itemType: 'bool'; readonly value: readonly boolean[] }
  | { readonly type: 'array'; readonly itemType: 'string'; readonly value: readonly string[] };

/** Ordered metadata (the writer keeps insertion order, so files are reproducible byte for byte). */
export type GgufMetadata = ReadonlyMap<string, GgufValue>;

/** Constructors for the value types used by the Llama writer (and handy in tests). */
export const gguf = {
  uint32: (value: number): GgufValue => ({ type: 'uint32', value }),
  int32: (value: number): GgufValue => ({ type: 'int32', value }),
  float32: (value: number): GgufValue => ({ type: 'float32', value }),
  uint64: (value: bigint): GgufValue => ({ type: 'uint64', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  string: (value: string): GgufValue => ({ type: 'string', value }),
  strings: (value: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', value }),
  int32s: (value: readonly number[]): GgufValue => ({ type: 'array', itemType: 'int32', value }),
  float32s: (value: readonly number[]): GgufValue => ({ type: 'array', itemType: 'float32', value }),
} as const;

/** The plain JS value of a metadata value (arrays as arrays). */
export const plainValue = (v: GgufValue): GgufValue['value'] => v.value;

const INTEGER_RANGES: Readonly<Partial<Record<GgufNumberType, readonly [number, number]>>> = {
  uint8: [0, 0xff],
  int8: [-0x80, 0x7f],
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
};

/** Why a number cannot be written as `type`, or undefined when it can (integers in range; any number for floats). */
export function numberProblem(type: GgufNumberType, n: number): string | undefined {
  const range = INTEGER_RANGES[type];
  if (!range) return typeof n === 'number' ? undefined : `${String(n)} is not a number`;
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) return `${n} is not a ${type} (${range[0]}…${range[1]})`;
  return undefined;
}

/** Spec: keys are ASCII, `lower_snake_case` segments separated by `.`, at most 65,535 bytes. */
export const GGUF_KEY_PATTERN = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;
