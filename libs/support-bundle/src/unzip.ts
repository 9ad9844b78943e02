import { crc32, inflateRawSync } from 'node:zlib';

export interface UnzippedEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly method: number;
  readonly crc32: number;
}

export class ZipFormatError extends Error {
  readonly code = 'SUPPORT_BUNDLE.ZIP_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

/**
 * Reads a (non-ZIP64) archive through its central directory: each entry's local header must agree with it, the data
 * is inflated (method 8) or taken as stored (0), and its CRC-32 and size are checked. Enough for support bundles
 * (the CLI prints the manifest of the bundle it downloaded); not a general-purpose unzip.
 */
export function readZip(zip: Buffer): UnzippedEntry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i -= 1) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('not a zip archive: no end of central directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out: UnzippedEntry[] = [];
  for (let n = 0; n < count; n += 1) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError(`central directory entry ${n} has a bad signature`);
    const flags = zip.readUInt16LE(p + 8);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const csize = zip.readUInt32LE(p + 20);
    const usize = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x0800 ? 'utf8' : 'latin1');
    p += 46 + nameLen + extraLen + commentLen;

    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new ZipFormatError(`${name}: local header has a bad signature`);
    const lNameLen = zip.readUInt16LE(localOffset + 26);
    const lExtraLen = zip.readUInt16LE(localOffset + 28);
    const lName = zip.subarray(localOffset + 30, localOffset + 30 + lNameLen).toString(flags & 0x0800 ? 'utf8' : 'latin1');
    if (lName !== name) throw new ZipFormatError(`${name}: local header names '${lName}'`);
    if (zip.readUInt32LE(localOffset + 14) !== crc || zip.readUInt32LE(localOffset + 18) !== csize || zip.readUInt32LE(localOffset + 22) !== usize) {
      throw new ZipFormatError(`${name}: local header disagrees with the central directory`);
    }
    const start = localOffset + 30 + lNameLen + lExtraLen;
    const body = zip.subarray(start, start + csize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(body);
    else if (method === 8) data = inflateRawSync(body);
    else throw new ZipFormatError(`${name}: unsupported compression method ${method}`);
    if (data.length !== usize) throw new ZipFormatError(`${name}: ${data.length} bytes, the directory says ${usize}`);
    if (crc32(data) >>> 0 !== crc) throw new ZipFormatError(`${name}: CRC-32 mismatch`);
    out.push({ name, data, method, crc32: crc });
  }
  return out;
}
