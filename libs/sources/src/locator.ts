import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { LocatorError, SourceIoError } from './errors.js';
import type { ParsedLocator } from './types.js';

const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/**
 * Splits `<scheme>:<body>[?<options>]`. The options are URL query syntax (`a=1&b=x%2Cy`); a key given twice is an
 * error. The body is used as written (no percent-decoding), so a `?` cannot appear in a file name.
 */
export function parseLocator(locator: string): ParsedLocator {
  const colon = locator.indexOf(':');
  const scheme = colon > 0 ? locator.slice(0, colon) : '';
  if (!SCHEME.test(scheme)) {
    throw new LocatorError(
      `invalid locator ${JSON.stringify(locator)}: expected <prefix>:<path-or-id>[?options], e.g. csv:data/train.csv`,
      locator,
    );
  }
  const rest = locator.slice(colon + 1);
  const q = rest.indexOf('?');
  const body = q === -1 ? rest : rest.slice(0, q);
  if (body.trim() === '') throw new LocatorError(`invalid locator ${JSON.stringify(locator)}: nothing after "${scheme}:"`, locator);
  const options: Record<string, string> = {};
  if (q !== -1) {
    for (const [key, value] of new URLSearchParams(rest.slice(q + 1))) {
      if (Object.hasOwn(options, key)) throw new LocatorError(`invalid locator ${locator}: option "${key}" is given twice`, locator);
      options[key] = value;
    }
  }
  return { locator, scheme, body, options };
}

/** Throws a LocatorError naming the unknown options and the allowed ones (catches typos such as `delimeter`). */
export function checkOptions(parsed: ParsedLocator, allowed: readonly string[]): void {
  const unknown = Object.keys(parsed.options).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    const list = allowed.length > 0 ? allowed.join(', ') : 'none';
    throw new LocatorError(
      `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} in ${parsed.locator} (allowed for ${parsed.scheme}: ${list})`,
      parsed.locator,
    );
  }
}

export function booleanOption(parsed: ParsedLocator, key: string, fallback: boolean): boolean {
  const v = parsed.options[key];
  if (v === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new LocatorError(`option ${key}=${v} in ${parsed.locator} must be true or false`, parsed.locator);
}

export function enumOption<T extends string>(parsed: ParsedLocator, key: string, values: readonly T[], fallback: T): T {
  const v = parsed.options[key];
  if (v === undefined) return fallback;
  if ((values as readonly string[]).includes(v)) return v as T;
  throw new LocatorError(`option ${key}=${v} in ${parsed.locator} must be one of ${values.join(', ')}`, parsed.locator);
}

export function positiveIntOption(parsed: ParsedLocator, key: string): number | undefined {
  const v = parsed.options[key];
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v)) throw new LocatorError(`option ${key}=${v} in ${parsed.locator} must be a positive integer`, parsed.locator);
  return Number(v);
}

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

const realOrResolved = async (p: string): Promise<string> => {
  try {
    return await realpath(p);
  } catch {
    return resolve(p);
  }
};

/**
 * Resolves the path of a file locator and confines it to the data roots: first lexically (so `../../etc/passwd` is
 * refused before touching the disk), then after resolving symlinks (so a link inside a root that points outside is
 * refused too). Returns the real absolute path of an existing file.
 */
export async function resolveDataPath(locator: string, path: string, dataRoots: readonly string[]): Promise<string> {
  if (dataRoots.length === 0) throw new LocatorError(`cannot read ${locator}: no data roots are configured`, locator);
  const roots = await Promise.all(dataRoots.map(realOrResolved));
  const lexical = isAbsolute(path) ? resolve(path) : resolve(roots[0] as string, path);
  const lexicalRoots = dataRoots.map((r) => resolve(r));
  const outside = (p: string, rs: readonly string[]) =>
    new LocatorError(`${locator} resolves to ${p}, outside the data roots [${rs.join(', ')}]`, locator);
  if (!roots.some((r) => inside(r, lexical)) && !lexicalRoots.some((r) => inside(r, lexical))) throw outside(lexical, roots);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new SourceIoError(`cannot read ${locator}: ${why} (${lexical})`, locator, lexical, { cause: err });
  }
  if (!roots.some((r) => inside(r, real))) throw outside(real, roots);
  return real;
}
