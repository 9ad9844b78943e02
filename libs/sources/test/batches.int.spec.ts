import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSourceRegistry, type LoadProgress, type SourceRow, UnsupportedFormatError } from '../src/index.js';
import { collect, type Sandbox, sandbox } from './support/fixtures.js';

// loadBatches(): the same rows as load(), in the readers' batches, with the same limit, progress and errors.

const registry = createSourceRegistry();
let box: Sandbox;
beforeAll(() => {
  box = sandbox();
});
afterAll(() => box.cleanup());

async function batches(locator: string, opts: Parameters<NonNullable<Awaited<ReturnType<typeof registry.resolve>>['loadBatches']>>[0] = {}) {
  const source = await registry.resolve(locator, box.ctx);
  const out: (readonly SourceRow[])[] = [];
  for await (const b of source.loadBatches?.(opts) ?? []) out.push(b);
  return out;
}

describe('loadBatches', () => {
  const locators = [
    'csv:banking77/test-first-1000-lines.csv',
    'csv:sms-spam/spam-first-300-lines.csv',
    'jsonl:nq-open/NQ-open.dev-first-200-lines.jsonl',
    'csv:fivethirtyeight/castle-solutions-first-150-records.csv',
    'text:gutenberg-alice/pg11-first-200-lines.txt',
  ];

  it.each(locators)('%s: the rows of load(), in order', async (locator) => {
    const rows = await collect(await registry.resolve(locator, box.ctx));
    const got = (await batches(locator)).flat();
    expect(got).toEqual(rows);
  });

  it('limit cuts the last batch; progress ends with the rows delivered', async () => {
    const progress: LoadProgress[] = [];
    const got = await batches('csv:banking77/test-first-1000-lines.csv', { limit: 123, onProgress: (p) => progress.push(p) });
    expect(got.flat()).toHaveLength(123);
    expect(got.flat().map((r) => r.source.position)).toEqual([...Array(123).keys()]);
    expect(progress.at(-1)?.rows).toBe(123);
    expect(await batches('csv:banking77/test-first-1000-lines.csv', { limit: 0 })).toEqual([]);
  });

  it('an aborted signal stops the read', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(batches('jsonl:nq-open/NQ-open.dev-first-200-lines.jsonl', { signal: ac.signal })).rejects.toThrow();
  });

  it('a CSV record over the size limit: its sentinel row comes first, then the read stops', async () => {
    writeFileSync(join(box.root, 'runaway.csv'), `a,b\n1,2\n3,"${'x'.repeat(17 * 1024 * 1024)}`);
    const source = await registry.resolve('csv:runaway.csv', box.ctx);
    const it = source.loadBatches?.()[Symbol.asyncIterator]();
    const rows: SourceRow[] = [];
    await expect(
      (async () => {
        for (;;) {
          const next = await it?.next();
          if (!next || next.done) return;
          rows.push(...next.value);
        }
      })(),
    ).rejects.toBeInstanceOf(UnsupportedFormatError);
    expect(rows.map((r) => r.fields)).toEqual([{ a: '1', b: '2' }, {}]);
    expect(rows[1]?.parse_error).toMatch(/^CSV_MAX_RECORD_SIZE: Max Record Size: .* of 16777216 at line 3$/);
  }, 60_000);
});
