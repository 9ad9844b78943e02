import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceRow } from '@distillery/contracts';
import { createSourceContext, type LoadOptions, type Source, type SourceContext, type SourceContextInit } from '../../src/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export const fixture = (rel: string): string => join(FIXTURES, rel);

export interface Sandbox {
  /** The data root (real path), holding a copy of the fixtures. */
  readonly root: string;
  readonly cacheDir: string;
  /** Scratch space outside the data root. */
  readonly outside: string;
  readonly ctx: SourceContext;
  context(extra: Partial<SourceContextInit>): SourceContext;
  cleanup(): void;
}

/** A temporary data root with the fixtures copied in, a cache dir, and a folder outside the root. */
export function sandbox(): Sandbox {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'sources-')));
  const root = join(base, 'data');
  const cacheDir = join(base, 'cache');
  const outside = join(base, 'outside');
  mkdirSync(outside, { recursive: true });
  cpSync(FIXTURES, root, { recursive: true });
  const context = (extra: Partial<SourceContextInit>) => createSourceContext({ dataRoots: [root], cacheDir, ...extra });
  return { root, cacheDir, outside, ctx: context({}), context, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export async function collect(source: Source, opts?: LoadOptions): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const row of source.load(opts)) rows.push(row);
  return rows;
}

export async function collectWithWarnings(source: Source, opts: LoadOptions = {}): Promise<{ rows: SourceRow[]; warnings: string[] }> {
  const warnings: string[] = [];
  const rows = await collect(source, { ...opts, onWarning: (w) => warnings.push(w) });
  return { rows, warnings };
}
