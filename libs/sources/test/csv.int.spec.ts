import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSourceRegistry, type SourceRow } from '../src/index.js';
import { collect, collectWithWarnings, fixture, type Sandbox, sandbox } from './support/fixtures.js';

// Expected counts and positions below were established with Python's csv module on the fixture bytes (see each
// fixture folder's SOURCE.md), independently of this lib.

const registry = createSourceRegistry();
let box: Sandbox;
beforeAll(() => {
  box = sandbox();
});
afterAll(() => box.cleanup());

const load = async (locator: string) => collectWithWarnings(await registry.resolve(locator, box.ctx));
const text = (row: SourceRow | undefined, field: string) => String(row?.fields[field]);

describe('csv: banking77 (CRLF, quoted fields, LF inside cells)', () => {
  it('reads every record, including the multi-line ones, with the header as field names', async () => {
    const { rows, warnings } = await load('csv:banking77/test-first-1000-lines.csv');
    expect(rows).toHaveLength(996);
    expect(warnings).toEqual([]);
    expect(rows[0]?.fields).toEqual({ text: 'How do I locate my card?', category: 'card_arrival' });
    expect(text(rows[559], 'text')).toBe('\nWhere can I get my PIN unblocked?');
    expect(text(rows[976], 'text')).toBe('\n\nWhat businesses accept this card?');
    expect(rows.filter((r) => text(r, 'text').includes('\n'))).toHaveLength(2);
    // CRLF terminators never leak into values
    expect(rows.some((r) => Object.values(r.fields).some((v) => String(v).includes('\r')))).toBe(false);
    expect(rows.map((r) => r.source.position)).toEqual(rows.map((_, i) => i));
    expect(rows.every((r) => r.warnings === undefined && r.parse_error === undefined)).toBe(true);
  });

  it('describes the columns, a sample and the exact row count of a file read to the end', async () => {
    const d = await (await registry.resolve('csv:banking77/test-first-1000-lines.csv', box.ctx)).describe({ sampleSize: 5 });
    expect(d.format).toBe('csv');
    expect(d.columns).toEqual(['text', 'category']);
    expect(d.sample).toHaveLength(5);
    expect(d.approx_rows).toBe(996);
    expect(d.bytes).toBe(readFileSync(fixture('banking77/test-first-1000-lines.csv')).length);
    expect(d.resolved).toBe(join(box.root, 'banking77/test-first-1000-lines.csv'));
  });
});

describe('csv: sms-spam (unnamed header cells, ragged spill, non-UTF-8, bare CR in a cell)', () => {
  it('names blank header cells column_<n>, keeps spilled cells, and decodes with the guessed encoding', async () => {
    const { rows, warnings } = await load('csv:sms-spam/spam-first-300-lines.csv');
    expect(rows).toHaveLength(299);
    expect(Object.keys(rows[0]?.fields ?? {})).toEqual(['v1', 'v2', 'column_3', 'column_4', 'column_5']);
    expect(warnings.some((w) => w.startsWith('decoded as windows-1252'))).toBe(true);
    expect(rows.every((r) => r.warnings?.includes('decoded as windows-1252'))).toBe(true);
    // record 97: the Kaggle export split the message at commas into the unnamed columns; backslash quotes stay text
    expect(rows[95]?.fields).toEqual({
      v1: 'spam',
      v2: 'Your free ringtone is waiting to be collected. Simply text the password \\MIX\\" to 85069 to verify. Get Usher and Britney. FML',
      column_3: ' PO Box 5249',
      column_4: ' MK17 92H. 450Ppw 16"',
      column_5: '',
    });
    expect(text(rows[281], 'column_5')).toBe(' just Keep-in-touch\\" gdeve.."');
    // record 100: a bare CR inside the quoted text is cell content, not a row break
    expect(text(rows[98], 'v2')).toMatch(/prob for u\?\\"\rham"$/);
    // the legacy byte pair E5 A3 reads as "å£" in windows-1252 (mojibake, but never a crash or a lost row)
    expect(text(rows[5], 'v2')).toContain('å£1.50');
    expect(new Set(rows.map((r) => r.fields['v1']))).toEqual(new Set(['ham', 'spam']));
  });

  it('uses an explicit encoding without guessing', async () => {
    const { rows, warnings } = await load('csv:sms-spam/spam-first-300-lines.csv?encoding=windows-1252');
    expect(rows).toHaveLength(299);
    expect(warnings).toEqual([]);
    expect(rows[0]?.warnings).toBeUndefined();
    expect(text(rows[5], 'v2')).toContain('å£1.50');
    await expect(registry.resolve('csv:sms-spam/spam-first-300-lines.csv?encoding=klingon-8', box.ctx)).rejects.toThrow(/unknown encoding "klingon-8"/);
  });
});

describe('csv: FiveThirtyEight files', () => {
  it('BarackObama: not valid UTF-8 → decoded as windows-1252 with a warning; bare CRs inside quoted tweets kept', async () => {
    const { rows, warnings } = await load('csv:fivethirtyeight/BarackObama-first-100-lines.csv');
    expect(rows).toHaveLength(99);
    expect(warnings).toEqual([expect.stringMatching(/^decoded as windows-1252: the first 64 KiB are not valid UTF-8 .*chardet as ISO-8859-1/)]);
    expect(rows.filter((r) => text(r, 'text').includes('\r')).map((r) => r.source.position)).toEqual([44, 75, 85]);
    expect(text(rows[7], 'text')).toContain('Coding is important äóñ and fun');
    expect(Object.keys(rows[0]?.fields ?? {})).toEqual(['created_at', 'text', 'url', 'replies', 'retweets', 'favorites', 'user']);
    expect(rows.every((r) => r.fields['user'] === 'BarackObama')).toBe(true);
  });

  it('castle-solutions: LF inside quoted free text, valid UTF-8 without warnings', async () => {
    const { rows, warnings } = await load('csv:fivethirtyeight/castle-solutions-first-150-records.csv');
    expect(rows).toHaveLength(150);
    expect(warnings).toEqual([]);
    const why = 'Why did you choose your troop deployment?';
    expect(rows.filter((r) => text(r, why).includes('\n'))).toHaveLength(13);
    expect(rows[0]?.fields['Castle 1']).toBe('100');
    expect(text(rows[1], why)).toMatch(/^I need to win at least 4 castles/);
    expect(rows.every((r) => r.warnings === undefined)).toBe(true);
  });

  it('StarWars: 2-row header read as data with a warning; blank header cells named by position; legacy bytes decoded', async () => {
    const { rows, warnings } = await load('csv:fivethirtyeight/StarWars-first-52-lines.csv');
    expect(rows).toHaveLength(51);
    const cols = Object.keys(rows[0]?.fields ?? {});
    expect(cols).toHaveLength(38);
    expect(cols.filter((c) => /^column_\d+$/.test(c))).toHaveLength(23);
    expect(cols[4]).toBe('column_5');
    expect(cols).toContain('Do you consider yourself to be a fan of the Expanded Universe?Œæ');
    expect(warnings.some((w) => w.startsWith('decoded as windows-1252'))).toBe(true);
    expect(warnings.some((w) => w.includes('second header row'))).toBe(true);
    expect(rows[0]?.fields['column_5']).toBe('Star Wars: Episode II  Attack of the Clones');
    expect(rows[0]?.warnings).toContain('looks like a second header row (2-row header?); kept as data');
    expect(rows[1]?.fields['RespondentID']).toBe('3292879998');
    expect(rows[1]?.warnings).toEqual(['decoded as windows-1252']);
  });

  it('StarWars second header row as the header: duplicate names become name_2, name_3…', async () => {
    const lines = readFileSync(fixture('fivethirtyeight/StarWars-first-52-lines.csv'));
    writeFileSync(join(box.root, 'starwars-row2-header.csv'), lines.subarray(lines.indexOf(0x0a) + 1));
    const { rows } = await load('csv:starwars-row2-header.csv');
    expect(rows).toHaveLength(50);
    const cols = Object.keys(rows[0]?.fields ?? {});
    expect(cols.slice(0, 5)).toEqual(['column_1', 'Response', 'Response_2', 'Star Wars: Episode I  The Phantom Menace', 'Star Wars: Episode II  Attack of the Clones']);
    expect(cols).toContain('Star Wars: Episode I  The Phantom Menace_2');
    expect(cols).toContain('Response_9');
    expect(new Set(cols).size).toBe(38);
    expect(rows[0]?.fields['column_1']).toBe('3292879998');
  });

  it('pollster-ratings: BOM stripped from the first header name, CRLF handled, odd header names kept', async () => {
    const { rows, warnings } = await load('csv:fivethirtyeight/pollster-ratings-first-60-lines.csv');
    expect(rows).toHaveLength(59);
    expect(warnings).toEqual([]);
    const cols = Object.keys(rows[0]?.fields ?? {});
    expect(cols[0]).toBe('Pollster');
    expect(cols).toContain('Predictive    Plus-Minus');
    expect(cols).toContain('# of Polls');
    expect(rows[0]?.fields['Pollster']).toBe('Monmouth University');
    expect(rows[0]?.fields[cols[22] as string]).toBe('3/13/20');
  });
});

describe('tsv: UCI imdb sentences (stray quotes, no header)', () => {
  it('does not treat quotes as quoting by default, so no lines merge', async () => {
    const { rows } = await load('tsv:uci-sentiment/imdb_labelled-first-400-lines.txt?header=false&columns=text,label');
    expect(rows).toHaveLength(400);
    expect(text(rows[19], 'text')).toMatch(/^" The structure of this film/);
    expect(new Set(rows.map((r) => r.fields['label']))).toEqual(new Set(['0', '1']));
  });

  it('with quote=" the same file merges lines (the pandas pitfall the default avoids)', async () => {
    const { rows } = await load('tsv:uci-sentiment/imdb_labelled-first-400-lines.txt?header=false&columns=text,label&quote="');
    expect(rows.length).toBeLessThan(400);
  });
});

describe('csv: ragged rows, duplicate names, unparseable records, mixed encodings', () => {
  it('extra cells are named column_<n>, missing cells are absent with a warning', async () => {
    writeFileSync(join(box.root, 'ragged.csv'), 'a,a,,b\n1,2,3,4,5\n6,7\n8,9,10,11\n');
    const rows = await collect(await registry.resolve('csv:ragged.csv', box.ctx));
    expect(rows.map((r) => r.fields)).toEqual([
      { a: '1', a_2: '2', column_3: '3', b: '4', column_5: '5' },
      { a: '6', a_2: '7' },
      { a: '8', a_2: '9', column_3: '10', b: '11' },
    ]);
    expect(rows[0]?.warnings).toEqual(['more cells than the header (5 of 4); extra cells named column_<n>']);
    expect(rows[1]?.warnings).toEqual(['fewer cells than the header (2 of 4); missing cells are left out']);
    expect(rows[2]?.warnings).toBeUndefined();
  });

  it('a CRLF header with LF rows (mixed endings) still yields one row per record', async () => {
    writeFileSync(join(box.root, 'mixed.csv'), 'text,label\r\ngood film,pos\nbad film,neg\r\nfine,pos\n"two\nlines",neg\n');
    const rows = await collect(await registry.resolve('csv:mixed.csv', box.ctx));
    expect(rows.map((r) => r.fields)).toEqual([
      { text: 'good film', label: 'pos' },
      { text: 'bad film', label: 'neg' },
      { text: 'fine', label: 'pos' },
      { text: 'two\nlines', label: 'neg' },
    ]);
  });

  it('header=false with columns names the cells; delimiter option', async () => {
    writeFileSync(join(box.root, 'semi.csv'), 'x;1\ny;2\n');
    const rows = await collect(await registry.resolve('csv:semi.csv?header=false&columns=name,n&delimiter=;', box.ctx));
    expect(rows.map((r) => r.fields)).toEqual([
      { name: 'x', n: '1' },
      { name: 'y', n: '2' },
    ]);
  });

  it('a record the parser rejects is a sentinel row, never dropped', async () => {
    writeFileSync(join(box.root, 'unclosed.csv'), 'a,b\n1,2\n3,"unterminated\n4,5\n');
    const rows = await collect(await registry.resolve('csv:unclosed.csv', box.ctx));
    expect(rows).toHaveLength(2);
    expect(rows[0]?.fields).toEqual({ a: '1', b: '2' });
    expect(rows[1]?.parse_error).toMatch(/^CSV_QUOTE_NOT_CLOSED/);
    expect(rows[1]?.raw_text).toBe('3,"unterminated\n4,5');
    expect(rows[1]?.fields).toEqual({});
    expect(rows[1]?.source.position).toBe(1);
  });

  it('a UTF-8 file with invalid bytes after the first 64 KiB decodes with U+FFFD and a warning', async () => {
    const utf8 = readFileSync(fixture('banking77/test-first-1000-lines.csv'));
    expect(utf8.length).toBeGreaterThan(64 * 1024);
    const spamLines = readFileSync(fixture('sms-spam/spam-first-300-lines.csv')).toString('latin1').split('\r\n');
    const legacy = Buffer.from(`"${spamLines[6]?.split('"')[1]}",spam\r\n`, 'latin1'); // message with the E5 A3 bytes
    writeFileSync(join(box.root, 'mixed.csv'), Buffer.concat([utf8, legacy]));
    const { rows, warnings } = await load('csv:mixed.csv');
    expect(rows).toHaveLength(997);
    expect(warnings).toEqual([expect.stringContaining('not valid UTF-8 were replaced with U+FFFD')]);
    const last = rows[996];
    expect(text(last, 'text')).toContain('\uFFFD');
    expect(last?.warnings).toEqual(['contains bytes that are not valid UTF-8 (replaced with U+FFFD)']);
    expect(rows[0]?.warnings).toBeUndefined();
    expect(text(rows[0], 'text')).toBe('How do I locate my card?');
  });
});
