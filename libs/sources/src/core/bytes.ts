import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ReadContext } from './stream-source.js';

const CHUNK = 64 * 1024;

export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
export const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
export const isParquet = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31;

/** The first bytes of a file (magic-number sniffing). */
export async function headBytes(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Streams a file's bytes in 64 KiB chunks, keeping ctx.bytes current. */
async function* rawFileBytes(path: string, ctx: ReadContext): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: CHUNK, signal: ctx.signal });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      ctx.bytes.read += chunk.length;
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}

/**
 * The content bytes of a file: gunzipped when it starts with the gzip magic bytes (whatever its name), as is
 * otherwise. `ctx.bytes` counts bytes read from disk, so progress is against the file size.
 */
export async function* fileBytes(path: string, ctx: ReadContext, format: string): AsyncGenerator<Buffer> {
  ctx.bytes.total = (await stat(path)).size;
  const gz = isGzip(await headBytes(path, 2));
  if (!gz) {
    yield* rawFileBytes(path, ctx);
    return;
  }
  ctx.setFormat(`${format}+gzip`);
  const source = Readable.from(rawFileBytes(path, ctx), { objectMode: false });
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}
