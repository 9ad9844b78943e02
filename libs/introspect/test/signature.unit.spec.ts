import { describe, expect, it } from '@jest/globals';
import { signatureOf } from '../src/index.js';
import { OASST_MESSAGES, SENTIMENT_IMDB, SMS_SPAM, SQUAD_V2, SROIE, WNUT17 } from '@distillery/testing-datasets';

const column = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, name: string): unknown[] => rows.map((r) => r[name]);

describe('signatureOf: kinds', () => {
  it('reads "0"/"1" strings from a headerless TSV as categorical, with numeric stats and the value set', () => {
    const s = signatureOf(column(SENTIMENT_IMDB.rows, 'column_2'));
    expect(s.kind).toBe('categorical');
    expect(s.categories).toEqual(['0', '1']);
    expect(s.numeric).toEqual({ min: 0, max: 1, integer: true, from_strings: true });
    expect(s.distinct).toBe(2);
  });

  it('reads review sentences as text with length and word statistics', () => {
    const s = signatureOf(column(SENTIMENT_IMDB.rows, 'column_1'));
    expect(s.kind).toBe('text');
    expect(s.mean_words).toBeGreaterThan(5);
    expect(s.max_length).toBeGreaterThanOrEqual(s.mean_length);
    expect(s.distinct_ratio).toBe(1);
    expect(s.examples).toHaveLength(3);
  });

  it('reads ham/spam as categorical and the sparse unnamed spill columns by their non-null share', () => {
    expect(signatureOf(column(SMS_SPAM.rows, 'v1'))).toMatchObject({ kind: 'categorical', categories: ['ham', 'spam'] });
    const spill = signatureOf(column(SMS_SPAM.rows, 'column_3'));
    expect(spill.non_null).toBe(1);
    expect(spill.non_null_share).toBeCloseTo(1 / 21, 5);
    expect(signatureOf(column(SMS_SPAM.rows, 'column_5')).kind).toBe('empty');
  });

  it('tells token lists from BIO tag lists', () => {
    expect(signatureOf(column(WNUT17.rows, 'tokens')).kind).toBe('token_list');
    const tags = signatureOf(column(WNUT17.rows, 'tags'));
    expect(tags.kind).toBe('bio_tag_list');
    expect(tags.tag_set).toEqual(expect.arrayContaining(['O', 'B-location', 'I-location']));
    expect(tags.list?.mean_items).toBeGreaterThan(2);
  });

  it('reads IOBES / BILOU tags as BIO tag lists too, but not lists of ordinary words', () => {
    expect(signatureOf([['S-PER', 'O', 'B-LOC', 'E-LOC'], ['U-ORG', 'O']]).kind).toBe('bio_tag_list');
    expect(signatureOf([['Oslo', 'is', 'big'], ['I', 'am', 'here']]).kind).toBe('token_list');
  });

  it('reads OCR word lists (items with spaces) and answer lists as string lists', () => {
    expect(signatureOf(column(SROIE.rows, 'words')).kind).toBe('string_list');
    expect(signatureOf([['14 December 1972 UTC', 'December 1972'], ['Bobby Scott', 'Bob Russell']]).kind).toBe('string_list');
  });

  it('recognises chat messages and reports their roles', () => {
    const s = signatureOf(column(OASST_MESSAGES.rows, 'messages'));
    expect(s.kind).toBe('chat_messages');
    expect(s.message_roles).toEqual(['assistant', 'user']);
  });

  it('recognises entity lists in the usual spellings', () => {
    const s = signatureOf([
      [{ start: 0, end: 5, label: 'PER' }],
      [{ begin: 3, end: 9, type: 'LOC' }, { start_offset: 1, end_offset: 2, entity: 'ORG' }],
    ]);
    expect(s.kind).toBe('entity_list');
    expect(s.entity_labels).toEqual(['LOC', 'ORG', 'PER']);
  });

  it('reads objects with key statistics: SROIE entities are flat string fields, image sizes only numbers', () => {
    const entities = signatureOf(column(SROIE.rows, 'entities'));
    expect(entities.kind).toBe('object');
    expect(entities.object?.keys.slice(0, 4).sort()).toEqual(['address', 'company', 'date', 'total']);
    expect(entities.object?.string_share).toBeGreaterThan(0.5);
    expect(entities.numbers_only).toBe(false);
    expect(signatureOf(column(SROIE.rows, 'image_size')).numbers_only).toBe(true);
    expect(signatureOf(column(SROIE.rows, 'bboxes'))).toMatchObject({ kind: 'object', numbers_only: true });
  });

  it('flags identifier columns', () => {
    expect(signatureOf(column(SQUAD_V2.rows, 'id'))).toMatchObject({ kind: 'text', id_like: true });
    expect(signatureOf(column(SENTIMENT_IMDB.rows, 'column_1')).id_like).toBe(false);
  });

  it('reads booleans, continuous numbers, empty and mixed columns', () => {
    expect(signatureOf(column(SQUAD_V2.rows, 'is_impossible')).kind).toBe('boolean');
    expect(signatureOf(['true', 'False', 'TRUE']).kind).toBe('boolean');
    const n = signatureOf(['3.5', 2.25, '-1e2', 10.125]);
    expect(n.kind).toBe('numeric');
    expect(n.numeric).toMatchObject({ min: -100, max: 10.125, integer: false });
    expect(signatureOf([null, '', '   ', undefined]).kind).toBe('empty');
    expect(signatureOf([]).kind).toBe('empty');
    expect(signatureOf(['a sentence here', 3, ['x'], { a: 1 }]).kind).toBe('mixed');
  });

  it('keeps integer columns with a wide range numeric, and few repeating small integers categorical', () => {
    expect(signatureOf([0, 100, 37, 12, 55, 0, 3, 91]).kind).toBe('numeric');
    expect(signatureOf([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 5, 5]).kind).toBe('categorical');
  });

  it('treats blank strings as null and reports the non-null share', () => {
    const s = signatureOf(['a b c d', '', '  ', 'e f g h']);
    expect(s.non_null).toBe(2);
    expect(s.non_null_share).toBe(0.5);
  });

  it('decodes JSON-encoded lists in CSV cells and says so', () => {
    const s = signatureOf(['["B-PER","I-PER","O"]', '["O","B-LOC"]']);
    expect(s.kind).toBe('bio_tag_list');
    expect(s.json_encoded).toBe(true);
    expect(signatureOf(["['a', 'b']", "['c']"]).json_encoded).toBe(false);
  });

  it('measures how question-like text is', () => {
    expect(signatureOf(column(SQUAD_V2.rows, 'question')).question_share).toBe(1);
    expect(signatureOf(column(SENTIMENT_IMDB.rows, 'column_1')).question_share).toBeLessThan(0.2);
  });

  it('cuts long examples', () => {
    const long = 'word '.repeat(100);
    const [example] = signatureOf([long]).examples;
    expect(typeof example === 'string' && example.length).toBe(120);
  });
});
