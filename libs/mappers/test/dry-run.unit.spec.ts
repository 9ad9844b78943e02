import { describe, expect, it } from '@jest/globals';
import type { SourceRow } from '@distillery/contracts';
import { BUILTIN_MAPPERS, REJECTION_REASON_CODES, createMapperRegistry, dryRun, type FieldMap, type MapOptions, type Mapper } from '../src/index.js';
import {
  GUTENBERG_HEAD,
  HH_RLHF,
  NQ_OPEN,
  OASST_MESSAGES,
  SENTIMENT_IMDB,
  SQUAD_V2,
  SROIE,
  WNUT17,
  type DatasetFixture,
} from '@distillery/testing-datasets';
import { sentinelRow, sourceRow, sourceRows } from './rows.js';

const registry = createMapperRegistry();
const get = (id: string): Mapper => registry.get(id) as Mapper;

describe('dryRun on real rows', () => {
  it('counts read / accepted / rejected and groups rejections by reason', () => {
    const rows = [...sourceRows(GUTENBERG_HEAD), sentinelRow(20)];
    const report = dryRun(rows, get('text_only'), { text: 'text' }, { sampleSize: 5, examplesPerReason: 2 });
    expect([report.read, report.accepted, report.rejected]).toEqual([21, 12, 9]);
    expect(report.rejection_counts).toEqual({ empty_text: 8, parse_error: 1 });
    expect(report.rejections.map((g) => [g.reason, g.count, g.examples.length, g.dropped])).toEqual([
      ['empty_text', 8, 2, false],
      ['parse_error', 1, 1, false],
    ]);
    expect(report.rejections[0]?.meaning).toMatch(/empty or whitespace-only/);
    expect(report.accepted_sample).toHaveLength(5);
    expect(report.accepted_sample[0]?.record['text']).toBe("Project Gutenberg's Alice's Adventures in Wonderland, by Lewis Carroll");
    expect(report.mapper_id).toBe('text_only');
    expect(report.task_profile).toBe('language_modeling');
  });

  it('dropping a reason hides its examples, never its count', () => {
    const rows = sourceRows(GUTENBERG_HEAD);
    const plain = dryRun(rows, get('text_only'), { text: 'text' });
    const dropped = dryRun(rows, get('text_only'), { text: 'text' }, { dropReasons: ['empty_text'] });
    expect(dropped.rejection_counts).toEqual(plain.rejection_counts);
    expect([dropped.read, dropped.accepted, dropped.rejected]).toEqual([plain.read, plain.accepted, plain.rejected]);
    expect(plain.rejections[0]?.examples.length).toBe(5);
    expect(dropped.rejections[0]).toMatchObject({ reason: 'empty_text', count: 8, examples: [], dropped: true });
    expect(dropped.dropped_reasons).toEqual(['empty_text']);
    expect(dropped.accepted_sample).toEqual(plain.accepted_sample);
  });

  it('reports HH-RLHF quirks and warning counts', () => {
    const rows = sourceRows({ ...HH_RLHF, rows: [...HH_RLHF.rows, { ...HH_RLHF.rows[0], rejected: HH_RLHF.rows[0]?.['chosen'] }, { ...HH_RLHF.rows[1], chosen: '' }] });
    const report = dryRun(rows, get('preference_pair'), { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' });
    expect(report.rejection_counts).toEqual({ identical_pair: 1, empty_text: 1 });
    expect(report.accepted).toBe(20);
    const squad = dryRun(sourceRows(SQUAD_V2), get('rag_passthrough'), { question: 'question', context: 'context', answer: 'answers' });
    expect(squad.warning_counts).toEqual({});
    const repaired = dryRun([sourceRow({ tokens: ['a', 'b'], tags: ['I-X', 'O'] })], get('bio_to_spans'), { tokens: 'tokens', tags: 'tags' });
    expect(repaired.warning_counts).toEqual({ bio_repaired: 1 });
  });

  it('handles no rows and a zero sample', () => {
    const empty = dryRun([], get('text_only'), { text: 'text' });
    expect([empty.read, empty.accepted, empty.rejected, empty.rejections.length]).toEqual([0, 0, 0, 0]);
    const none = dryRun(sourceRows(WNUT17), get('bio_to_spans'), { tokens: 'tokens', tags: 'tags' }, { sampleSize: 0 });
    expect(none.accepted_sample).toEqual([]);
    expect(none.accepted).toBe(20);
  });

  it('accepts any iterable (a generator), reading it once', () => {
    function* gen(): Generator<SourceRow> {
      for (let i = 0; i < 3; i++) yield sourceRow({ text: `line ${i}` }, i);
    }
    expect(dryRun(gen(), get('text_only'), { text: 'text' }).accepted).toBe(3);
  });
});

// ---- property-style: random rows, random field maps, every mapper ------------------------------------------------

/** mulberry32: a small seeded PRNG, so failures replay. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['O', 'B-PER', 'I-PER', 'I-LOC', 'user', 'assistant', 'system', 'human', '', ' ', 'spam', '0', '1', 'Paris', 'What?', '\n\nHuman: hi\n\nAssistant:', '{"a":1}', '["B-X","O"]', 'x'.repeat(300)];

function randomValue(rnd: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const r = rnd();
  if (r < 0.12) return null;
  if (r < 0.14) return undefined;
  if (r < 0.35) return pick(WORDS);
  if (r < 0.45) return Math.floor(rnd() * 5) - 1;
  if (r < 0.5) return rnd() < 0.5;
  if (r < 0.55) return Number.NaN;
  if (depth >= 3) return pick(WORDS);
  if (r < 0.8) return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(rnd, depth + 1));
  if (r < 0.9) return { role: pick(WORDS), content: randomValue(rnd, depth + 1) };
  return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [pick(['text', 'answer_start', 'total', `k${i}`]), randomValue(rnd, depth + 1)]));
}

const COLUMNS = ['a', 'b', 'c', 'd'];

function randomRows(rnd: () => number, n: number): SourceRow[] {
  return Array.from({ length: n }, (_, i) => {
    if (rnd() < 0.05) return sentinelRow(i);
    const fields: Record<string, unknown> = {};
    for (const c of COLUMNS) if (rnd() < 0.85) fields[c] = randomValue(rnd);
    return sourceRow(fields, i);
  });
}

function randomFieldMap(rnd: () => number, m: Mapper): FieldMap {
  const fm: Record<string, string> = {};
  for (const role of m.roles) if (rnd() < 0.92) fm[role.name] = COLUMNS[Math.floor(rnd() * (COLUMNS.length + 1))] ?? 'missing_column';
  return fm;
}

function randomOptions(rnd: () => number): MapOptions {
  return {
    ...(rnd() < 0.3 ? { max_chars: Math.floor(rnd() * 400) } : {}),
    ...(rnd() < 0.3 ? { allowed_labels: ['0', '1', 'spam'] } : {}),
    ...(rnd() < 0.3 ? { bio_mode: 'strict' as const } : {}),
    ...(rnd() < 0.3 ? { tag_names: ['O', 'B-PER', 'I-PER'] } : {}),
    ...(rnd() < 0.3 ? { unanswerable: 'reject' as const } : {}),
    ...(rnd() < 0.3 ? { require_answer_in_context: true } : {}),
    ...(rnd() < 0.3 ? { role_aliases: { human: 'user' as const } } : {}),
  };
}

describe('dryRun invariants over random rows (seeded)', () => {
  const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

  it.each(BUILTIN_MAPPERS.map((m) => [m.id, m] as const))('%s: accepted + rejected = read, every row once, known reasons only', (_id, mapper) => {
    for (const seed of SEEDS) {
      const rnd = prng(seed);
      const rows = randomRows(rnd, 1 + Math.floor(rnd() * 60));
      const fieldMap = randomFieldMap(rnd, mapper);
      const drop = rnd() < 0.5 ? [REJECTION_REASON_CODES[Math.floor(rnd() * REJECTION_REASON_CODES.length)] as string] : [];
      const options = { mapOptions: randomOptions(rnd), dropReasons: drop, sampleSize: 3, examplesPerReason: 2 };
      const report = dryRun(rows, mapper, fieldMap, options);
      expect(report.read).toBe(rows.length);
      expect(report.accepted + report.rejected).toBe(report.read);
      expect(Object.values(report.rejection_counts).reduce((a, b) => a + b, 0)).toBe(report.rejected);
      expect(report.rejections.reduce((a, g) => a + g.count, 0)).toBe(report.rejected);
      expect(report.accepted_sample.length).toBe(Math.min(3, report.accepted));
      for (const g of report.rejections) {
        expect(REJECTION_REASON_CODES).toContain(g.reason);
        expect(g.reason).not.toBe('mapper_error'); // built-ins never throw
        expect(g.examples.length).toBe(drop.includes(g.reason) ? 0 : Math.min(2, g.count));
      }
      // the same rows again give the same report (pure)
      expect(dryRun(rows, mapper, fieldMap, options)).toEqual(report);
    }
  });

  it('sentinel rows always reject as parse_error, whatever the mapper and field map', () => {
    const rnd = prng(7);
    for (const m of BUILTIN_MAPPERS) {
      const rows = Array.from({ length: 10 }, (_, i) => sentinelRow(i));
      const report = dryRun(rows, m, randomFieldMap(rnd, m));
      expect(report.rejection_counts).toEqual({ parse_error: 10 });
    }
  });

  const REAL: Array<[string, DatasetFixture, FieldMap]> = [
    ['label_to_classification', SENTIMENT_IMDB, { text: 'column_1', label: 'column_2' }],
    ['bio_to_spans', WNUT17, { tokens: 'tokens', tags: 'tags' }],
    ['qa_pair_passthrough', NQ_OPEN, { question: 'question', answer: 'answer' }],
    ['chat_messages_passthrough', OASST_MESSAGES, { messages: 'messages' }],
    ['preference_pair', HH_RLHF, { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }],
    ['rag_passthrough', SQUAD_V2, { question: 'question', context: 'context', answer: 'answers', is_impossible: 'is_impossible' }],
    ['kv_to_structured', SROIE, { text: 'words', fields: 'entities' }],
    ['text_only', GUTENBERG_HEAD, { text: 'text' }],
  ];

  it.each(REAL)('%s: real rows with random corruption keep the invariant and exercise both outcomes', (id, fixture, fieldMap) => {
    let accepted = 0;
    let rejected = 0;
    for (const seed of SEEDS) {
      const rnd = prng(seed);
      const rows = sourceRows(fixture).map((r) => {
        if (rnd() < 0.05) return sentinelRow(r.source.position);
        const fields = Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, rnd() < 0.15 ? randomValue(rnd) : v]));
        return { ...r, fields };
      });
      const report = dryRun(rows, get(id), fieldMap, { mapOptions: rnd() < 0.3 ? randomOptions(rnd) : {} });
      expect(report.accepted + report.rejected).toBe(rows.length);
      expect(Object.values(report.rejection_counts).reduce((a, b) => a + b, 0)).toBe(report.rejected);
      for (const r of report.accepted_sample) expect(r.task_profile).toBe(get(id).task_profile);
      accepted += report.accepted;
      rejected += report.rejected;
    }
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
