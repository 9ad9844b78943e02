import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A path relative to a cache folder, refusing anything that could climb out of it. */
export function safeRelative(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || p.includes('\0'))) {
    throw new Error(`unsafe path in a remote listing: ${JSON.stringify(path)}`);
  }
  return join(...parts);
}

/** A cache-key segment from free text (revision names such as `refs/pr/1`). */
export const keySegment = (s: string): string => encodeURIComponent(s).replace(/%/g, '~');

export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes JSON through a temporary file and a rename, so readers never see half a file. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.part`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
