import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ArtifactRef } from '@distillery/contracts';
import type { FileArtifactStore } from './artifact-store.js';

/** The media type of a bundle index: a directory stored file by file, each file its own content-addressed blob. */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.distillery.bundle+json';

export interface BundleIndex {
  readonly schema_version: 1;
  /** What the directory is, e.g. `hf-model`, `peft-adapter`, `checkpoint`. */
  readonly kind: string;
  /** Relative POSIX path → the file's artifact. Sorted by path, so the same directory gives the same index. */
  readonly files: Readonly<Record<string, ArtifactRef>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

const MEDIA: Record<string, string> = { '.json': 'application/json', '.safetensors': 'application/octet-stream', '.onnx': 'application/onnx', '.txt': 'text/plain', '.md': 'text/markdown' };
const mediaOf = (p: string): string => MEDIA[p.slice(p.lastIndexOf('.'))] ?? 'application/octet-stream';

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

/**
 * Stores a directory (a model folder, an adapter, a checkpoint) as one artifact: every file is put on its own, and
 * an index maps relative paths to them. Identical files across bundles (a tokenizer.json shared by every checkpoint)
 * are stored once.
 */
export async function putDirectory(store: FileArtifactStore, dir: string, kind: string, metadata?: Record<string, unknown>): Promise<ArtifactRef> {
  const files: Record<string, ArtifactRef> = {};
  for await (const p of walk(dir)) files[relative(dir, p).split(sep).join('/')] = await store.put(createReadStream(p), mediaOf(p));
  const index: BundleIndex = { schema_version: 1, kind, files, ...(metadata ? { metadata } : {}) };
  return store.put([JSON.stringify(index, null, 2)], BUNDLE_MEDIA_TYPE);
}

export async function readBundle(store: FileArtifactStore, ref: Pick<ArtifactRef, 'uri'>): Promise<BundleIndex> {
  const index = JSON.parse((await store.readBytes(ref)).toString('utf8')) as BundleIndex;
  if (index.schema_version !== 1 || typeof index.files !== 'object') throw new Error(`artifact ${ref.uri} is not a bundle index`);
  return index;
}

/** Writes a bundle's files under `dest` (verifying each against its digest) and returns the index. */
export async function materializeBundle(store: FileArtifactStore, ref: Pick<ArtifactRef, 'uri'>, dest: string): Promise<BundleIndex> {
  const index = await readBundle(store, ref);
  for (const [path, file] of Object.entries(index.files)) {
    if (path.split('/').some((s) => s === '..' || s === '')) throw new Error(`bundle ${ref.uri} holds an unsafe path '${path}'`);
    const target = join(dest, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await store.verify(file);
    await copyFile(store.pathFor(file), target);
  }
  return index;
}
