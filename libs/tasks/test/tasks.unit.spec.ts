/**
 * Task handlers and tokenization with a byte-level tokenizer (ids = UTF-8 bytes, so every boundary is visible) and a
 * ChatML template, on real rows (UCI sentiment, SQuAD-style RAG, OASST-style chat, HH-RLHF-style pairs).
 */
import { describe, expect, it } from '@jest/globals';
import { SENTIMENT_IMDB } from '@distillery/testing-datasets';
import { chatSegments, handlerFor, IGNORE_INDEX, tokenizeRendered, trainedTokens, UnsupportedTaskError, RowShapeError, type ChatMessage, type ChatTokenizer, type TokenizedExample, type TokenizedPair } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const EOS = '<|endoftext|>';
/** ChatML, as tokenizer_config.json templates of SmolLM2 / Qwen render it. */
const chatml = (messages: readonly ChatMessage[], o: { addGenerationPrompt: boolean }): string =>
  messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + (o.addGenerationPrompt ? '<|im_start|>assistant\n' : '');
const bytes: ChatTokenizer = {
  encode: (t) => [...enc.encode(t)],
  decode: (ids) => dec.decode(new Uint8Array(ids)),
  renderChat: chatml,
  eosTokenId: 0,
  eosToken: EOS,
};
const textOf = (ids: readonly number[]) => bytes.decode(ids);
const trained = (e: TokenizedExample) => textOf(e.input_ids.filter((_, i) => e.labels[i] !== IGNORE_INDEX));

describe('task handlers', () => {
  it('classification: the label is the only trained text, with the end-of-turn marker', () => {
    const r = SENTIMENT_IMDB.rows[0]!;
    const rendered = handlerFor('classification').render('r1', { text: String(r['column_1']), label: String(r['column_2']) }, { label_set: ['0', '1'] });
    const e = tokenizeRendered('r1', rendered, bytes, { max_seq_len: 1024 }) as TokenizedExample;
    expect(trained(e)).toBe('0<|im_end|>\n');
    expect(textOf(e.input_ids)).toContain('Answer with exactly one of: 0, 1.');
    expect(textOf(e.input_ids)).toContain('A very, very, very slow-moving');
    expect(e.labels.length).toBe(e.input_ids.length);
    expect(e.truncated).toBe(false);
  });

  it('chat: every assistant turn is trained, user turns and the template around them are not', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'What is a monad?' },
      { role: 'assistant', content: 'A way to chain computations.' },
      { role: 'user', content: 'Example?' },
      { role: 'assistant', content: 'Promise.then in JavaScript.' },
    ];
    const e = tokenizeRendered('c1', handlerFor('chat_sft').render('c1', { messages }, {}), bytes, { max_seq_len: 4096 }) as TokenizedExample;
    expect(trained(e)).toBe('A way to chain computations.<|im_end|>\nPromise.then in JavaScript.<|im_end|>\n');
    expect(textOf(e.input_ids)).toBe(chatml(messages, { addGenerationPrompt: false }));
  });

  it('RAG: the context and question are prompt; an unanswerable question teaches the refusal', () => {
    const ok = tokenizeRendered('q1', handlerFor('rag_qa').render('q1', { question: 'Where is Normandy?', context: 'Normandy is a region in France.', answer: 'France', answerable: true }, {}), bytes, { max_seq_len: 512 }) as TokenizedExample;
    expect(trained(ok)).toBe('France<|im_end|>\n');
    const no = tokenizeRendered('q2', handlerFor('rag_qa').render('q2', { question: 'Who?', context: 'Normandy is a region in France.', answer: '', answerable: false }, {}), bytes, { max_seq_len: 512 }) as TokenizedExample;
    expect(trained(no)).toMatch(/^The context does not answer this question\./);
  });

  it('language modeling trains every token and ends with the end-of-sequence token', () => {
    const e = tokenizeRendered('t1', handlerFor('language_modeling').render('t1', { text: 'Alice was beginning to get very tired.' }, {}), bytes, { max_seq_len: 512 }) as TokenizedExample;
    expect(trainedTokens(e)).toBe(e.input_ids.length);
    expect(textOf(e.input_ids)).toBe(`Alice was beginning to get very tired.${EOS}`);
  });

  it('alignment: one prompt, a chosen and a rejected sequence, each trained only on its answer', () => {
    const p = tokenizeRendered('p1', handlerFor('dpo').render('p1', { prompt: 'How do I boil an egg?', chosen: 'Simmer it for 9 minutes.', rejected: 'No idea.' }, {}), bytes, { max_seq_len: 512 }) as TokenizedPair;
    expect(trained(p.chosen)).toBe('Simmer it for 9 minutes.<|im_end|>\n');
    expect(trained(p.rejected)).toBe('No idea.<|im_end|>\n');
    const promptLen = p.chosen.labels.indexOf(p.chosen.input_ids.find((_, i) => p.chosen.labels[i] !== IGNORE_INDEX)!);
    expect(p.chosen.input_ids.slice(0, promptLen)).toEqual(p.rejected.input_ids.slice(0, promptLen));
  });

  it('structured extraction answers with JSON spans or fields', () => {
    const spans = handlerFor('structured_extraction').render('s1', { text: 'Alice met Bob in Paris', spans: [{ type: 'PER', text: 'Alice' }, { type: 'LOC', text: 'Paris' }] }, {});
    expect(trained(tokenizeRendered('s1', spans, bytes, { max_seq_len: 512 }) as TokenizedExample)).toBe('[{"type":"PER","text":"Alice"},{"type":"LOC","text":"Paris"}]<|im_end|>\n');
    const fields = handlerFor('structured_extraction').render('s2', { text: 'TOTAL 9.90 SHOP ABC', fields: { total: '9.90', company: 'ABC' } }, {});
    expect(trained(tokenizeRendered('s2', fields, bytes, { max_seq_len: 512 }) as TokenizedExample)).toBe('{"company":"ABC","total":"9.90"}<|im_end|>\n');
  });

  it('truncation keeps the answer and cuts the start of the prompt', () => {
    const long = 'word '.repeat(400);
    const e = tokenizeRendered('l1', handlerFor('classification').render('l1', { text: long, label: 'pos' }, {}), bytes, { max_seq_len: 64 }) as TokenizedExample;
    expect(e.input_ids).toHaveLength(64);
    expect(e.truncated).toBe(true);
    expect(e.original_length).toBeGreaterThan(2000);
    expect(trained(e)).toBe('pos<|im_end|>\n');
  });

  it('refuses what it cannot do, naming the row, the field or the engine', () => {
    expect(() => handlerFor('vision_language')).toThrow(UnsupportedTaskError);
    expect(() => handlerFor('audio_transcript')).toThrow(/not supported by the ort engine/);
    expect(() => handlerFor('classification').render('x9', { text: 'hi', label: null }, {})).toThrow(new RowShapeError('x9', 'classification', "field 'label' must be a string, got null"));
    expect(() => handlerFor('chat_sft').render('x8', { messages: [{ role: 'user', content: 'hi' }] }, {})).toThrow(/no assistant turn/);
    const unstable: ChatTokenizer = { ...bytes, renderChat: (m, o) => `${m.length}|${chatml(m, o)}` };
    expect(() => chatSegments('x7', [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], unstable)).toThrow(/does not render turn 1 as an extension/);
  });
});
