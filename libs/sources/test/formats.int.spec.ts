import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSourceRegistry, LocatorError, UnsupportedFormatError } from '../src/index.js';
import { collect, collectWithWarnings, fixture, type Sandbox, sandbox } from './support/fixtures.js';
import { bankingParquet, bankingRecords } from './support/parquet.js';

const registry = createSourceRegistry();
let box: Sandbox;
const banking = bankingRecords(fixture('banking77/test-first-1000-lines.csv'));
beforeAll(() => {
  box = sandbox();
  writeFileSync(join(box.root, 'banking.parquet'), bankingParquet(banking, 100));
});
afterAll(() => box.cleanup());

describe('parquet', () => {
  it('reads every row group, with columns from the schema and JSON-safe values', async () => {
    expect(banking).toHaveLength(996);
    const rows = await collect(await registry.resolve('parquet:banking.parquet', box.ctx));
    expect(rows).toHaveLength(996);
    expect(rows.map((r) => r.fields['text'])).toEqual(banking.map((b) => b.text));
    expect(rows.map((r) => r.fields['label'])).toEqual(banking.map((b) => b.category));
    expect(rows[995]?.fields['id']).toBe(995 * 1_000_000_007); // INT64 → number when exact
    expect(rows[7]?.fields['note']).toBeNull();
    expect(rows[8]?.fields['note']).toBe('n8');
    expect(rows.map((r) => r.source.position)).toEqual([...Array(996).keys()]);
    expect(() => JSON.stringify(rows)).not.toThrow();
  });

  it('describes from the schema and the footer row count without reading every row group', async () => {
    const d = await (await registry.resolve('parquet:banking.parquet', box.ctx)).describe({ sampleSize: 20 });
    expect(d.format).toBe('parquet');
    expect(d.columns).toEqual(['text', 'label', 'id', 'note']);
    expect(d.sample).toHaveLength(20);
    expect(d.approx_rows).toBe(996);
    expect(d.bytes).toBe(readFileSync(join(box.root, 'banking.parquet')).length);
  });

  it('gives stable row ids and refuses a file that is not parquet', async () => {
    const a = await collect(await registry.resolve('parquet:banking.parquet', box.ctx), { limit: 150 });
    const b = await collect(await registry.resolve('parquet:banking.parquet', box.ctx), { limit: 150 });
    expect(a.map((r) => r.row_id)).toEqual(b.map((r) => r.row_id));
    const notParquet = await registry.resolve('parquet:banking77/test-first-1000-lines.csv', box.ctx);
    await expect(collect(notParquet)).rejects.toThrow(UnsupportedFormatError);
    await expect(collect(notParquet)).rejects.toThrow(/not a parquet file \(it does not start with the PAR1 magic bytes\)/);
  });
});

describe('json', () => {
  const SQUAD = 'squad/squad-v2.0-dev-first-article.json';
  const doc = JSON.parse(readFileSync(fixture(SQUAD), 'utf8')) as {
    data: { title: string; paragraphs: { context: string; qas: { question: string; id: string; is_impossible: boolean }[] }[] }[];
  };

  it('flattens SQuAD with records=data[].paragraphs[].qas[], each qa carrying its context and title', async () => {
    const rows = await collect(await registry.resolve(`json:${SQUAD}?records=data[].paragraphs[].qas[]`, box.ctx));
    const qas = doc.data[0]?.paragraphs.flatMap((p) => p.qas.map((qa) => ({ ...qa, context: p.context }))) ?? [];
    expect(rows).toHaveLength(208);
    expect(qas).toHaveLength(208);
    expect(rows.map((r) => r.fields['question'])).toEqual(qas.map((q) => q.question));
    expect(rows.map((r) => r.fields['context'])).toEqual(qas.map((q) => q.context));
    expect(rows.every((r) => r.fields['title'] === 'Normans')).toBe(true);
    expect(rows.filter((r) => r.fields['is_impossible'] === true)).toHaveLength(112);
    expect(Object.keys(rows[0]?.fields ?? {}).sort()).toEqual(['answers', 'context', 'id', 'is_impossible', 'question', 'title', 'version']);
    expect(rows[0]?.fields['version']).toBe('v2.0'); // root fields are parents too
    expect(rows[0]?.fields).not.toHaveProperty('qas');
    expect(rows[0]?.fields).not.toHaveProperty('paragraphs');
  });

  it('without records, takes the only top-level array and says so', async () => {
    const { rows, warnings } = await collectWithWarnings(await registry.resolve(`json:${SQUAD}`, box.ctx));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.fields['title']).toBe('Normans');
    expect(rows[0]?.fields['version']).toBe('v2.0');
    expect(warnings).toEqual(['records taken from the "data" array (pass ?records=<path> to choose, e.g. data[])']);
  });

  it('a path that matches nothing is a LocatorError; an unparseable document is one sentinel row', async () => {
    await expect(collect(await registry.resolve(`json:${SQUAD}?records=articles[]`, box.ctx))).rejects.toThrow(LocatorError);
    await expect(collect(await registry.resolve(`json:${SQUAD}?records=articles[]`, box.ctx))).rejects.toThrow(/matched nothing.*top-level keys: version, data/);
    writeFileSync(join(box.root, 'bad.json'), '[{"a": 1}, {"a": ');
    const rows = await collect(await registry.resolve('json:bad.json', box.ctx));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.parse_error).toMatch(/^not valid JSON/);
    expect(rows[0]?.raw_text).toBe('[{"a": 1}, {"a": ');
  });

  it('a top-level array of objects is one row each; collisions keep the ancestor field under <level>.<name>', async () => {
    writeFileSync(join(box.root, 'nested.json'), JSON.stringify({ items: [{ id: 'p', kids: [{ id: 'c1' }, { id: 'c2', x: 1 }] }] }));
    const rows = await collect(await registry.resolve('json:nested.json?records=items[].kids[]', box.ctx));
    expect(rows.map((r) => r.fields)).toEqual([
      { 'items.id': 'p', id: 'c1' },
      { 'items.id': 'p', id: 'c2', x: 1 },
    ]);
  });
});

describe('text', () => {
  const ALICE = 'gutenberg-alice/pg11-first-200-lines.txt';
  it('unit=line: one row per non-blank line, BOM and CRLF removed, blank lines counted in a warning', async () => {
    const { rows, warnings } = await collectWithWarnings(await registry.resolve(`text:${ALICE}`, box.ctx));
    expect(rows).toHaveLength(154);
    expect(rows[0]?.fields).toEqual({ text: "Project Gutenberg's Alice's Adventures in Wonderland, by Lewis Carroll" });
    expect(rows.some((r) => /[\r\uFEFF]/.test(String(r.fields['text'])))).toBe(false);
    expect(warnings).toEqual(['skipped 46 blank lines (unit=line yields one row per non-blank line)']);
  });

  it('unit=paragraph and unit=document', async () => {
    const paras = await collect(await registry.resolve(`text:${ALICE}?unit=paragraph`, box.ctx));
    expect(paras).toHaveLength(33);
    expect(String(paras[0]?.fields['text']).split('\n')[0]).toBe("Project Gutenberg's Alice's Adventures in Wonderland, by Lewis Carroll");
    const doc = await collect(await registry.resolve(`text:${ALICE}?unit=document`, box.ctx));
    expect(doc).toHaveLength(1);
    const text = String(doc[0]?.fields['text']);
    expect(text.split('\n')).toHaveLength(200);
    expect(text).not.toMatch(/[\r\uFEFF]/);
    await expect(registry.resolve(`text:${ALICE}?unit=sentence`, box.ctx)).rejects.toThrow(/unit=sentence .* must be one of line, paragraph, document/);
  });
});

describe('conll', () => {
  it('WNUT-17: sentences end at TAB-only and at empty lines; hashtag tokens are tokens, not comments', async () => {
    const path = 'wnut17/wnut17train-lines-48710-49016.conll';
    const { rows, warnings } = await collectWithWarnings(await registry.resolve(`conll:${path}`, box.ctx));
    const lines = readFileSync(fixture(path), 'utf8').split('\n').slice(0, -1);
    const tokenLines = lines.filter((l) => l.trim() !== '');
    expect(rows).toHaveLength(16);
    expect(rows.reduce((n, r) => n + (r.fields['tokens'] as string[]).length, 0)).toBe(tokenLines.length);
    expect(rows.every((r) => (r.fields['tokens'] as string[]).length === (r.fields['tags'] as string[]).length)).toBe(true);
    expect(rows.flatMap((r) => r.fields['tokens'] as string[]).filter((t) => t.startsWith('#'))).toHaveLength(6);
    expect(rows[0]?.fields['tokens']).toEqual(tokenLines.slice(0, (rows[0]?.fields['tokens'] as string[]).length).map((l) => l.split('\t')[0]));
    const tags = rows.flatMap((r) => r.fields['tags'] as string[]);
    expect(tags.every((t) => /^(O|[BI]-(person|location|group|corporation|product|creative-work))$/.test(t))).toBe(true);
    expect(tags.some((t) => t !== 'O')).toBe(true);
    expect(warnings).toEqual(['columns detected: token column 1, tag column 2 (override with ?token_col=&tag_col=)']);
  });

  it('UNER iob2: # comments skipped, # text kept, token index column detected', async () => {
    const { rows, warnings } = await collectWithWarnings(await registry.resolve('conll:uner-english-ewt/en_ewt-ud-dev-first-210-lines.iob2', box.ctx));
    expect(rows).toHaveLength(14);
    expect(rows.reduce((n, r) => n + (r.fields['tokens'] as string[]).length, 0)).toBe(166);
    const first = rows[0]?.fields ?? {};
    expect(first['text']).toBe('where can I get morcillas in tampa bay , I will like the argentinian type , but I will to try anothers please?');
    expect(first['sent_id']).toBe('answers-20070404104007AAY1Chs_ans-0001');
    expect((first['tokens'] as string[]).slice(0, 8)).toEqual(['where', 'can', 'I', 'get', 'morcillas', 'in', 'tampa', 'bay']);
    expect((first['tags'] as string[]).slice(5, 9)).toEqual(['O', 'B-LOC', 'I-LOC', 'O']);
    expect(warnings).toEqual(['columns detected: token column 2, tag column 3 (column 1 is a token index) (override with ?token_col=&tag_col=)']);
    const explicit = await collect(await registry.resolve('conll:uner-english-ewt/en_ewt-ud-dev-first-210-lines.iob2?token_col=2&tag_col=5', box.ctx));
    expect((explicit[0]?.fields['tags'] as string[]).slice(6, 8)).toEqual(['stephen', 'stephen']);
  });

  it('a token line with too few columns makes its sentence a sentinel row', async () => {
    writeFileSync(join(box.root, 'short.conll'), 'a\tO\nb\tB-x\n\nc\nd\tO\n\n');
    const rows = await collect(await registry.resolve('conll:short.conll?token_col=1&tag_col=2', box.ctx));
    expect(rows).toHaveLength(2);
    expect(rows[0]?.fields).toEqual({ tokens: ['a', 'b'], tags: ['O', 'B-x'] });
    expect(rows[1]?.parse_error).toBe('line 4: expected at least 2 columns, got 1');
    expect(rows[1]?.raw_text).toBe('c\nd\tO');
  });
});
