import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export interface ZipMember {
  readonly name: string;
  readonly size: number;
}

/** Lists an archive's files (directories left out), in archive order. */
export async function listZip(path: string): Promise<ZipMember[]> {
  const zip = await yauzl.openPromise(path, { autoClose: false, strictFileNames: false });
  try {
    const out: ZipMember[] = [];
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith('/')) out.push({ name: entry.fileName, size: entry.uncompressedSize });
    }
    return out;
  } finally {
    zip.close();
  }
}

/** Extracts one member to `dest` (through a temporary file renamed into place). */
export async function extractZipMember(path: string, member: string, dest: string, signal?: AbortSignal): Promise<void> {
  const zip = await yauzl.openPromise(path, { autoClose: false, strictFileNames: false });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== member) continue;
      await mkdir(dirname(dest), { recursive: true });
      const tmp = `${dest}.${randomUUID()}.part`;
      try {
        await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(tmp), { signal });
        await rename(tmp, dest);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      return;
    }
    throw new Error(`${member} is not in the archive`);
  } finally {
    zip.close();
  }
}
