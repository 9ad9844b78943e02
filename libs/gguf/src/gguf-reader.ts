import { open, type FileHandle } from 'node:fs/promises';
import { GgufFormatError, GgufIoError, GgufUnsupportedError } from './errors.js';
import { ggmlTypeById, GGML_TYPES, type GgmlTypeName } from './ggml-types.js';
import { GGUF_VALUE_TYPE, type GgufArrayItemType, type GgufMetadata, type GgufValue } from './gguf-values.js';
import { alignTo, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_MAX_DIMS } from './gguf-writer.js';
import { dequantize } from './quants.js';

/**
 * GGUF reader: parses the header, metadata and tensor infos, validates them against the spec and the file's size,
 * and reads tensors on demand (one positioned read each). Used by this lib's tests and by parity checks; it reads
 * files written by other tools too (tensor types it cannot decode are listed, and `readRaw` still returns their bytes).
 */

export interface GgufTensorInfo {
  readonly name: string;
  /** GGML dims, ne[0] first (the reverse of a row-major shape). */
  readonly dims: readonly number[];
  /** The row-major shape (dims reversed), as transformers would name it. */
  readonly shape: readonly number[];
  readonly typeId: number;
  /** Undefined for a type this lib cannot decode (its size is then unknown too). */
  readonly type: GgmlTypeName | undefined;
  /** Offset relative to the data section, as stored. */
  readonly offset: number;
  /** Offset in the file. */
  readonly fileOffset: number;
  readonly bytes: number | undefined;
  readonly elements: number;
}

const VALUE_TYPE_NAMES = new Map<number, keyof typeof GGUF_VALUE_TYPE>(Object.entries(GGUF_VALUE_TYPE).map(([k, v]) => [v, k as keyof typeof GGUF_VALUE_TYPE]));

/** Thrown inside parsing when the bytes read so far end early; the caller reads more of the file and retries. */
class NeedMore extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Cursor {
  private readonly view: DataView;
  at = 0;
  constructor(
    private readonly buf: Uint8Array,
    /** True when buf holds the whole file (then running out is a format error, not a reason to read more). */
    private readonly complete: boolean,
    private readonly file: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(message: string, at = this.at): never {
    throw new GgufFormatError(`${this.file}: ${message} (at byte ${at})`, this.file, at);
  }

  private need(n: number): void {
    if (this.at + n <= this.buf.length) return;
    if (this.complete) this.fail(`the file ends inside the header (${n} more bytes needed)`);
    throw new NeedMore();
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  /** uint64 as a JS number: anything ≥ 2^53 cannot be a size or offset in a real file. */
  u64(what: string): number {
    this.need(8);
    const v = this.view.getBigUint64(this.at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is impossibly large`);
    this.at += 8;
    return Number(v);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  string(what: string): string {
    const start = this.at;
    const len = this.u64(`${what} length`);
    try {
      return utf8.decode(this.bytes(len));
    } catch (err) {
      if (err instanceof NeedMore || err instanceof GgufFormatError) throw err;
      return this.fail(`${what} is not valid UTF-8`, start);
    }
  }

  scalar(type: GgufArrayItemType, key: string): number | bigint | boolean | string {
    switch (type) {
      case 'uint8':
        return this.u8();
      case 'int8':
        this.need(1);
        return this.view.getInt8(this.at++);
      case 'uint16':
      case 'int16': {
        this.need(2);
        const v = type === 'uint16' ? this.view.getUint16(this.at, true) : this.view.getInt16(this.at, true);
        this.at += 2;
        return v;
      }
      case 'uint32':
        return this.u32();
      case 'int32':
      case 'float32': {
        this.need(4);
        const v = type === 'int32' ? this.view.getInt32(this.at, true) : this.view.getFloat32(this.at, true);
        this.at += 4;
        return v;
      }
      case 'uint64':
      case 'int64': {
        this.need(8);
        const v = type === 'uint64' ? this.view.getBigUint64(this.at, true) : this.view.getBigInt64(this.at, true);
        this.at += 8;
        return v;
      }
      case 'float64': {
        this.need(8);
        const v = this.view.getFloat64(this.at, true);
        this.at += 8;
        return v;
      }
      case 'bool': {
        const b = this.u8();
        if (b > 1) this.fail(`metadata ${key}: bool byte ${b} is neither 0 nor 1`, this.at - 1);
        return b === 1;
      }
      case 'string':
        return this.string(`metadata ${key} string`);
      default: {
        const _never: never = type;
        return this.fail(`unknown value type ${String(_never)}`);
      }
    }
  }

  valueType(key: string): keyof typeof GGUF_VALUE_TYPE {
    const at = this.at;
    const id = this.u32();
    const name = VALUE_TYPE_NAMES.get(id);
    if (name === undefined) this.fail(`metadata ${key}: unknown value type ${id}`, at);
    return name;
  }

  value(key: string, fileSize: number): GgufValue {
    const type = this.valueType(key);
    if (type !== 'array') return { type, value: this.scalar(type, key) } as GgufValue;
    const itemAt = this.at;
    const itemType = this.valueType(key);
    if (itemType === 'array') {
      // ggml's gguf reader rejects nested arrays too; no llama.cpp key uses them.
      throw new GgufUnsupportedError(`${this.file}: metadata ${key} is an array of arrays (at byte ${itemAt}), which ggml does not read either`, key, 'array');
    }
    const n = this.u64(`metadata ${key} array length`);
    if (n > fileSize) this.fail(`metadata ${key}: array of ${n} elements cannot fit in a ${fileSize}-byte file`);
    const items: (number | bigint | boolean | string)[] = new Array(n);
    for (let i = 0; i < n; i++) items[i] = this.scalar(itemType, key);
    return { type: 'array', itemType, value: items } as GgufValue;
  }
}

interface ParsedHeader {
  readonly version: number;
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: GgufTensorInfo[];
  readonly alignment: number;
  readonly dataOffset: number;
}

function parseHeader(buf: Uint8Array, complete: boolean, file: string, fileSize: number): ParsedHeader {
  const c = new Cursor(buf, complete, file);
  const magic = c.bytes(4);
  if (!magic.every((b, i) => b === GGUF_MAGIC[i])) c.fail(`not a GGUF file (magic ${JSON.stringify(String.fromCharCode(...magic))}, expected "GGUF")`, 0);
  const version = c.u32();
  // v1 used 32-bit counts and lengths; v2 and v3 share this layout (v3 only added big-endian files, which say nothing
  // about themselves: a big-endian file shows up here as an absurd version number).
  if (version !== 2 && version !== 3) c.fail(`GGUF version ${version} is not supported (2 and 3 are)`, 4);
  const tensorCount = c.u64('tensor count');
  const kvCount = c.u64('metadata count');
  if (tensorCount > fileSize || kvCount > fileSize) c.fail(`${tensorCount} tensors / ${kvCount} metadata entries cannot fit in a ${fileSize}-byte file`, 8);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const at = c.at;
    const key = c.string('metadata key');
    if (metadata.has(key)) c.fail(`metadata key ${key} appears twice`, at);
    metadata.set(key, c.value(key, fileSize));
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const a = metadata.get('general.alignment');
  if (a !== undefined) {
    if (a.type !== 'uint32' || a.value === 0 || (a.value & (a.value - 1)) !== 0) return c.fail(`general.alignment ${String(a.value)} (${a.type}) is not a uint32 power of two`, 0);
    alignment = a.value;
  }
  const infos: Omit<GgufTensorInfo, 'fileOffset'>[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const at = c.at;
    const name = c.string('tensor name');
    if (names.has(name)) c.fail(`tensor ${name} appears twice`, at);
    names.add(name);
    const nDims = c.u32();
    if (nDims < 1 || nDims > GGUF_MAX_DIMS) c.fail(`tensor ${name}: ${nDims} dimensions (1 to ${GGUF_MAX_DIMS} allowed)`, at);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.u64(`tensor ${name} dimension`));
    const typeId = c.u32();
    const offset = c.u64(`tensor ${name} offset`);
    if (offset % alignment !== 0) c.fail(`tensor ${name}: offset ${offset} is not a multiple of the alignment ${alignment}`, at);
    const elements = dims.reduce((x, y) => x * y, 1);
    const t = ggmlTypeById(typeId);
    let bytes: number | undefined;
    if (t) {
      if ((dims[0] as number) % t.blockSize !== 0) c.fail(`tensor ${name}: row length ${dims[0]} is not a multiple of ${t.name}'s block size ${t.blockSize}`, at);
      bytes = (elements / t.blockSize) * t.typeSize;
    }
    infos.push({ name, dims, shape: [...dims].reverse(), typeId, type: t?.name, offset, bytes, elements });
  }
  const dataOffset = alignTo(c.at, alignment);
  if (tensorCount > 0 && dataOffset > fileSize) c.fail(`the tensor data section would start at ${dataOffset}, past the end of the file (${fileSize} bytes)`);
  const tensors = infos.map((t) => ({ ...t, fileOffset: dataOffset + t.offset }));
  for (const t of tensors) {
    if (t.bytes !== undefined && t.fileOffset + t.bytes > fileSize) {
      c.fail(`tensor ${t.name} (${t.bytes} bytes at ${t.fileOffset}) runs past the end of the file (${fileSize} bytes)`, t.fileOffset);
    }
  }
  // Tensors of known size must not overlap (they may come in any order in the data section).
  const known = tensors.filter((t) => t.bytes !== undefined).sort((x, y) => x.offset - y.offset);
  for (let i = 1; i < known.length; i++) {
    const prev = known[i - 1] as GgufTensorInfo;
    const cur = known[i] as GgufTensorInfo;
    if (prev.offset + (prev.bytes as number) > cur.offset) c.fail(`tensors ${prev.name} and ${cur.name} overlap`, cur.fileOffset);
  }
  return { version, metadata, tensors, alignment, dataOffset };
}

/** An open GGUF file. `close()` it when done. */
export class GgufFile {
  private readonly byName: ReadonlyMap<string, GgufTensorInfo>;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly fileSize: number,
    readonly version: number,
    readonly metadata: GgufMetadata,
    readonly tensors: readonly GgufTensorInfo[],
    readonly alignment: number,
    /** Where the tensor data section starts (the end of the header, padded to the alignment). */
    readonly dataOffset: number,
  ) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  /** Opens and parses `path`; the header is read in growing chunks until it parses (a 150k-token vocabulary is a few MB). */
  static async open(path: string): Promise<GgufFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw new GgufIoError(`cannot open ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path, { cause: err });
    }
    try {
      const { size } = await handle.stat();
      for (let chunk = Math.min(size, 1 << 20); ; chunk = Math.min(size, chunk * 4)) {
        const buf = new Uint8Array(chunk);
        await readFully(handle, buf, 0, path);
        try {
          const h = parseHeader(buf, chunk === size, path, size);
          return new GgufFile(path, handle, size, h.version, h.metadata, h.tensors, h.alignment, h.dataOffset);
        } catch (err) {
          if (!(err instanceof NeedMore)) throw err;
        }
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The metadata value (with its wire type), or undefined. */
  get(key: string): GgufValue | undefined {
    return this.metadata.get(key);
  }

  /** The plain value of `key` (a number, bigint, boolean, string or array), or undefined. */
  value(key: string): GgufValue['value'] | undefined {
    return this.metadata.get(key)?.value;
  }

  tensor(name: string): GgufTensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new GgufFormatError(`${this.path} has no tensor ${name}`, this.path);
    return t;
  }

  /** The stored bytes of a tensor (any type this lib knows the size of). */
  async readRaw(name: string): Promise<Uint8Array> {
    const t = this.tensor(name);
    if (t.bytes === undefined) throw new GgufUnsupportedError(`${this.path}: tensor ${name} has ggml type ${t.typeId}, whose size this lib does not know`, 'tensor_type', t.typeId);
    const buf = new Uint8Array(t.bytes);
    await readFully(this.handle, buf, t.fileOffset, this.path);
    return buf;
  }

  /** A tensor decoded to float32 (row-major, `shape`). */
  async read(name: string): Promise<Float32Array> {
    const t = this.tensor(name);
    if (t.type === undefined || !(t.type in GGML_TYPES)) throw new GgufUnsupportedError(`${this.path}: tensor ${name} has ggml type ${t.typeId}, which this lib cannot decode`, 'tensor_type', t.typeId);
    return dequantize(t.type, await this.readRaw(name), t.elements);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function readFully(handle: FileHandle, buf: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new GgufFormatError(`${path}: unexpected end of file at byte ${position + done}`, path, position + done);
    done += bytesRead;
  }
}
