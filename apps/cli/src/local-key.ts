import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded default's admin key: `distillery up` / `demo` make one on first start, keep it in the data folder
 * (mode 0600, like an SSH key) and give it to the API as its bootstrap admin key; CLI commands against that API read
 * it from the same folder. Anyone who can read the data folder already has the data, so the key adds no exposure.
 */
export const localKeyPath = (dataDir: string): string => join(dataDir, 'api-key');

/** The local key, if `distillery up` made one in this data folder. */
export function readLocalKey(dataDir: string): string | undefined {
  try {
    const key = readFileSync(localKeyPath(dataDir), 'utf8').trim();
    return key.length > 0 ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The local key, made now when there is none (`created` says which, so it is printed once). */
export function ensureLocalKey(dataDir: string): { key: string; created: boolean; path: string } {
  const path = localKeyPath(dataDir);
  const existing = readLocalKey(dataDir);
  if (existing) return { key: existing, created: false, path };
  const key = `dkl_${randomBytes(32).toString('base64url')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true, path };
}

/** The key a CLI command sends: DISTILLERY_API_KEY, else the local key of the data folder, else none. */
export const cliApiKey = (dataDir: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined => env['DISTILLERY_API_KEY'] || readLocalKey(dataDir);
