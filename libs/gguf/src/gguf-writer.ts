import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { GgufIoError, GgufUnsupportedError } from './errors.js';
import { GGML_TYPES, type GgmlTypeName } from './ggml-types.js';
import { GGUF_KEY_PATTERN, GGUF_VALUE_TYPE, numberProblem, type GgufMetadata, type GgufValue, type GgufValueTypeName } from './gguf-values.js';

/**
 * GGUF v3 writer (ggml docs/gguf.md): header, metadata key/values, tensor infos, zero padding to the alignment, then
 * every tensor's data, each starting at a multiple of the alignment. Little-endian throughout.
 */

/** "GGUF" at the byte level (0x47 0x47 0x55 0x46). */
export const GGUF_MAGIC = new Uint8Array([0x47, 0x47, 0x55, 0x46]);
export const GGUF_VERSION = 3;
/** The spec's default; a file that sets no `general.alignment` is read with 32. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_NAME is 64 bytes including the terminating NUL, so a tensor name has at most 63 bytes. */
export const GGUF_MAX_TENSOR_NAME_BYTES = 63;
/** GGML_MAX_DIMS. */
export const GGUF_MAX_DIMS = 4;

/** One tensor to write: `dims` in GGML order (ne[0] first, the contiguous one: the reverse of a row-major shape). */
export interface GgufTensorSpec {
  readonly name: string;
  readonly type: GgmlTypeName;
  readonly dims: readonly number[];
  /** The encoded bytes (exactly `ggufTensorBytes(type, dims)`), produced when the writer reaches this tensor. */
  readonly data: () => Promise<Uint8Array> | Uint8Array;
}

export interface GgufTensorLayout {
  readonly name: string;
  readonly type: GgmlTypeName;
  readonly dims: readonly number[];
  /** Offset in the tensor data section (relative, as stored in the file). */
  readonly offset: number;
  readonly bytes: number;
}

export interface WrittenGgufFile {
  readonly path: string;
  /** File size. */
  readonly bytes: number;
  /** Where the tensor data section starts. */
  readonly dataOffset: number;
  readonly tensors: readonly GgufTensorLayout[];
}

const utf8 = new TextEncoder();

/** Bytes of a tensor of `type` with GGML dims `dims`; ne[0] must be a whole number of blocks (ggml's requirement). */
export function ggufTensorBytes(type: GgmlTypeName, dims: readonly number[], name = '?'): number {
  const t = GGML_TYPES[type];
  const ne0 = dims[0] ?? 1;
  if (ne0 % t.blockSize !== 0) throw new GgufUnsupportedError(`tensor ${name}: row length ${ne0} is not a multiple of ${type}'s block size ${t.blockSize}`, 'row_length', ne0);
  return (dims.reduce((a, b) => a * b, 1) / t.blockSize) * t.typeSize;
}

export const alignTo = (n: number, alignment: number): number => n + ((alignment - (n % alignment)) % alignment);

/** A growable little-endian byte sink for the header part of the file (metadata + tensor infos). */
class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  u64(v: number | bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }

  /** gguf_string_t: uint64 byte length, then UTF-8 without a terminator. */
  string(s: string): void {
    const b = utf8.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }

  scalar(type: Exclude<GgufValueTypeName, 'array'>, v: number | bigint | boolean | string, key: string): void {
    const bad = (why: string): never => {
      throw new GgufUnsupportedError(`metadata ${key}: ${why}`, key, v);
    };
    switch (type) {
      case 'string':
        if (typeof v !== 'string') bad(`${String(v)} is not a string`);
        this.string(v as string);
        return;
      case 'bool':
        if (typeof v !== 'boolean') bad(`${String(v)} is not a boolean`);
        // Spec: one byte, 0 or 1 ("anything else is invalid").
        this.u8(v ? 1 : 0);
        return;
      case 'uint64':
      case 'int64': {
        if (typeof v !== 'bigint') bad(`${String(v)} is not a bigint`);
        const n = v as bigint;
        const ok = type === 'uint64' ? n >= 0n && n < 1n << 64n : n >= -(1n << 63n) && n < 1n << 63n;
        if (!ok) bad(`${n} is out of range for ${type}`);
        this.ensure(8);
        if (type === 'uint64') this.view.setBigUint64(this.length, n, true);
        else this.view.setBigInt64(this.length, n, true);
        this.length += 8;
        return;
      }
      default: {
        if (typeof v !== 'number') bad(`${String(v)} is not a number`);
        const n = v as number;
        const problem = numberProblem(type, n);
        if (problem !== undefined) bad(problem);
        const size = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 }[type];
        this.ensure(size);
        const at = this.length;
        if (type === 'uint8') this.view.setUint8(at, n);
        else if (type === 'int8') this.view.setInt8(at, n);
        else if (type === 'uint16') this.view.setUint16(at, n, true);
        else if (type === 'int16') this.view.setInt16(at, n, true);
        else if (type === 'uint32') this.view.setUint32(at, n, true);
        else if (type === 'int32') this.view.setInt32(at, n, true);
        else if (type === 'float32') this.view.setFloat32(at, n, true);
        else this.view.setFloat64(at, n, true);
        this.length += size;
      }
    }
  }

  value(key: string, v: GgufValue): void {
    this.u32(GGUF_VALUE_TYPE[v.type]);
    if (v.type !== 'array') {
      this.scalar(v.type, v.value, key);
      return;
    }
    // Arrays: element type, uint64 element count (not bytes), then the elements back to back.
    this.u32(GGUF_VALUE_TYPE[v.itemType]);
    this.u64(v.value.length);
    for (const item of v.value) this.scalar(v.itemType, item, key);
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function alignmentOf(metadata: GgufMetadata): number {
  const a = metadata.get('general.alignment');
  if (a === undefined) return GGUF_DEFAULT_ALIGNMENT;
  // ggml reads general.alignment as UINT32 and requires a power of two; the spec also asks for a multiple of 8.
  if (a.type !== 'uint32' || a.value === 0 || a.value % 8 !== 0 || (a.value & (a.value - 1)) !== 0) {
    throw new GgufUnsupportedError(`general.alignment must be a uint32 power of two ≥ 8, got ${JSON.stringify(a, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`, 'general.alignment', a.value);
  }
  return a.value;
}

/**
 * Lays out the file: the encoded header + metadata + tensor infos, padded with zeros to the alignment (that padded
 * length is where the data section starts), and each tensor's offset (relative to the data section, each a multiple
 * of the alignment: the spec requires `align_offset(offset) == offset`).
 */
export function encodeGgufHeader(metadata: GgufMetadata, tensors: readonly Omit<GgufTensorSpec, 'data'>[]): { header: Uint8Array; layout: GgufTensorLayout[]; alignment: number } {
  const alignment = alignmentOf(metadata);
  const sink = new ByteSink();
  sink.bytes(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(tensors.length);
  sink.u64(metadata.size);
  for (const [key, value] of metadata) {
    if (!GGUF_KEY_PATTERN.test(key) || key.length > 0xffff) throw new GgufUnsupportedError(`metadata key ${JSON.stringify(key)} is not a GGUF key (lower_snake_case segments joined by dots)`, 'metadata_key', key);
    sink.string(key);
    sink.value(key, value);
  }
  const layout: GgufTensorLayout[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (seen.has(t.name)) throw new GgufUnsupportedError(`tensor ${t.name} is listed twice`, 'tensor_name', t.name);
    seen.add(t.name);
    if (utf8.encode(t.name).length > GGUF_MAX_TENSOR_NAME_BYTES) throw new GgufUnsupportedError(`tensor name ${t.name} is longer than ${GGUF_MAX_TENSOR_NAME_BYTES} bytes`, 'tensor_name', t.name);
    if (t.dims.length < 1 || t.dims.length > GGUF_MAX_DIMS || !t.dims.every((d) => Number.isInteger(d) && d > 0)) {
      throw new GgufUnsupportedError(`tensor ${t.name}: dims [${t.dims.join(', ')}] must be 1 to ${GGUF_MAX_DIMS} positive integers`, 'tensor_dims', t.dims);
    }
    const bytes = ggufTensorBytes(t.type, t.dims, t.name);
    sink.string(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(GGML_TYPES[t.type].id);
    sink.u64(offset);
    layout.push({ name: t.name, type: t.type, dims: [...t.dims], offset, bytes });
    offset = alignTo(offset + bytes, alignment);
  }
  const padded = new Uint8Array(alignTo(sink.length, alignment));
  padded.set(sink.result());
  return { header: padded, layout, alignment };
}

/**
 * Writes a GGUF file: the header at once, then each tensor's bytes as its `data()` produces them (one tensor in
 * memory at a time), each followed by zero padding up to the alignment. The last tensor is padded too, so the file
 * size is a multiple of the alignment (as gguf-py's writer does; readers only need the tensor bytes to be present). The file appears under
 * `path` only when complete (written beside it, then renamed).
 */
export async function writeGgufFile(path: string, metadata: GgufMetadata, tensors: readonly GgufTensorSpec[]): Promise<WrittenGgufFile> {
  const { header, layout, alignment } = encodeGgufHeader(metadata, tensors);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'w');
  } catch (err) {
    throw new GgufIoError(`cannot create ${tmp} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, tmp, { cause: err });
  }
  let position = 0;
  try {
    const write = async (b: Uint8Array) => {
      let done = 0;
      while (done < b.length) {
        const { bytesWritten } = await (handle as FileHandle).write(b, done, b.length - done, position + done);
        done += bytesWritten;
      }
      position += b.length;
    };
    await write(header);
    const dataOffset = position;
    for (const [i, t] of tensors.entries()) {
      const plan = layout[i] as GgufTensorLayout;
      const bytes = await t.data();
      if (bytes.length !== plan.bytes) throw new GgufUnsupportedError(`tensor ${t.name}: ${bytes.length} bytes of data, its type and dims need ${plan.bytes}`, 'tensor_data', bytes.length);
      await write(bytes);
      const pad = alignTo(plan.bytes, alignment) - plan.bytes;
      if (pad > 0) await write(new Uint8Array(pad));
    }
    await (handle as FileHandle).close();
    handle = undefined;
    await rename(tmp, path);
    return { path, bytes: position, dataOffset, tensors: layout };
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    if (err instanceof GgufUnsupportedError) throw err;
    throw new GgufIoError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path, { cause: err });
  }
}
