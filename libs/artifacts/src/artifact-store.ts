import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ArtifactRef } from '@distillery/contracts';

export const ARTIFACT_URI_PREFIX = 'artifact://sha256/';

export class ArtifactNotFoundError extends Error {
  readonly code = 'ARTIFACT.NOT_FOUND';
  constructor(uri: string) {
    super(`artifact ${uri} is not in the store`);
    this.name = 'ArtifactNotFoundError';
  }
}

export class ArtifactCorruptError extends Error {
  readonly code = 'ARTIFACT.CORRUPT';
  constructor(uri: string, actual: string) {
    super(`artifact ${uri} does not match its digest (content hashes to ${actual})`);
    this.name = 'ArtifactCorruptError';
  }
}

const hexOf = (uriOrRef: string | Pick<ArtifactRef, 'uri'>): string => {
  const uri = typeof uriOrRef === 'string' ? uriOrRef : uriOrRef.uri;
  if (!uri.startsWith(ARTIFACT_URI_PREFIX) || !/^[0-9a-f]{64}$/.test(uri.slice(ARTIFACT_URI_PREFIX.length))) {
    throw new Error(`not an artifact URI: ${uri}`);
  }
  return uri.slice(ARTIFACT_URI_PREFIX.length);
};

/**
 * Content-addressed artifact store on a filesystem: blobs live at `<root>/sha256/ab/cd/<hex>` and are named by the
 * sha256 of their bytes, so writing the same content twice stores it once, and a reference can be verified.
 * Writes stream through a temporary file and are renamed into place (atomic on one filesystem).
 */
export class FileArtifactStore {
  constructor(readonly root: string) {}

  private pathOf(hex: string): string {
    return join(this.root, 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex);
  }

  /** Streams chunks into the store and returns the reference. Memory stays flat whatever the size. */
  async put(chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, mediaType: string): Promise<ArtifactRef> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    const hash = createHash('sha256');
    let bytes = 0;
    const out = createWriteStream(tmp);
    try {
      for await (const chunk of chunks as AsyncIterable<Uint8Array | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(buf);
        bytes += buf.byteLength;
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      out.end();
      await finished(out);
      const sha256 = hash.digest('hex');
      const dest = this.pathOf(sha256);
      await mkdir(dirname(dest), { recursive: true });
      await rename(tmp, dest);
      return { uri: `${ARTIFACT_URI_PREFIX}${sha256}`, sha256, bytes, media_type: mediaType };
    } catch (err) {
      out.destroy();
      await rm(tmp, { force: true });
      throw err;
    }
  }

  putBytes(data: Uint8Array | string, mediaType: string): Promise<ArtifactRef> {
    return this.put([data], mediaType);
  }

  /**
   * A writer for JSON Lines fed one value at a time (several can be open at once, e.g. accepted and rejected rows
   * of one import). `close()` stores the blob and returns its reference; `abort()` discards it.
   */
  async jsonlWriter(): Promise<JsonlWriter> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    const out = createWriteStream(tmp);
    const hash = createHash('sha256');
    let bytes = 0;
    let count = 0;
    // Lines are collected in an array and joined once per ~64 KiB chunk: `buf +=` per row built long rope strings
    // that Buffer.from then had to flatten (tools/bench import-map profile: ~37 % of an import's CPU).
    let lines: string[] = [];
    let pendingChars = 0;
    const drain = async () => {
      if (lines.length === 0) return;
      const chunk = Buffer.from(lines.join(''));
      lines = [];
      pendingChars = 0;
      hash.update(chunk);
      bytes += chunk.byteLength;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    };
    return {
      get count() {
        return count;
      },
      write: (value: unknown) => {
        const line = `${JSON.stringify(value)}\n`;
        lines.push(line);
        pendingChars += line.length;
        count += 1;
        return pendingChars >= 64 * 1024 ? drain() : Promise.resolve();
      },
      close: async () => {
        await drain();
        out.end();
        await finished(out);
        const sha256 = hash.digest('hex');
        const dest = this.pathOf(sha256);
        await mkdir(dirname(dest), { recursive: true });
        await rename(tmp, dest);
        return { uri: `${ARTIFACT_URI_PREFIX}${sha256}`, sha256, bytes, media_type: 'application/x-ndjson' };
      },
      abort: async () => {
        out.destroy();
        await rm(tmp, { force: true });
      },
    };
  }

  /** Writes values as JSON Lines (one JSON document per line). */
  putJsonl(values: AsyncIterable<unknown> | Iterable<unknown>): Promise<ArtifactRef> {
    async function* lines() {
      let buf = '';
      for await (const v of values as AsyncIterable<unknown>) {
        buf += `${JSON.stringify(v)}\n`;
        if (buf.length >= 64 * 1024) {
          yield buf;
          buf = '';
        }
      }
      if (buf) yield buf;
    }
    return this.put(lines(), 'application/x-ndjson');
  }

  async has(ref: string | Pick<ArtifactRef, 'uri'>): Promise<boolean> {
    return stat(this.pathOf(hexOf(ref))).then(
      () => true,
      () => false,
    );
  }

  async open(ref: string | Pick<ArtifactRef, 'uri'>): Promise<Readable> {
    const p = this.pathOf(hexOf(ref));
    try {
      await stat(p);
    } catch {
      throw new ArtifactNotFoundError(typeof ref === 'string' ? ref : ref.uri);
    }
    return createReadStream(p);
  }

  async readBytes(ref: string | Pick<ArtifactRef, 'uri'>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.open(ref)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Streams the JSON Lines of an artifact. */
  async *readJsonl<T = unknown>(ref: string | Pick<ArtifactRef, 'uri'>): AsyncGenerator<T> {
    const rl = createInterface({ input: await this.open(ref), crlfDelay: Infinity });
    for await (const line of rl) if (line) yield JSON.parse(line) as T;
  }

  /** Re-hashes a stored blob; throws ArtifactCorruptError when it no longer matches its name. */
  async verify(ref: string | Pick<ArtifactRef, 'uri'>): Promise<void> {
    const hex = hexOf(ref);
    const hash = createHash('sha256');
    for await (const c of await this.open(ref)) hash.update(c as Buffer);
    const actual = hash.digest('hex');
    if (actual !== hex) throw new ArtifactCorruptError(`${ARTIFACT_URI_PREFIX}${hex}`, actual);
  }

  /** Local path of a blob (for engines that memory-map files). */
  pathFor(ref: string | Pick<ArtifactRef, 'uri'>): string {
    return this.pathOf(hexOf(ref));
  }
}

export interface JsonlWriter {
  /** Values written so far. */
  readonly count: number;
  write(value: unknown): Promise<void>;
  close(): Promise<ArtifactRef>;
  abort(): Promise<void>;
}

export const toReadable = (data: Uint8Array | string): Readable => Readable.from([data]);
