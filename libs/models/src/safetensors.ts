import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { SafetensorsError } from './errors.js';
import { tempPathFor } from './fs-util.js';
import { decodeBf16, decodeF16, encodeBf16, encodeF16 } from './half.js';

/**
 * safetensors by hand (format: https://github.com/huggingface/safetensors#format): an unsigned 64-bit little-endian
 * header length N, N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {…} }`
 * (padded with spaces to a multiple of 8), then the raw little-endian data; offsets are relative to the data section,
 * which the tensors must cover exactly (no overlap, no hole, nothing after the last tensor) — the same rules as the
 * reference implementation, so what this reader accepts, Python's `safetensors` accepts.
 */

/** Bytes per element of every dtype in the safetensors spec (all are parsed; F32, F16 and BF16 are read as float32). */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;
export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BYTES;
/** The dtypes read into and written from a Float32Array. */
export type FloatDType = 'F32' | 'F16' | 'BF16';
export const FLOAT_DTYPES: readonly FloatDType[] = ['F32', 'F16', 'BF16'];

/** The largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
const MEMORY = '<memory>';
const LE = endianness() === 'LE';
/** Reads and writes go in slices of this size (fs reads are limited to 2 GiB each). */
const IO_CHUNK = 1 << 28;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Byte offsets relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface ParsedHeader {
  readonly metadata: Readonly<Record<string, string>>;
  /** In data order (ascending offsets). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly dataBytes: number;
}

export interface SafetensorsHeader extends ParsedHeader {
  /** Absolute offset of the data section in the file: 8 + header length. */
  readonly dataOffset: number;
}

/** A float tensor in memory: row-major `data` with `shape`. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A tensor to write; `dtype` overrides the write's default dtype for this tensor. */
export interface TensorToWrite extends Tensor {
  readonly dtype?: FloatDType;
}

export type TensorMap<T extends Tensor = Tensor> = ReadonlyMap<string, T> | Readonly<Record<string, T>>;

export const tensorEntries = <T extends Tensor>(tensors: TensorMap<T>): [string, T][] =>
  tensors instanceof Map ? [...(tensors as ReadonlyMap<string, T>).entries()] : Object.entries(tensors as Readonly<Record<string, T>>);

export const numel = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

const isDType = (d: unknown): d is SafetensorsDType => typeof d === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_BYTES, d);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const quote = (s: string) => JSON.stringify(s);

/**
 * Parses and validates a header. `dataBytes` is the size of the data section (file size − 8 − N); every tensor must
 * fit in it and together they must cover it exactly.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataBytes: number, file = MEMORY): ParsedHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    const head = new TextDecoder().decode(headerBytes.subarray(0, 40));
    throw new SafetensorsError(`${file}: the safetensors header is not valid UTF-8 JSON (${(err as Error).message}; starts with ${quote(head)})`, file, undefined, {
      cause: err,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError(`${file}: the safetensors header is not a JSON object`, file);
  }
  let metadata: Record<string, string> = {};
  const infos: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new SafetensorsError(`${file}: __metadata__ must be an object of strings`, file);
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(`${file}: __metadata__.${k} must be a string (got ${JSON.stringify(v)})`, file);
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const where = `${file}: tensor ${quote(name)}`;
    if (typeof entry !== 'object' || entry === null) throw new SafetensorsError(`${where} has no {dtype, shape, data_offsets} entry`, file, name);
    const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDType(dtype)) {
      throw new SafetensorsError(`${where} has unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')})`, file, name);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw new SafetensorsError(`${where} has an invalid shape ${JSON.stringify(shape)} (expected an array of non-negative integers)`, file, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || (offsets[0] as number) > (offsets[1] as number)) {
      throw new SafetensorsError(`${where} has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 ≤ begin ≤ end)`, file, name);
    }
    const [begin, end] = offsets as [number, number];
    const expected = numel(shape as number[]) * SAFETENSORS_DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${expected}`,
        file,
        name,
      );
    }
    if (end > dataBytes) {
      throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] are out of range (the data section has ${dataBytes} bytes)`, file, name);
    }
    infos.push({ name, dtype, shape: shape as number[], begin, end });
  }
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorInfo | undefined;
  for (const t of infos) {
    if (t.begin < covered) {
      throw new SafetensorsError(`${file}: tensor ${quote(t.name)} (bytes ${t.begin}–${t.end}) overlaps tensor ${quote(previous?.name ?? '')}`, file, t.name);
    }
    if (t.begin > covered) {
      throw new SafetensorsError(`${file}: bytes ${covered}–${t.begin} before tensor ${quote(t.name)} belong to no tensor (the data must be fully indexed)`, file, t.name);
    }
    covered = t.end;
    previous = t;
  }
  if (covered !== dataBytes) {
    throw new SafetensorsError(
      `${file}: the data section has ${dataBytes} bytes but the tensors cover ${covered}${previous ? ` (the last is ${quote(previous.name)})` : ''}`,
      file,
      previous?.name,
    );
  }
  return { metadata, tensors: new Map(infos.map((t) => [t.name, t])), dataBytes };
}

function headerLength(prefix: Uint8Array, totalBytes: number, file: string): number {
  if (totalBytes < 8) throw new SafetensorsError(`${file}: ${totalBytes} bytes is too short for a safetensors file (no 8-byte header length)`, file);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`${file}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`, file);
  if (Number(n) > totalBytes - 8) {
    throw new SafetensorsError(`${file}: header length ${n} runs past the end of the file (${totalBytes} bytes; truncated, or not a safetensors file)`, file);
  }
  return Number(n);
}

/** Raw little-endian bytes of one tensor → float32. */
export function toFloat32(raw: Uint8Array, info: Pick<TensorInfo, 'dtype' | 'name'>, file = MEMORY): Float32Array {
  const count = raw.byteLength / (SAFETENSORS_DTYPE_BYTES[info.dtype] ?? 1);
  switch (info.dtype) {
    case 'F32': {
      if (LE && raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, count);
      const out = new Float32Array(count);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F16':
    case 'BF16': {
      const halves = littleEndianU16(raw, count);
      return info.dtype === 'F16' ? decodeF16(halves) : decodeBf16(halves);
    }
    default:
      throw new SafetensorsError(
        `${file}: tensor ${quote(info.name)} has dtype ${info.dtype}, which cannot be read as float32 (supported: ${FLOAT_DTYPES.join(', ')})`,
        file,
        info.name,
      );
  }
}

function littleEndianU16(raw: Uint8Array, count: number): Uint16Array {
  if (LE && raw.byteOffset % 2 === 0) return new Uint16Array(raw.buffer, raw.byteOffset, count);
  const out = new Uint16Array(count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

/** float32 → the little-endian bytes of `dtype`. */
export function fromFloat32(data: Float32Array, dtype: FloatDType): Uint8Array {
  if (dtype === 'F32') {
    if (LE) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true);
    return out;
  }
  const halves = dtype === 'F16' ? encodeF16(data) : encodeBf16(data);
  if (LE) return new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength);
  const out = new Uint8Array(halves.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < halves.length; i++) view.setUint16(i * 2, halves[i] as number, true);
  return out;
}

/** Parses a whole safetensors buffer (for small files and tests; use `SafetensorsFile` for files on disk). */
export function decodeSafetensors(bytes: Uint8Array, file = MEMORY): { metadata: Record<string, string>; tensors: Map<string, Tensor & { dtype: SafetensorsDType }> } {
  const n = headerLength(bytes.subarray(0, 8), bytes.byteLength, file);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n, file);
  const tensors = new Map<string, Tensor & { dtype: SafetensorsDType }>();
  for (const t of header.tensors.values()) {
    // Copy the slice so the result never aliases (or pins) the caller's buffer.
    const raw = bytes.slice(8 + n + t.begin, 8 + n + t.end);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: toFloat32(raw, t, file) });
  }
  return { metadata: { ...header.metadata }, tensors };
}

/**
 * An open safetensors file: the header is read once on open, each tensor is then read with one positioned read of
 * exactly its bytes (nothing is read twice, and memory holds only the tensors asked for). Close it when done.
 */
export class SafetensorsFile {
  private consumed = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly header: SafetensorsHeader,
    readonly fileBytes: number,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new SafetensorsError(`${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path, undefined, { cause: err });
    }
    try {
      const { size } = await fh.stat();
      const prefix = new Uint8Array(8);
      if (size >= 8) await readFully(fh, prefix, 0, path);
      const n = headerLength(prefix, size, path);
      const headerBytes = new Uint8Array(n);
      await readFully(fh, headerBytes, 8, path);
      const parsed = parseSafetensorsHeader(headerBytes, size - 8 - n, path);
      const file = new SafetensorsFile(path, fh, { ...parsed, dataOffset: 8 + n }, size);
      file.consumed = Math.min(size, 8) + n;
      return file;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get names(): string[] {
    return [...this.header.tensors.keys()];
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.header.metadata;
  }

  /** Bytes read from disk so far (header included): each tensor read adds exactly its own size. */
  get bytesRead(): number {
    return this.consumed;
  }

  info(name: string): TensorInfo {
    const t = this.header.tensors.get(name);
    if (!t) throw new SafetensorsError(`${this.path} has no tensor ${quote(name)}`, this.path, name);
    return t;
  }

  /** The tensor's raw little-endian bytes. */
  async readRaw(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const out = new Uint8Array(t.end - t.begin);
    await readFully(this.fh, out, this.header.dataOffset + t.begin, this.path, name);
    this.consumed += out.byteLength;
    return out;
  }

  async read(name: string): Promise<Float32Array> {
    return toFloat32(await this.readRaw(name), this.info(name), this.path);
  }

  async readTensor(name: string): Promise<Tensor> {
    return { shape: this.info(name).shape, data: await this.read(name) };
  }

  async readAll(): Promise<Map<string, Tensor>> {
    const out = new Map<string, Tensor>();
    for (const name of this.names) out.set(name, await this.readTensor(name));
    return out;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number, file: string, tensor?: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await fh.read(into, done, Math.min(IO_CHUNK, into.byteLength - done), position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(`${file}: unexpected end of file at byte ${position + done}${tensor ? ` while reading tensor ${quote(tensor)}` : ''}`, file, tensor);
    }
    done += bytesRead;
  }
}

export interface WriteSafetensorsOptions {
  /** The dtype of tensors that do not name their own (default F32). */
  readonly dtype?: FloatDType;
  readonly metadata?: Readonly<Record<string, string>>;
}

interface Planned {
  readonly name: string;
  readonly tensor: TensorToWrite;
  readonly dtype: FloatDType;
  readonly begin: number;
  readonly end: number;
}

/**
 * Lays the tensors out like the reference implementation: larger elements first (so every tensor stays aligned to
 * its element size), then by name; the header is padded with spaces to a multiple of 8.
 */
function plan(tensors: TensorMap<TensorToWrite>, options: WriteSafetensorsOptions, file: string): { header: Uint8Array; planned: Planned[] } {
  const entries = tensorEntries(tensors).map(([name, tensor]) => {
    if (name === '__metadata__') throw new SafetensorsError(`${file}: "__metadata__" cannot be a tensor name`, file, name);
    const dtype = tensor.dtype ?? options.dtype ?? 'F32';
    if (!FLOAT_DTYPES.includes(dtype)) throw new SafetensorsError(`${file}: cannot write tensor ${quote(name)} as ${String(dtype)} (supported: ${FLOAT_DTYPES.join(', ')})`, file, name);
    if (!tensor.shape.every(isCount) || numel(tensor.shape) !== tensor.data.length) {
      throw new SafetensorsError(`${file}: tensor ${quote(name)} has shape ${JSON.stringify(tensor.shape)} but ${tensor.data.length} values`, file, name);
    }
    return { name, tensor, dtype };
  });
  entries.sort((a, b) => SAFETENSORS_DTYPE_BYTES[b.dtype] - SAFETENSORS_DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let offset = 0;
  const planned: Planned[] = entries.map((e) => {
    const begin = offset;
    offset += e.tensor.data.length * SAFETENSORS_DTYPE_BYTES[e.dtype];
    return { ...e, begin, end: offset };
  });
  const json: Record<string, unknown> = {};
  if (options.metadata && Object.keys(options.metadata).length > 0) json['__metadata__'] = options.metadata;
  for (const p of planned) json[p.name] = { dtype: p.dtype, shape: p.tensor.shape, data_offsets: [p.begin, p.end] };
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  const padding = (8 - (bytes.byteLength % 8)) % 8;
  const header = new Uint8Array(8 + bytes.byteLength + padding);
  new DataView(header.buffer).setBigUint64(0, BigInt(bytes.byteLength + padding), true);
  header.set(bytes, 8);
  header.fill(0x20, 8 + bytes.byteLength);
  return { header, planned };
}

/** The bytes of one planned tensor, in slices of at most IO_CHUNK bytes (so F16 conversion never doubles a big tensor). */
function* tensorChunks(p: Planned): Generator<Uint8Array> {
  const per = IO_CHUNK / SAFETENSORS_DTYPE_BYTES[p.dtype];
  for (let i = 0; i < p.tensor.data.length; i += per) {
    yield fromFloat32(p.tensor.data.subarray(i, Math.min(p.tensor.data.length, i + per)), p.dtype);
  }
}

/** Serialises tensors into one buffer (small models and tests; use `writeSafetensors` for files). */
export function encodeSafetensors(tensors: TensorMap<TensorToWrite>, options: WriteSafetensorsOptions = {}): Uint8Array {
  const { header, planned } = plan(tensors, options, MEMORY);
  const total = header.byteLength + (planned.at(-1)?.end ?? 0);
  const out = new Uint8Array(total);
  out.set(header, 0);
  for (const p of planned) {
    let at = header.byteLength + p.begin;
    for (const chunk of tensorChunks(p)) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
  }
  return out;
}

/** Computes the size a file would have, without writing it. */
export function safetensorsSize(tensors: TensorMap<TensorToWrite>, options: WriteSafetensorsOptions = {}): number {
  const { header, planned } = plan(tensors, options, MEMORY);
  return header.byteLength + (planned.at(-1)?.end ?? 0);
}

/**
 * Writes a safetensors file tensor by tensor through a temporary file renamed into place (a crash never leaves a
 * partial file under the final name). Returns the file size.
 */
export async function writeSafetensors(path: string, tensors: TensorMap<TensorToWrite>, options: WriteSafetensorsOptions = {}): Promise<number> {
  const { header, planned } = plan(tensors, options, path);
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w');
  let size = 0;
  try {
    await writeAll(fh, header);
    size += header.byteLength;
    for (const p of planned) {
      for (const chunk of tensorChunks(p)) {
        await writeAll(fh, chunk);
        size += chunk.byteLength;
      }
    }
    await fh.close();
    await rename(tmp, path);
    return size;
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}
