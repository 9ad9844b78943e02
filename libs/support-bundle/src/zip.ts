import { crc32, deflateRawSync } from 'node:zlib';

/** One file to put in a ZIP archive. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated, UTF-8. */
  readonly name: string;
  readonly data: Uint8Array | string;
  /** Modification time written into the headers (default: the archive's `mtime`). */
  readonly mtime?: Date;
}

export interface ZipOptions {
  /** Modification time of every entry that names none (default: now). */
  readonly mtime?: Date;
  /** Deflate level 0-9 (default 6). Level 0, or data that does not shrink, is stored as is. */
  readonly level?: number;
}

export class ZipLimitError extends Error {
  readonly code = 'SUPPORT_BUNDLE.ZIP_LIMIT';
  constructor(message: string) {
    super(message);
    this.name = 'ZipLimitError';
  }
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** General purpose flag bit 11: the name is UTF-8. */
const FLAG_UTF8 = 0x0800;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** 2.0: deflate; no ZIP64 (archives and entries stay under 4 GiB and 65,535 entries). */
const VERSION_NEEDED = 20;
/** Made by: Unix (3), spec 2.0, so the external attributes below read as Unix permissions. */
const VERSION_MADE_BY = (3 << 8) | 20;
/** A regular file, mode 0644. */
const EXTERNAL_ATTRS = (0o100644 << 16) >>> 0;
const MAX_U32 = 0xffffffff;
const MAX_U16 = 0xffff;

/** MS-DOS date and time (local fields, 2-second resolution; years 1980-2107). */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

function checkName(name: string): void {
  if (name.length === 0) throw new ZipLimitError('zip entry name is empty');
  if (name.startsWith('/') || name.includes('\\') || name.split('/').some((s) => s === '..' || s === '')) {
    throw new ZipLimitError(`zip entry name '${name}' must be a relative path with '/' separators and no '..' or empty parts`);
  }
}

/**
 * Writes a ZIP archive in memory: a local header and the data of each entry (deflated, or stored when deflating does
 * not shrink it), then the central directory and its end record. Names are UTF-8 (flag bit 11); sizes and CRC-32 are
 * in the local headers (no data descriptors), so any reader can stream it. Duplicate names are refused.
 */
export function createZip(entries: readonly ZipEntry[], options: ZipOptions = {}): Buffer {
  if (entries.length > MAX_U16) throw new ZipLimitError(`a zip holds at most ${MAX_U16} entries without ZIP64, not ${entries.length}`);
  const level = options.level ?? 6;
  const defaultTime = options.mtime ?? new Date();
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;

  for (const entry of entries) {
    checkName(entry.name);
    if (seen.has(entry.name)) throw new ZipLimitError(`duplicate zip entry name '${entry.name}'`);
    seen.add(entry.name);
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    const name = Buffer.from(entry.name, 'utf8');
    if (name.length > MAX_U16) throw new ZipLimitError(`zip entry name '${entry.name.slice(0, 40)}…' is longer than ${MAX_U16} bytes`);
    const crc = crc32(data) >>> 0;
    const deflated = level > 0 && data.length > 0 ? deflateRawSync(data, { level }) : undefined;
    const useDeflate = deflated !== undefined && deflated.length < data.length;
    const body = useDeflate ? deflated : data;
    const method = useDeflate ? METHOD_DEFLATE : METHOD_STORED;
    if (data.length > MAX_U32 || body.length > MAX_U32) throw new ZipLimitError(`zip entry '${entry.name}' is larger than 4 GiB (ZIP64 is not supported)`);
    const { time, date } = dosDateTime(entry.mtime ?? defaultTime);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(CENTRAL_HEADER, 0);
    dir.writeUInt16LE(VERSION_MADE_BY, 4);
    dir.writeUInt16LE(VERSION_NEEDED, 6);
    dir.writeUInt16LE(FLAG_UTF8, 8);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt16LE(time, 12);
    dir.writeUInt16LE(date, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt16LE(0, 30); // extra field length
    dir.writeUInt16LE(0, 32); // comment length
    dir.writeUInt16LE(0, 34); // disk number start
    dir.writeUInt16LE(0, 36); // internal attributes
    dir.writeUInt32LE(EXTERNAL_ATTRS, 38);
    dir.writeUInt32LE(offset, 42);

    parts.push(local, name, body);
    central.push(dir, name);
    offset += local.length + name.length + body.length;
    if (offset > MAX_U32) throw new ZipLimitError('zip archive is larger than 4 GiB (ZIP64 is not supported)');
  }

  const centralSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(0, 4); // this disk
  end.writeUInt16LE(0, 6); // disk with the central directory
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20); // comment length
  return Buffer.concat([...parts, ...central, end]);
}
