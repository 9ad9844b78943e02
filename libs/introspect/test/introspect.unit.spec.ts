import { describe, expect, it } from '@jest/globals';
import { AUTO_IMPORT_MIN_CONFIDENCE, introspect, type IntrospectInput } from '../src/index.js';
import {
  BANKING77_HEAD,
  BANKING77_SPREAD,
  CASTLE_SOLUTIONS,
  GUTENBERG_BODY,
  GUTENBERG_HEAD,
  HH_RLHF,
  NQ_OPEN,
  OASST_MESSAGES,
  SENTIMENT_IMDB,
  SENTIMENT_YELP,
  SMS_SPAM,
  SQUAD_V2,
  SROIE,
  UNER_EWT,
  WIKITEXT,
  WNUT17,
  type DatasetFixture,
} from '@distillery/testing-datasets';

const run = (f: DatasetFixture) => introspect({ columns: f.columns, rows: f.rows, format: f.format });

/** Renames columns (keys and header) — to show that content, not names, carries the decision. */
function renamed(f: DatasetFixture, names: Readonly<Record<string, string>>): IntrospectInput {
  const to = (c: string): string => names[c] ?? c;
  return {
    columns: f.columns.map(to),
    rows: f.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [to(k), v]))),
  };
}

describe('introspect: the right mapper, confidently, on every clean dataset', () => {
  const cases: Array<[DatasetFixture, string, Record<string, string>]> = [
    [SENTIMENT_IMDB, 'label_to_classification', { text: 'column_1', label: 'column_2' }],
    [SENTIMENT_YELP, 'label_to_classification', { text: 'column_1', label: 'column_2' }],
    [BANKING77_HEAD, 'label_to_classification', { text: 'text', label: 'category' }],
    [BANKING77_SPREAD, 'label_to_classification', { text: 'text', label: 'category' }],
    [SMS_SPAM, 'label_to_classification', { text: 'v2', label: 'v1' }],
    [WNUT17, 'bio_to_spans', { tokens: 'tokens', tags: 'tags' }],
    [UNER_EWT, 'bio_to_spans', { tokens: 'tokens', tags: 'tags' }],
    [NQ_OPEN, 'qa_pair_passthrough', { question: 'question', answer: 'answer' }],
    [OASST_MESSAGES, 'chat_messages_passthrough', { messages: 'messages' }],
    [HH_RLHF, 'preference_pair', { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }],
    [SQUAD_V2, 'rag_passthrough', { question: 'question', context: 'context', answer: 'answers', is_impossible: 'is_impossible' }],
    [SROIE, 'kv_to_structured', { text: 'words', fields: 'entities' }],
    [GUTENBERG_HEAD, 'text_only', { text: 'text' }],
    [GUTENBERG_BODY, 'text_only', { text: 'text' }],
    [WIKITEXT, 'text_only', { text: 'text' }],
  ];

  it.each(cases.map(([f, m, fm]) => [f.name, m, f, fm] as const))('%s → %s', (_name, mapperId, fixture, fieldMap) => {
    const r = run(fixture);
    expect(r.proposed?.mapper_id).toBe(mapperId);
    expect(r.proposed?.field_map).toEqual(fieldMap);
    expect(r.proposed?.confidence).toBeGreaterThanOrEqual(AUTO_IMPORT_MIN_CONFIDENCE);
    expect(r.auto_ok).toBe(true);
    // calibrated, not lucky: the runner-up is clearly behind
    const runnerUp = r.hypotheses[1]?.confidence ?? 0;
    expect((r.proposed?.confidence ?? 0) - runnerUp).toBeGreaterThanOrEqual(0.08);
    expect(r.proposed?.rationale).toContain(mapperId);
  });

  it('reports each mapper with its task profile', () => {
    const profiles = Object.fromEntries(cases.map(([f]) => [run(f).proposed?.mapper_id, run(f).proposed?.task_profile]));
    expect(profiles).toEqual({
      label_to_classification: 'classification',
      bio_to_spans: 'structured_extraction',
      qa_pair_passthrough: 'qa',
      chat_messages_passthrough: 'chat_sft',
      preference_pair: 'dpo',
      rag_passthrough: 'rag_qa',
      kv_to_structured: 'structured_extraction',
      text_only: 'language_modeling',
    });
  });

  it('ranks hypotheses best first, all within 0..1', () => {
    for (const [f] of cases) {
      const cs = run(f).hypotheses.map((h) => h.confidence);
      expect([...cs].sort((a, b) => b - a)).toEqual(cs);
      for (const c of cs) expect(c >= 0 && c <= 1).toBe(true);
    }
  });

  it('returns one signature per column, in column order, and echoes the format', () => {
    const r = run(SROIE);
    expect(r.columns.map((c) => c.name)).toEqual(SROIE.columns);
    expect(r.columns.find((c) => c.name === 'words')?.kind).toBe('string_list');
    expect(r.format).toBe('jsonl');
    expect(r.sample_size).toBe(20);
  });
});

describe('introspect: content matters more than names', () => {
  it('still finds sentence + 0/1 when the columns carry misleading names', () => {
    const r = introspect(renamed(SENTIMENT_IMDB, { column_1: 'label', column_2: 'text' }));
    expect(r.proposed?.mapper_id).toBe('label_to_classification');
    expect(r.proposed?.field_map).toEqual({ text: 'label', label: 'text' });
    expect(r.auto_ok).toBe(true);
  });

  it('finds banking77 with generic names, and names only add a little', () => {
    const generic = introspect(renamed(BANKING77_SPREAD, { text: 'column_1', category: 'column_2' }));
    const named = run(BANKING77_SPREAD);
    expect(generic.proposed?.mapper_id).toBe('label_to_classification');
    expect(generic.auto_ok).toBe(true);
    const gain = (named.proposed?.confidence ?? 0) - (generic.proposed?.confidence ?? 0);
    expect(gain).toBeGreaterThan(0);
    expect(gain).toBeLessThan(0.1);
  });

  it('does not take a free-text column for a label because of its name', () => {
    const r = introspect({
      columns: ['text', 'label'],
      rows: SENTIMENT_IMDB.rows.map((row, i) => ({ text: row['column_1'], label: SENTIMENT_YELP.rows[i]?.['column_1'] })),
    });
    expect(r.proposed?.mapper_id).not.toBe('label_to_classification');
    expect(r.auto_ok).toBe(false);
  });

  it('decodes JSON-encoded token / tag cells (lists in a CSV) and still proposes bio_to_spans', () => {
    const r = introspect({
      columns: ['tokens', 'tags'],
      rows: WNUT17.rows.map((row) => ({ tokens: JSON.stringify(row['tokens']), tags: JSON.stringify(row['tags']) })),
      format: 'csv',
    });
    expect(r.proposed?.mapper_id).toBe('bio_to_spans');
    expect(r.auto_ok).toBe(true);
  });

  it('does not depend on column order', () => {
    const a = run(SQUAD_V2);
    const b = introspect({ columns: [...SQUAD_V2.columns].reverse(), rows: SQUAD_V2.rows });
    expect(b.proposed).toEqual(a.proposed);
  });
});

describe('introspect: ambiguity stays below the auto-import threshold, with a warning', () => {
  const twoTexts = (a: string, b: string): IntrospectInput => ({
    columns: [a, b],
    rows: SENTIMENT_IMDB.rows.map((row, i) => ({ [a]: row['column_1'], [b]: SENTIMENT_YELP.rows[i]?.['column_1'] })),
  });

  it.each([
    ['a', 'b'],
    ['column_1', 'column_2'],
    ['review_1', 'review_2'],
    ['title', 'body'],
    ['text', 'notes'],
  ])('two free-text columns %s / %s, no label', (a, b) => {
    const r = introspect(twoTexts(a, b));
    expect(r.proposed).not.toBeNull();
    expect(r.proposed?.confidence).toBeLessThan(AUTO_IMPORT_MIN_CONFIDENCE);
    expect(r.auto_ok).toBe(false);
    expect(r.proposed?.warnings.length).toBeGreaterThan(0);
    expect(r.warnings.join(' ')).toMatch(/choose the mapper/);
  });

  it('names the rival column when two columns fit a role equally well', () => {
    const r = introspect(twoTexts('review_1', 'review_2'));
    expect(r.proposed?.warnings.join(' ')).toMatch(/ambiguous: 'review_2' fits role text/);
  });

  it('does not auto-import a messy survey CSV (free text among ten number columns)', () => {
    const r = run(CASTLE_SOLUTIONS);
    expect(r.auto_ok).toBe(false);
    expect(r.proposed?.warnings.join(' ')).toMatch(/not used by this mapper/);
  });

  it('does not guess chosen / rejected from generic names', () => {
    const r = introspect(renamed(HH_RLHF, { prompt: 'column_1', chosen: 'column_2', rejected: 'column_3' }));
    expect(r.auto_ok).toBe(false);
  });

  it('proposes nothing when nothing fits', () => {
    const r = introspect({ columns: ['x', 'y'], rows: [{ x: 1.5, y: 2.25 }, { x: 3.75, y: 0.5 }, { x: 9.5, y: 1.125 }] });
    expect(r.hypotheses).toEqual([]);
    expect(r.proposed).toBeNull();
    expect(r.auto_ok).toBe(false);
    expect(r.warnings).toContain('no mapper fits this sample');
  });

  it('handles an empty sample', () => {
    const r = introspect({ columns: ['text'], rows: [] });
    expect(r.proposed).toBeNull();
    expect(r.warnings).toContain('the sample is empty');
  });

  it('trusts a tiny sample less', () => {
    const full = run(NQ_OPEN);
    const tiny = introspect({ columns: NQ_OPEN.columns, rows: NQ_OPEN.rows.slice(0, 3) });
    expect(tiny.proposed?.mapper_id).toBe('qa_pair_passthrough');
    expect(tiny.proposed?.confidence).toBeLessThan(full.proposed?.confidence ?? 0);
    expect(tiny.warnings.join(' ')).toMatch(/only 3 sample rows/);
  });
});

describe('introspect: warnings that travel with a good proposal', () => {
  it('warns that a single label value suggests a sorted file', () => {
    expect(run(BANKING77_HEAD).proposed?.warnings.join(' ')).toMatch(/only one label value \("card_arrival"\)/);
    expect(run(BANKING77_SPREAD).proposed?.warnings.join(' ')).not.toMatch(/only one label value/);
  });

  it('warns about blank lines in plain text', () => {
    expect(run(GUTENBERG_HEAD).proposed?.warnings).toContain('8 of 20 sampled rows are blank (rejected as empty_text)');
  });

  it('warns about unanswerable SQuAD v2 questions', () => {
    expect(run(SQUAD_V2).proposed?.warnings.join(' ')).toMatch(/10 sampled rows have no answer/);
  });

  it('proposes preference_pair for original HH-RLHF rows (no prompt column) and says how the prompt is found', () => {
    const r = introspect({ columns: ['chosen', 'rejected'], rows: HH_RLHF.rows.map((x) => ({ chosen: `${x['prompt']} ${x['chosen']}`, rejected: `${x['prompt']} ${x['rejected']}` })) });
    expect(r.proposed?.mapper_id).toBe('preference_pair');
    expect(r.auto_ok).toBe(true);
    expect(r.proposed?.warnings.join(' ')).toMatch(/shared prefix/);
  });

  it('flags chat roles that need aliases', () => {
    const rows = OASST_MESSAGES.rows.map((r) => ({
      messages: (r['messages'] as Array<{ role: string; content: string }>).map((m) => ({ ...m, role: m.role === 'user' ? 'prompter' : m.role })),
    }));
    const r = introspect({ columns: ['messages'], rows });
    expect(r.proposed?.mapper_id).toBe('chat_messages_passthrough');
    expect(r.proposed?.warnings.join(' ')).toMatch(/prompter.*role_aliases/);
  });

  it('warns when tokens and tags differ in length and lowers the confidence', () => {
    const rows = WNUT17.rows.map((r, i) => (i % 2 === 0 ? { ...r, tags: (r['tags'] as string[]).slice(1) } : r));
    const r = introspect({ columns: ['tokens', 'tags'], rows });
    expect(r.proposed?.mapper_id).toBe('bio_to_spans');
    expect(r.proposed?.warnings.join(' ')).toMatch(/differ in length in 10 of 20/);
    expect(r.proposed?.confidence).toBeLessThan(run(WNUT17).proposed?.confidence ?? 0);
  });

  it('caps a top hypothesis whose runner-up is too close, keeping the order', () => {
    // questions with a few repeated city answers: classification (4 classes) or QA? Too close to call.
    const cities = ['Paris', 'London', 'Rome', 'Berlin'];
    const rows = Array.from({ length: 12 }, (_, i) => ({ question: `which city is the capital of the country with code ${i}?`, answer: cities[i % 4] }));
    const r = introspect({ columns: ['question', 'answer'], rows });
    expect(r.hypotheses.slice(0, 2).map((h) => h.mapper_id).sort()).toEqual(['label_to_classification', 'qa_pair_passthrough']);
    expect(r.proposed?.confidence).toBe(AUTO_IMPORT_MIN_CONFIDENCE - 0.01);
    expect(r.auto_ok).toBe(false);
    expect(r.proposed?.warnings.join(' ')).toMatch(/runner-up (label_to_classification|qa_pair_passthrough) is within 0.05/);
    const cs = r.hypotheses.map((h) => h.confidence);
    expect([...cs].sort((a, b) => b - a)).toEqual(cs);
  });
});
