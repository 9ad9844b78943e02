import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  BUILTIN_PREFIXES,
  createSourceContext,
  createSourceRegistry,
  LocatorError,
  makeRow,
  type Source,
  type SourceFactory,
  SourceIoError,
  SourcePluginError,
  StreamSource,
  UnsupportedFormatError,
} from '../src/index.js';
import { collect, type Sandbox, sandbox } from './support/fixtures.js';

let box: Sandbox;
beforeAll(() => {
  box = sandbox();
  writeFileSync(join(box.outside, 'secret.jsonl'), '{"secret":true}\n');
  symlinkSync(join(box.outside, 'secret.jsonl'), join(box.root, 'link-out.jsonl'));
  mkdirSync(join(box.root, 'linked'), { recursive: true });
  symlinkSync(join(box.root, 'nq-open/NQ-open.dev-first-200-lines.jsonl'), join(box.root, 'linked/inside.jsonl'));
});
afterAll(() => box.cleanup());

/** A plugin source: rows from the `n` option, built on the lib's StreamSource like the built-ins. */
const countingFactory: SourceFactory = (parsed) => {
  const n = Number(parsed.options['n'] ?? '3');
  const origin = { locator: parsed.locator, resolved: `count://${parsed.body}`, identity: `count://${parsed.body}` };
  return new StreamSource({
    locator: parsed.locator,
    resolved: origin.resolved,
    format: 'count',
    read: async function* () {
      for (let i = 0; i < n; i += 1) yield makeRow(origin, i, String(i), { i });
    },
  });
};

describe('SourceRegistry', () => {
  it('has every built-in prefix', () => {
    expect(createSourceRegistry().prefixes()).toEqual([...BUILTIN_PREFIXES].sort());
  });

  it('loads good plugins and reports throwing and contract-invalid ones, which are skipped', async () => {
    const registry = createSourceRegistry();
    const report = await registry.loadPlugins([
      { id: 'count', load: () => countingFactory },
      {
        id: 'broken',
        load: () => {
          throw new Error('cannot find module "broken-plugin"');
        },
      },
      { id: 'rejects', load: () => Promise.reject(new Error('init failed')) },
      { id: 'notafactory', load: () => ({ describe: () => 'nope' }) },
      { id: 'csv', load: () => countingFactory },
      { id: 'Bad Prefix', load: () => countingFactory },
      { id: 'async-count', load: async () => countingFactory },
    ]);
    expect(report.loaded).toEqual(['count', 'async-count']);
    expect(report.failed).toEqual([
      { id: 'broken', reasonCode: 'extension_load_failed', error: 'source plugin "broken" failed to load: cannot find module "broken-plugin"' },
      { id: 'rejects', reasonCode: 'extension_load_failed', error: 'source plugin "rejects" failed to load: init failed' },
      {
        id: 'notafactory',
        reasonCode: 'extension_contract_invalid',
        error: 'source plugin "notafactory" must resolve to a factory function (locator, ctx) => Source, got object',
      },
      { id: 'csv', reasonCode: 'extension_contract_invalid', error: 'source plugin "csv": source prefix "csv" is already registered' },
      { id: 'Bad Prefix', reasonCode: 'extension_contract_invalid', error: expect.stringContaining('source prefix "Bad Prefix" must match') },
    ]);
    expect(registry.has('broken')).toBe(false);
    const rows = await collect(await registry.resolve('count:x?n=4', box.ctx));
    expect(rows.map((r) => r.fields)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }]);
    const d = await (await registry.resolve('async-count:y', box.ctx)).describe();
    expect(d).toMatchObject({ format: 'count', approx_rows: 3, columns: ['i'], resolved: 'count://y' });
  });

  it('a plugin whose factory returns a non-Source or throws fails resolve() with a SourcePluginError', async () => {
    const registry = createSourceRegistry();
    registry.registerSource('liar', () => ({ locator: 'x' }) as unknown as Source);
    registry.registerSource('thrower', () => {
      throw new TypeError('boom');
    });
    await expect(registry.resolve('liar:a', box.ctx)).rejects.toMatchObject({ name: 'SourcePluginError', reasonCode: 'extension_contract_invalid' });
    const err = await registry.resolve('thrower:a', box.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourcePluginError);
    expect((err as SourcePluginError).reasonCode).toBe('extension_load_failed');
    expect((err as Error).message).toBe('source plugin "thrower" failed on thrower:a: boom');
    expect(() => registry.registerSource('liar', countingFactory)).toThrow(/already registered/);
  });

  it('an unknown prefix is an UnsupportedFormatError listing the known ones; bad syntax a LocatorError', async () => {
    const registry = createSourceRegistry();
    const err = await registry.resolve('xlsx:book.xlsx', box.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedFormatError);
    expect(err).toMatchObject({ code: 'SOURCES.UNSUPPORTED_FORMAT', reasonCode: 'ingest_unsupported_format', detected: 'xlsx' });
    expect((err as Error).message).toMatch(/no source is registered for "xlsx:" .*known prefixes: conll, csv, hf, json, jsonl, kaggle, parquet, text, tsv/);
    await expect(registry.resolve('just-a-path.csv', box.ctx)).rejects.toThrow(LocatorError);
    await expect(registry.resolve('csv:', box.ctx)).rejects.toThrow(/nothing after "csv:"/);
    await expect(registry.resolve('csv:banking77/test-first-1000-lines.csv?delimeter=;', box.ctx)).rejects.toThrow(
      /unknown option "delimeter" in .* \(allowed for csv: header, columns, delimiter, quote, encoding\)/,
    );
    await expect(registry.resolve('csv:a.csv?header=1&header=0', box.ctx)).rejects.toThrow(/given twice/);
  });
});

describe('data roots', () => {
  const registry = createSourceRegistry();

  it('refuses a relative path that climbs out, naming where it resolves', async () => {
    const up = relative(box.root, '/etc/passwd');
    const err = await registry.resolve(`jsonl:${up}`, box.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocatorError);
    expect((err as Error).message).toBe(`jsonl:${up} resolves to /etc/passwd, outside the data roots [${box.root}]`);
    await expect(registry.resolve('jsonl:../../../../../../../../etc/passwd', box.ctx)).rejects.toThrow(/resolves to \/etc\/passwd, outside the data roots/);
    await expect(registry.resolve('csv:/etc/passwd', box.ctx)).rejects.toThrow(LocatorError);
  });

  it('refuses a symlink inside a root that points outside, and follows one that stays inside', async () => {
    const err = await registry.resolve('jsonl:link-out.jsonl', box.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocatorError);
    expect((err as Error).message).toBe(`jsonl:link-out.jsonl resolves to ${join(box.outside, 'secret.jsonl')}, outside the data roots [${box.root}]`);
    const inside = await registry.resolve('jsonl:linked/inside.jsonl', box.ctx);
    expect(await collect(inside)).toHaveLength(200);
    expect((await inside.describe()).resolved).toBe(join(box.root, 'nq-open/NQ-open.dev-first-200-lines.jsonl'));
  });

  it('accepts any configured root for absolute paths; relative paths use the first; missing files are SourceIoErrors', async () => {
    const two = createSourceContext({ dataRoots: [box.outside, box.root], cacheDir: box.cacheDir });
    expect(await collect(await registry.resolve(`jsonl:${join(box.root, 'nq-open/NQ-open.dev-first-200-lines.jsonl')}`, two))).toHaveLength(200);
    expect(await collect(await registry.resolve('jsonl:secret.jsonl', two))).toHaveLength(1);
    const missing = await registry.resolve('csv:nope.csv', box.ctx).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SourceIoError);
    expect(missing).toMatchObject({ reasonCode: 'ingest_io_error', path: join(box.root, 'nope.csv') });
    expect((missing as Error).message).toBe(`cannot read csv:nope.csv: no such file (${join(box.root, 'nope.csv')})`);
    await expect(registry.resolve('csv:nq-open', box.ctx)).rejects.toThrow(/is a directory/);
    await expect(registry.resolve('csv:x.csv', createSourceContext({ dataRoots: [], cacheDir: box.cacheDir }))).rejects.toThrow(/no data roots are configured/);
  });
});
