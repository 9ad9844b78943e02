import { describe, expect, it } from '@jest/globals';
import {
  MAPPING_WARNINGS,
  REJECTION_REASONS,
  REJECTION_REASON_CODES,
  createMapperRegistry,
  dryRun,
  isRejectionReason,
  renderRejectionReasonsDoc,
  type FieldMap,
  type MapOptions,
  type Mapper,
} from '../src/index.js';
import { HH_RLHF, OASST_MESSAGES, SQUAD_V2, WNUT17 } from '@distillery/testing-datasets';
import { sentinelRow, sourceRow } from './rows.js';

const registry = createMapperRegistry();
const get = (id: string): Mapper => registry.get(id) as Mapper;

interface Case {
  readonly name: string;
  readonly mapper: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly fieldMap: FieldMap;
  readonly options?: MapOptions;
  readonly reason: string;
  readonly detail?: RegExp;
}

const CLS = { text: 'text', label: 'label' };
const BIO = { tokens: 'tokens', tags: 'tags' };
const QA = { question: 'question', answer: 'answer' };
const RAG = { question: 'question', context: 'context', answer: 'answer', is_impossible: 'is_impossible' };
const DPO = { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' };
const CHAT = { messages: 'messages' };
const KV = { text: 'text', fields: 'fields' };
const squad = SQUAD_V2.rows[0] as Record<string, unknown>;
const hh = HH_RLHF.rows[0] as Record<string, unknown>;
const wnut = WNUT17.rows[0] as { tokens: string[]; tags: string[] };
const oasst = OASST_MESSAGES.rows[0] as { messages: Array<{ role: string; content: string }> };

const CASES: readonly Case[] = [
  // missing_field: unmapped role, absent key
  { name: 'role not in the field map', mapper: 'label_to_classification', fields: { text: 'hi', label: 'a' }, fieldMap: { text: 'text' }, reason: 'missing_field', detail: /no column for role 'label'/ },
  { name: 'column absent from a JSON row', mapper: 'qa_pair_passthrough', fields: { question: 'who?' }, fieldMap: QA, reason: 'missing_field', detail: /'answer' \(role 'answer'\) is absent/ },
  // invalid_type
  { name: 'object as text', mapper: 'label_to_classification', fields: { text: { a: 1 }, label: 'x' }, fieldMap: CLS, reason: 'invalid_type' },
  { name: 'list as label', mapper: 'label_to_classification', fields: { text: 'hi', label: ['a', 'b'] }, fieldMap: CLS, reason: 'invalid_type' },
  { name: 'tokens not a list', mapper: 'bio_to_spans', fields: { tokens: 'New York', tags: ['B-LOC', 'I-LOC'] }, fieldMap: BIO, reason: 'invalid_type' },
  { name: 'numeric tags without tag_names', mapper: 'bio_to_spans', fields: { tokens: ['a'], tags: [0] }, fieldMap: BIO, reason: 'invalid_type', detail: /tag_names/ },
  { name: 'messages not a list', mapper: 'chat_messages_passthrough', fields: { messages: 'hello' }, fieldMap: CHAT, reason: 'invalid_type' },
  { name: 'fields not an object', mapper: 'kv_to_structured', fields: { text: 'TOTAL 3', fields: ['3'] }, fieldMap: KV, reason: 'invalid_type' },
  { name: 'nested field value', mapper: 'kv_to_structured', fields: { text: 'TOTAL 3', fields: { total: { amount: 3 } } }, fieldMap: KV, reason: 'invalid_type', detail: /field 'total'/ },
  { name: 'boolean answer', mapper: 'qa_pair_passthrough', fields: { question: 'who?', answer: true }, fieldMap: QA, reason: 'invalid_type' },
  { name: 'is_impossible not a flag', mapper: 'rag_passthrough', fields: { ...squad, answer: 'France', is_impossible: 'maybe' }, fieldMap: RAG, reason: 'invalid_type' },
  // missing_text / empty_text
  { name: 'null text', mapper: 'label_to_classification', fields: { text: null, label: 'a' }, fieldMap: CLS, reason: 'missing_text' },
  { name: 'null context', mapper: 'rag_passthrough', fields: { question: 'q?', context: null, answer: 'a' }, fieldMap: RAG, reason: 'missing_text' },
  { name: 'blank text', mapper: 'text_only', fields: { text: ' \t ' }, fieldMap: { text: 'text' }, reason: 'empty_text' },
  { name: 'empty token list', mapper: 'bio_to_spans', fields: { tokens: [], tags: [] }, fieldMap: BIO, reason: 'empty_text' },
  { name: 'blank rejected response (HH quirk)', mapper: 'preference_pair', fields: { ...hh, rejected: '' }, fieldMap: DPO, reason: 'empty_text' },
  { name: 'empty word list', mapper: 'kv_to_structured', fields: { text: [], fields: { total: '1' } }, fieldMap: KV, reason: 'empty_text' },
  // labels
  { name: 'null label', mapper: 'label_to_classification', fields: { text: 'hi', label: null }, fieldMap: CLS, reason: 'missing_label' },
  { name: 'blank label (CSV)', mapper: 'label_to_classification', fields: { text: 'hi', label: '  ' }, fieldMap: CLS, reason: 'missing_label' },
  { name: 'null tags', mapper: 'bio_to_spans', fields: { tokens: ['a'], tags: null }, fieldMap: BIO, reason: 'missing_label' },
  { name: 'label outside allowed_labels', mapper: 'label_to_classification', fields: { text: 'hi', label: 2 }, fieldMap: CLS, options: { allowed_labels: ['0', '1'] }, reason: 'label_not_allowed' },
  // answers
  { name: 'null answer', mapper: 'qa_pair_passthrough', fields: { question: 'who?', answer: null }, fieldMap: QA, reason: 'missing_answer' },
  { name: 'empty answer list', mapper: 'qa_pair_passthrough', fields: { question: 'who?', answer: [] }, fieldMap: QA, reason: 'missing_answer' },
  // BIO
  { name: 'tokens and tags differ in length', mapper: 'bio_to_spans', fields: { tokens: wnut.tokens, tags: wnut.tags.slice(1) }, fieldMap: BIO, reason: 'length_mismatch', detail: /27 tokens but 26 tags/ },
  { name: 'unknown tag scheme', mapper: 'bio_to_spans', fields: { tokens: ['New', 'York'], tags: ['LOC', 'LOC'] }, fieldMap: BIO, reason: 'invalid_bio' },
  { name: 'orphan I- in strict mode', mapper: 'bio_to_spans', fields: { tokens: ['in', 'York'], tags: ['O', 'I-LOC'] }, fieldMap: BIO, options: { bio_mode: 'strict' }, reason: 'invalid_bio', detail: /I-LOC' at token 1/ },
  { name: 'tag id outside tag_names', mapper: 'bio_to_spans', fields: { tokens: ['a'], tags: [7] }, fieldMap: BIO, options: { tag_names: ['O'] }, reason: 'invalid_bio' },
  // pairs and messages
  { name: 'chosen equals rejected', mapper: 'preference_pair', fields: { ...hh, rejected: `${String(hh['chosen'])}  ` }, fieldMap: DPO, reason: 'identical_pair' },
  { name: 'unknown role', mapper: 'chat_messages_passthrough', fields: { messages: [{ role: 'human', content: 'hi' }, { role: 'gpt', content: 'hello' }] }, fieldMap: CHAT, reason: 'invalid_messages', detail: /role 'human'/ },
  { name: 'blank content', mapper: 'chat_messages_passthrough', fields: { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: ' ' }] }, fieldMap: CHAT, reason: 'invalid_messages' },
  { name: 'no assistant turn', mapper: 'chat_messages_passthrough', fields: { messages: [oasst.messages[0]] }, fieldMap: CHAT, reason: 'invalid_messages', detail: /no assistant turn/ },
  { name: 'no messages', mapper: 'chat_messages_passthrough', fields: { messages: [] }, fieldMap: CHAT, reason: 'invalid_messages' },
  // grounded QA
  { name: 'answer not in context (required)', mapper: 'rag_passthrough', fields: { ...squad, answer: 'Belgium' }, fieldMap: RAG, options: { require_answer_in_context: true }, reason: 'answer_not_in_context' },
  { name: 'unanswerable (rejected on request)', mapper: 'rag_passthrough', fields: { ...squad, answer: [], is_impossible: true }, fieldMap: RAG, options: { unanswerable: 'reject' }, reason: 'unanswerable' },
  // kv
  { name: 'all fields blank', mapper: 'kv_to_structured', fields: { text: 'TOTAL 3', fields: { total: '', date: null } }, fieldMap: KV, reason: 'empty_fields' },
  { name: 'null fields', mapper: 'kv_to_structured', fields: { text: 'TOTAL 3', fields: null }, fieldMap: KV, reason: 'empty_fields' },
  // too_long, for every mapper family
  { name: 'text longer than max_chars', mapper: 'label_to_classification', fields: { text: 'x'.repeat(11), label: 'a' }, fieldMap: CLS, options: { max_chars: 10 }, reason: 'too_long', detail: /11 characters > max_chars 10/ },
  { name: 'conversation longer than max_chars', mapper: 'chat_messages_passthrough', fields: oasst, fieldMap: CHAT, options: { max_chars: 100 }, reason: 'too_long' },
  { name: 'context longer than max_chars', mapper: 'rag_passthrough', fields: { ...squad, answer: 'France' }, fieldMap: RAG, options: { max_chars: 100 }, reason: 'too_long' },
];

describe('rejection reasons', () => {
  it.each(CASES.map((c) => [c.reason, c.name, c] as const))('%s: %s', (_r, _n, c) => {
    const result = get(c.mapper).map(sourceRow(c.fields, 3), c.fieldMap, c.options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.row.reason).toBe(c.reason);
    expect(result.row.row_id).toBe('row-3');
    expect(result.row.detail.length).toBeGreaterThan(0);
    if (c.detail) expect(result.row.detail).toMatch(c.detail);
  });

  it('rejects sentinel rows as parse_error in every built-in, keeping the parser message', () => {
    for (const m of registry.list()) {
      const r = m.map(sentinelRow(9), {});
      expect(r.ok).toBe(false);
      expect(!r.ok && [r.row.reason, r.row.detail, r.row.row_id]).toEqual(['parse_error', 'Unexpected token } in JSON at position 14', 'row-9']);
    }
  });

  it('has a test case for every reason code (mapper_error: registry tests)', () => {
    const covered = new Set([...CASES.map((c) => c.reason), 'parse_error', 'mapper_error']);
    expect(REJECTION_REASON_CODES.filter((c) => !covered.has(c))).toEqual([]);
    for (const c of CASES) expect(isRejectionReason(c.reason)).toBe(true);
  });

  it('documents every code and warning', () => {
    const doc = renderRejectionReasonsDoc();
    for (const code of REJECTION_REASON_CODES) expect(doc).toContain(`| \`${code}\` | ${REJECTION_REASONS[code]} |`);
    for (const w of Object.keys(MAPPING_WARNINGS)) expect(doc).toContain(`\`${w}\``);
    expect(isRejectionReason('toString')).toBe(false);
  });

  it('keeps the documented alternatives as warnings, not rejections, by default', () => {
    const notInContext = get('rag_passthrough').map(sourceRow({ ...squad, answer: 'Belgium' }), RAG);
    expect(notInContext.ok && notInContext.row.record).toMatchObject({ answer: 'Belgium', answerable: true });
    expect(notInContext.ok && notInContext.row.record).not.toHaveProperty('answer_start');
    expect(notInContext.warnings).toEqual(['answer_not_in_context']);

    const orphan = get('bio_to_spans').map(sourceRow({ tokens: ['in', 'New', 'York'], tags: ['O', 'I-LOC', 'I-LOC'] }), BIO);
    expect(orphan.ok && orphan.row.record['spans']).toEqual([{ type: 'LOC', start: 3, end: 11, text: 'New York', token_start: 1, token_end: 3 }]);
    expect(orphan.warnings).toEqual(['bio_repaired']);

    const wrongStart = get('rag_passthrough').map(sourceRow({ ...squad, answer: [{ text: 'France', answer_start: 3 }] }), RAG);
    expect(wrongStart.ok && wrongStart.row.record['answer_start']).toBe(159);
    expect(wrongStart.warnings).toEqual(['answer_start_corrected']);
  });

  it('gives the same verdict for the same row (pure)', () => {
    const c = CASES[0] as Case;
    const a = get(c.mapper).map(sourceRow(c.fields), c.fieldMap);
    const b = get(c.mapper).map(sourceRow(c.fields), c.fieldMap);
    expect(a).toEqual(b);
  });

  it('counts each reason in a dry run over all the cases', () => {
    let n = 0;
    for (const c of CASES) {
      const report = dryRun([sourceRow(c.fields, n++)], get(c.mapper), c.fieldMap, { mapOptions: c.options ?? {} });
      expect(report.rejection_counts).toEqual({ [c.reason]: 1 });
    }
  });
});
