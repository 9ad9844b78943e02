import { describe, expect, it } from '@jest/globals';
import { recordText, setAtPath, TEXT_FIELD_PATTERNS, textFieldPatterns, textFields } from '../src/index.js';

describe('text fields per task profile', () => {
  it('qa: question, answer and each alias; recordText leaves aliases out', () => {
    const rec = { question: 'who sang i ran all the way home', answer: 'The Impalas', aliases: ['Impalas'] };
    expect(textFields(rec, TEXT_FIELD_PATTERNS.qa).map((f) => f.path)).toEqual(['question', 'answer', 'aliases[0]']);
    expect(recordText(rec, TEXT_FIELD_PATTERNS.qa)).toBe('who sang i ran all the way home\nThe Impalas');
  });

  it('chat_sft: every message content, nothing else', () => {
    const rec = { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 42 }] };
    expect(textFields(rec, TEXT_FIELD_PATTERNS.chat_sft).map((f) => [f.path, f.value])).toEqual([
      ['messages[0].content', 'Hi'],
      ['messages[1].content', 'Hello!'],
    ]);
  });

  it('structured_extraction: text and string field values, never tokens or spans', () => {
    const rec = { text: 'TOTAL 31.00', fields: { total: '31.00', items: ['x'] }, tokens: ['TOTAL', '31.00'], spans: [] };
    expect(textFields(rec, TEXT_FIELD_PATTERNS.structured_extraction).map((f) => f.path)).toEqual(['text', 'fields.total']);
  });

  it('profiles without a fixed shape: every top-level string except ids, labels and media references', () => {
    const rec = { source: 'Bonjour', target: 'Hello', id: 'x1', label: 'greeting', image_path: '/a.png', score: 3 };
    expect(textFields(rec, TEXT_FIELD_PATTERNS.seq2seq).map((f) => f.path)).toEqual(['source', 'target']);
  });

  it('overrides replace the default patterns of a profile', () => {
    expect(textFieldPatterns('classification', { classification: ['text', 'title'] })).toEqual(['text', 'title']);
    expect(textFieldPatterns('classification')).toEqual(['text']);
  });

  it('setAtPath copies only the branch it changes', () => {
    const rec = { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], meta: { k: 1 } };
    const out = setAtPath(rec, ['messages', 1, 'content'], 'B') as typeof rec;
    expect(out.messages[1]).toEqual({ role: 'assistant', content: 'B' });
    expect(out.messages[0]).toBe(rec.messages[0]);
    expect(out.meta).toBe(rec.meta);
    expect(rec.messages[1]?.content).toBe('b');
  });
});
