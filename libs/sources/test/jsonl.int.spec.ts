import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createSourceRegistry, isAbortError, type LoadProgress, SourceIoError } from '../src/index.js';
import { collect, collectWithWarnings, fixture, type Sandbox, sandbox } from './support/fixtures.js';

const registry = createSourceRegistry();
let box: Sandbox;
beforeAll(() => {
  box = sandbox();
});
afterAll(() => box.cleanup());

const NQ = 'nq-open/NQ-open.dev-first-200-lines.jsonl';
const nqLines = () => readFileSync(fixture(NQ), 'utf8').split('\n').filter((l) => l !== '');

describe('jsonl', () => {
  it('reads one row per line with the object as fields', async () => {
    const rows = await collect(await registry.resolve(`jsonl:${NQ}`, box.ctx));
    const lines = nqLines();
    expect(rows).toHaveLength(200);
    expect(rows.map((r) => r.fields)).toEqual(lines.map((l) => JSON.parse(l)));
    expect(rows[0]?.fields['answer']).toEqual(expect.any(Array));
    expect(rows[0]?.source).toEqual({ locator: `jsonl:${NQ}`, resolved: join(box.root, NQ), position: 0 });
  });

  it('keeps a broken line as a sentinel row, wraps non-object values, counts blank lines in a warning', async () => {
    const lines = nqLines().slice(0, 10);
    const truncated = (lines[4] as string).slice(0, 30);
    const content = [...lines.slice(0, 4), truncated, '"just a string"', '', '42', '[1,2]', ...lines.slice(5)].join('\n');
    writeFileSync(join(box.root, 'broken.jsonl'), `${content}\n`);
    const { rows, warnings } = await collectWithWarnings(await registry.resolve('jsonl:broken.jsonl', box.ctx));
    expect(rows).toHaveLength(13); // 14 lines, one blank: every other line is a row
    expect(rows[4]?.parse_error).toMatch(/^line 5: not valid JSON/);
    expect(rows[4]?.raw_text).toBe(truncated);
    expect(rows[4]?.fields).toEqual({});
    expect(rows[5]?.fields).toEqual({ value: 'just a string' });
    expect(rows[6]?.fields).toEqual({ value: 42 });
    expect(rows[7]?.fields).toEqual({ value: [1, 2] });
    expect(rows[8]?.fields).toEqual(JSON.parse(lines[5] as string));
    expect(rows.map((r) => r.source.position)).toEqual([...Array(13).keys()]);
    expect(rows.filter((r) => r.parse_error !== undefined)).toHaveLength(1);
    expect(warnings).toEqual(['skipped 1 blank line (not records)']);
  });

  it('reads gzip-compressed JSON Lines (detected by magic bytes) with progress against the compressed size', async () => {
    const path = 'hh-rlhf/test-first-50-lines.jsonl.gz';
    const size = statSync(fixture(path)).size;
    const progress: LoadProgress[] = [];
    const source = await registry.resolve(`jsonl:${path}`, box.ctx);
    const rows = await collect(source, { onProgress: (p) => progress.push(p) });
    const expected = gunzipSync(readFileSync(fixture(path)))
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(50);
    expect(rows.map((r) => r.fields)).toEqual(expected);
    expect(Object.keys(rows[0]?.fields ?? {})).toEqual(['chosen', 'rejected']);
    expect(progress.at(-1)).toEqual({ rows: 50, bytesRead: size, bytesTotal: size });
    const d = await source.describe();
    expect(d.format).toBe('jsonl+gzip');
    expect(d.columns).toEqual(['chosen', 'rejected']);
    expect(d.approx_rows).toBe(50);
  });

  it('also detects gzip under a plain .jsonl name', async () => {
    copyFileSync(fixture('hh-rlhf/test-first-50-lines.jsonl.gz'), join(box.root, 'gz-in-disguise.jsonl'));
    expect(await collect(await registry.resolve('jsonl:gz-in-disguise.jsonl', box.ctx))).toHaveLength(50);
  });

  it('a truncated gzip file is a SourceIoError naming the file', async () => {
    const gz = readFileSync(fixture('hh-rlhf/test-first-50-lines.jsonl.gz'));
    writeFileSync(join(box.root, 'truncated.jsonl.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const rows: unknown[] = [];
    const err = await (async () => {
      for await (const row of (await registry.resolve('jsonl:truncated.jsonl.gz', box.ctx)).load()) rows.push(row);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceIoError);
    expect((err as SourceIoError).path).toBe(join(box.root, 'truncated.jsonl.gz'));
    expect((err as Error).message).toMatch(/^reading jsonl:truncated.jsonl.gz \(.*truncated.jsonl.gz\) failed: .*unexpected end of file/);
    expect(rows.length).toBeLessThan(50);
  });

  it('honours limit, reports progress, and stops on abort', async () => {
    const source = await registry.resolve(`jsonl:${NQ}`, box.ctx);
    const progress: LoadProgress[] = [];
    const rows = await collect(source, { limit: 7, onProgress: (p) => progress.push(p) });
    expect(rows).toHaveLength(7);
    expect(progress.at(-1)?.rows).toBe(7);
    const ac = new AbortController();
    const seen: number[] = [];
    const run = async () => {
      for await (const row of source.load({ signal: ac.signal })) {
        seen.push(row.source.position);
        if (seen.length === 3) ac.abort();
      }
    };
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(err)).toBe(true);
    expect(seen).toEqual([0, 1, 2]);
  });
});

describe('resources', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;
  (existsSync('/proc/self/fd') ? it : it.skip)('stopping early (limit, describe, a consumer break) closes the file', async () => {
    const locators = [`jsonl:${NQ}`, 'jsonl:hh-rlhf/test-first-50-lines.jsonl.gz', 'csv:banking77/test-first-1000-lines.csv', 'text:gutenberg-alice/pg11-first-200-lines.txt'];
    const sources = await Promise.all(locators.map((l) => registry.resolve(l, box.ctx)));
    await collect(sources[0]!, { limit: 1 }); // warm up lazy handles before counting
    const before = openFds();
    for (let i = 0; i < 8; i += 1) {
      for (const source of sources) {
        await collect(source, { limit: 2 });
        await source.describe({ sampleSize: 1 });
        for await (const _ of source.load()) break;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds() - before).toBeLessThanOrEqual(2);
  });
});

describe('row_id', () => {
  it('is sha256(identity, position, raw) truncated to 32 hex chars, stable across re-imports', async () => {
    const a = await collect(await registry.resolve(`jsonl:${NQ}`, box.ctx));
    const b = await collect(await registry.resolve(`jsonl:${join(box.root, NQ)}`, box.ctx));
    expect(b.map((r) => r.row_id)).toEqual(a.map((r) => r.row_id));
    const line0 = nqLines()[0] as string;
    const expected = createHash('sha256').update(`${join(box.root, NQ)}\0${0}\0${line0}`).digest('hex').slice(0, 32);
    expect(a[0]?.row_id).toBe(expected);
    expect(new Set(a.map((r) => r.row_id)).size).toBe(200);
  });

  it('differs for the same text at another position, and for the same file under another path', async () => {
    const line = nqLines()[0] as string;
    writeFileSync(join(box.root, 'twice.jsonl'), `${line}\n${line}\n`);
    const rows = await collect(await registry.resolve('jsonl:twice.jsonl', box.ctx));
    expect(rows[0]?.fields).toEqual(rows[1]?.fields);
    expect(rows[0]?.row_id).not.toBe(rows[1]?.row_id);
    copyFileSync(fixture(NQ), join(box.root, 'copy.jsonl'));
    const copy = await collect(await registry.resolve('jsonl:copy.jsonl', box.ctx));
    const orig = await collect(await registry.resolve(`jsonl:${NQ}`, box.ctx));
    expect(copy[0]?.row_id).not.toBe(orig[0]?.row_id);
    expect(copy[0]?.row_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is the same whether a CSV is read whole or with a limit', async () => {
    const full = await collect(await registry.resolve('csv:banking77/test-first-1000-lines.csv', box.ctx));
    const part = await collect(await registry.resolve('csv:banking77/test-first-1000-lines.csv', box.ctx), { limit: 600 });
    expect(part.map((r) => r.row_id)).toEqual(full.slice(0, 600).map((r) => r.row_id));
  });
});
