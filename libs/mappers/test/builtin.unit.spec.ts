import { describe, expect, it } from '@jest/globals';
import type { TransformedRow } from '@distillery/contracts';
import { BUILTIN_MAPPERS, createMapperRegistry, type FieldMap, type MapOptions, type MapResult, type Mapper, type Span } from '../src/index.js';
import {
  BANKING77_HEAD,
  GUTENBERG_HEAD,
  HH_RLHF,
  NQ_OPEN,
  OASST_MESSAGES,
  SENTIMENT_IMDB,
  SMS_SPAM,
  SQUAD_V2,
  SROIE,
  UNER_EWT,
  WIKITEXT,
  WNUT17,
  type DatasetFixture,
} from '@distillery/testing-datasets';
import { sourceRows } from './rows.js';

const registry = createMapperRegistry();
const mapper = (id: string): Mapper => {
  const m = registry.get(id);
  if (!m) throw new Error(`no mapper ${id}`);
  return m;
};

function mapAll(f: DatasetFixture, id: string, fieldMap: FieldMap, options?: MapOptions): MapResult[] {
  return sourceRows(f).map((r) => mapper(id).map(r, fieldMap, options));
}

function accepted(results: readonly MapResult[]): TransformedRow[] {
  return results.flatMap((r) => (r.ok ? [r.row] : []));
}

describe('label_to_classification on real rows', () => {
  it('maps headerless UCI sentences with "0"/"1" labels, trimming the text', () => {
    const out = accepted(mapAll(SENTIMENT_IMDB, 'label_to_classification', { text: 'column_1', label: 'column_2' }));
    expect(out).toHaveLength(20);
    expect(out[0]?.record).toEqual({ text: 'A very, very, very slow-moving, aimless movie about a distressed, drifting young man.', label: '0' });
    expect(new Set(out.map((r) => r.record['label']))).toEqual(new Set(['0', '1']));
    expect(out.every((r) => r.task_profile === 'classification')).toBe(true);
  });

  it('maps SMS spam (v2 → text, v1 → label) and BANKING77 intents', () => {
    const sms = accepted(mapAll(SMS_SPAM, 'label_to_classification', { text: 'v2', label: 'v1' }));
    expect(sms).toHaveLength(21);
    expect(sms[2]?.record['label']).toBe('spam');
    const bank = accepted(mapAll(BANKING77_HEAD, 'label_to_classification', { text: 'text', label: 'category' }));
    expect(bank[0]?.record).toEqual({ text: 'How do I locate my card?', label: 'card_arrival' });
  });

  it('normalises numeric and boolean labels to strings and keeps source lineage', () => {
    const rows = sourceRows({ ...SENTIMENT_IMDB, rows: [{ t: 'good', l: 1 }, { t: 'bad', l: 0 }, { t: 'meh', l: false }, { t: 'x', l: ' pos ' }] });
    const out = rows.map((r) => mapper('label_to_classification').map(r, { text: 't', label: 'l' }));
    expect(out.map((r) => (r.ok ? r.row.record['label'] : r.row.reason))).toEqual(['1', '0', 'false', 'pos']);
    expect(out[1]?.row.row_id).toBe(rows[1]?.row_id);
    expect(out[1]?.row.source).toEqual(rows[1]?.source);
  });

  it('keeps allowed labels and rejects others', () => {
    const out = mapAll(SENTIMENT_IMDB, 'label_to_classification', { text: 'column_1', label: 'column_2' }, { allowed_labels: ['1'] });
    expect(accepted(out).every((r) => r.record['label'] === '1')).toBe(true);
    const reasons = out.flatMap((r) => (r.ok ? [] : [r.row.reason]));
    expect(reasons).toEqual(Array(8).fill('label_not_allowed'));
    expect(accepted(out)).toHaveLength(12);
  });
});

describe('bio_to_spans on real rows', () => {
  const spansOf = (r: TransformedRow): Span[] => r.record['spans'] as Span[];

  it('turns WNUT-17 tags into typed spans with character and token offsets', () => {
    const [first] = accepted(mapAll(WNUT17, 'bio_to_spans', { tokens: 'tokens', tags: 'tags' }));
    expect(first?.record['text']).toBe(
      "@paulwalk It 's the view from where I 'm living for two weeks . Empire State Building = ESB . Pretty bad storm here last evening .",
    );
    const spans = first ? spansOf(first) : [];
    expect(spans.map((s) => [s.type, s.text, s.token_start, s.token_end])).toEqual([
      ['location', 'Empire State Building', 14, 17],
      ['location', 'ESB', 18, 19],
    ]);
    expect(spans[0]?.start).toBe((first?.record['text'] as string).indexOf('Empire'));
  });

  it('offsets always slice the span text out of the joined text, on every WNUT and UNER row', () => {
    for (const [f] of [[WNUT17], [UNER_EWT]] as const) {
      const out = accepted(mapAll(f, 'bio_to_spans', { tokens: 'tokens', tags: 'tags' }));
      expect(out).toHaveLength(20);
      for (const r of out) {
        const text = r.record['text'] as string;
        const tokens = r.record['tokens'] as string[];
        for (const s of spansOf(r)) {
          expect(text.slice(s.start, s.end)).toBe(s.text);
          expect(tokens.slice(s.token_start, s.token_end).join(' ')).toBe(s.text);
        }
      }
    }
  });

  it('finds the PER / LOC / ORG spans of UNER', () => {
    const out = accepted(mapAll(UNER_EWT, 'bio_to_spans', { tokens: 'tokens', tags: 'tags' }));
    expect(spansOf(out[0] as TransformedRow)).toEqual([{ type: 'LOC', start: 29, end: 38, text: 'tampa bay', token_start: 6, token_end: 8 }]);
    const types = new Set(out.flatMap((r) => spansOf(r).map((s) => s.type)));
    expect([...types].every((t) => ['PER', 'LOC', 'ORG'].includes(t))).toBe(true);
  });

  it('decodes integer tag ids with tag_names', () => {
    const [row] = sourceRows({ ...WNUT17, rows: [{ tokens: ['Ada', 'Lovelace', 'wrote'], tags: [1, 2, 0] }] });
    const r = mapper('bio_to_spans').map(row!, { tokens: 'tokens', tags: 'tags' }, { tag_names: ['O', 'B-PER', 'I-PER'] });
    expect(r.ok && r.row.record['spans']).toEqual([{ type: 'PER', start: 0, end: 12, text: 'Ada Lovelace', token_start: 0, token_end: 2 }]);
  });
});

describe('qa_pair_passthrough on real rows', () => {
  it('takes the first NQ-Open answer as the answer and the rest as aliases', () => {
    const out = accepted(mapAll(NQ_OPEN, 'qa_pair_passthrough', { question: 'question', answer: 'answer' }));
    expect(out).toHaveLength(20);
    expect(out[0]?.record).toEqual({
      question: 'when was the last time anyone was on the moon',
      answer: '14 December 1972 UTC',
      aliases: ['December 1972'],
    });
    expect(out[3]?.record).toEqual({ question: 'when did the eagles win last super bowl', answer: '2017' });
  });
});

describe('chat_messages_passthrough on real rows', () => {
  it('passes OpenAssistant conversations through as {role, content} turns', () => {
    const out = accepted(mapAll(OASST_MESSAGES, 'chat_messages_passthrough', { messages: 'messages' }));
    expect(out).toHaveLength(20);
    const first = OASST_MESSAGES.rows[0]?.['messages'];
    expect(out[0]?.record['messages']).toEqual(first);
  });

  it('maps source roles through role_aliases (OpenAssistant tree files say prompter)', () => {
    const rows = sourceRows({
      ...OASST_MESSAGES,
      rows: [{ messages: [{ role: 'prompter', content: 'Hi?' }, { role: 'assistant', content: 'Hello.' }] }],
    });
    const m = mapper('chat_messages_passthrough');
    expect(m.map(rows[0]!, { messages: 'messages' }).ok).toBe(false);
    const r = m.map(rows[0]!, { messages: 'messages' }, { role_aliases: { prompter: 'user' } });
    expect(r.ok && r.row.record['messages']).toEqual([
      { role: 'user', content: 'Hi?' },
      { role: 'assistant', content: 'Hello.' },
    ]);
  });
});

describe('preference_pair on real rows', () => {
  it('keeps HH-RLHF prompt / chosen / rejected verbatim', () => {
    const out = accepted(mapAll(HH_RLHF, 'preference_pair', { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }));
    expect(out).toHaveLength(20);
    const src = HH_RLHF.rows[0] as Record<string, unknown>;
    expect(out[0]?.record).toEqual({ prompt: src['prompt'], chosen: src['chosen'], rejected: src['rejected'] });
  });

  it('splits the prompt off original full transcripts (no prompt column)', () => {
    const original = { ...HH_RLHF, rows: HH_RLHF.rows.map((r) => ({ chosen: `${r['prompt']} ${r['chosen']}`, rejected: `${r['prompt']} ${r['rejected']}` })) };
    const results = mapAll(original, 'preference_pair', { chosen: 'chosen', rejected: 'rejected' });
    results.forEach((r, i) => {
      const src = HH_RLHF.rows[i] as Record<string, unknown>;
      expect(r.ok && r.row.record).toEqual({ prompt: src['prompt'], chosen: src['chosen'], rejected: src['rejected'] });
      expect(r.warnings).toEqual(['prompt_from_shared_prefix']);
    });
  });
});

describe('rag_passthrough on real rows', () => {
  const fm = { question: 'question', context: 'context', answer: 'answers', is_impossible: 'is_impossible' };

  it('maps answerable SQuAD v2 questions with a checked answer_start and aliases', () => {
    const out = accepted(mapAll(SQUAD_V2, 'rag_passthrough', fm));
    expect(out).toHaveLength(20);
    const answerable = out.filter((r) => r.record['answerable'] === true);
    expect(answerable).toHaveLength(10);
    for (const r of answerable) {
      const { context, answer, answer_start } = r.record as { context: string; answer: string; answer_start: number };
      expect(context.slice(answer_start, answer_start + answer.length)).toBe(answer);
    }
    expect(out[1]?.record['answer']).toBe('10th and 11th centuries');
    expect(out[1]?.record['aliases']).toEqual(['in the 10th and 11th centuries']);
  });

  it('keeps unanswerable questions as answerable=false by default, rejects them on request', () => {
    const keep = accepted(mapAll(SQUAD_V2, 'rag_passthrough', fm)).filter((r) => r.record['answerable'] === false);
    expect(keep).toHaveLength(10);
    expect(keep[0]?.record['answer']).toBe('');
    expect(keep[0]?.record).not.toHaveProperty('answer_start');
    const rejected = mapAll(SQUAD_V2, 'rag_passthrough', fm, { unanswerable: 'reject' }).filter((r) => !r.ok);
    expect(rejected.flatMap((r) => (r.ok ? [] : [r.row.reason]))).toEqual(Array(10).fill('unanswerable'));
  });

  it('reads SQuAD answers in the original [{text, answer_start}] spelling without the flag', () => {
    const original = { ...SQUAD_V2, rows: SQUAD_V2.rows.map((r) => {
      const a = r['answers'] as { text: string[]; answer_start: number[] };
      return { question: r['question'], context: r['context'], answers: a.text.map((text, i) => ({ text, answer_start: a.answer_start[i] })) };
    }) };
    const out = accepted(mapAll(original, 'rag_passthrough', { question: 'question', context: 'context', answer: 'answers' }));
    expect(out.filter((r) => r.record['answerable'] === true)).toHaveLength(10);
    expect(out[0]?.record['answer_start']).toBe(159);
  });
});

describe('kv_to_structured on real rows', () => {
  it('joins SROIE words with newlines and keeps the entities as string fields', () => {
    const out = accepted(mapAll(SROIE, 'kv_to_structured', { text: 'words', fields: 'entities' }));
    expect(out).toHaveLength(20);
    expect(out[0]?.record['fields']).toEqual({
      company: 'ABC HO TRADING',
      date: '09/01/2019',
      address: 'NO.2&4, JALAN HARMONI 3/2, TAMAN DESA HARMONI. 81100 JOHOR BAHRU JOHOR',
      total: '31.00',
    });
    expect((out[0]?.record['text'] as string).split('\n').slice(0, 2)).toEqual(['TAN CHAY YEE', 'ABC HO TRADING']);
  });

  it('drops null field values with a warning and stringifies numbers', () => {
    const [row] = sourceRows({ ...SROIE, rows: [{ text: 'TOTAL 9.00', fields: { total: 9, company: null, date: ' ' } }] });
    const r = mapper('kv_to_structured').map(row!, { text: 'text', fields: 'fields' });
    expect(r.ok && r.row.record).toEqual({ text: 'TOTAL 9.00', fields: { total: '9' } });
    expect(r.warnings).toEqual(['fields_dropped']);
  });
});

describe('text_only on real rows', () => {
  it('keeps lines verbatim and rejects blank ones as empty_text', () => {
    const g = mapAll(GUTENBERG_HEAD, 'text_only', { text: 'text' });
    expect(accepted(g)).toHaveLength(12);
    expect(g.flatMap((r) => (r.ok ? [] : [r.row.reason]))).toEqual(Array(8).fill('empty_text'));
    const w = accepted(mapAll(WIKITEXT, 'text_only', { text: 'text' }));
    expect(w[0]?.record).toEqual({ text: ' = Homarus gammarus = ' });
  });
});

describe('every built-in', () => {
  it('declares its id, task profile, roles and an output schema with a scoring mode', () => {
    const modes = Object.fromEntries(BUILTIN_MAPPERS.map((m) => [m.id, m.output_schema.scoring_mode]));
    expect(modes).toEqual({
      bio_to_spans: 'span_set',
      label_to_classification: 'label_likelihood',
      text_only: 'perplexity',
      qa_pair_passthrough: 'exact_match_f1',
      chat_messages_passthrough: 'response_similarity',
      preference_pair: 'preference_margin',
      rag_passthrough: 'grounded_exact_match_f1',
      kv_to_structured: 'field_match',
    });
    for (const m of BUILTIN_MAPPERS) {
      expect(m.roles.some((r) => r.required)).toBe(true);
      expect(Object.keys(m.output_schema.fields).length).toBeGreaterThan(0);
    }
  });

  it('writes records whose keys are the output schema fields', () => {
    const cases: Array<[DatasetFixture, string, FieldMap]> = [
      [SENTIMENT_IMDB, 'label_to_classification', { text: 'column_1', label: 'column_2' }],
      [WNUT17, 'bio_to_spans', { tokens: 'tokens', tags: 'tags' }],
      [NQ_OPEN, 'qa_pair_passthrough', { question: 'question', answer: 'answer' }],
      [OASST_MESSAGES, 'chat_messages_passthrough', { messages: 'messages' }],
      [HH_RLHF, 'preference_pair', { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }],
      [SQUAD_V2, 'rag_passthrough', { question: 'question', context: 'context', answer: 'answers', is_impossible: 'is_impossible' }],
      [SROIE, 'kv_to_structured', { text: 'words', fields: 'entities' }],
      [WIKITEXT, 'text_only', { text: 'text' }],
    ];
    for (const [f, id, fm] of cases) {
      const schema = Object.keys(mapper(id).output_schema.fields);
      for (const r of accepted(mapAll(f, id, fm))) {
        for (const k of Object.keys(r.record)) expect(schema).toContain(k);
        expect(r.task_profile).toBe(mapper(id).task_profile);
      }
    }
  });
});
