import { describe, expect, it } from '@jest/globals';
import { applyEdits, detectPii, maskFinding, OffsetMap, rewriteText, scanRecord, type PiiPolicy } from '../src/index.js';
import { OASST, SQUAD_NORMANS, WNUT_TOKENS } from './fixtures.js';

const REDACT: PiiPolicy = { action: 'redact' };
const MASK: PiiPolicy = { action: 'mask' };

describe('redact / mask / keep on one string', () => {
  const text = 'Mail jane.doe@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111.';

  it('redact replaces each finding with its kind tag', () => {
    expect(rewriteText(text, detectPii(text), REDACT).text).toBe('Mail [EMAIL] or call [PHONE]; card [CREDIT_CARD].');
  });

  it('mask keeps the shape: first letters and TLD of emails, last digits of phones and cards', () => {
    expect(rewriteText(text, detectPii(text), MASK).text).toBe('Mail j***@e***.com or call +** ** **** **58; card **** **** **** 1111.');
  });

  it('keep leaves the text, per-kind overrides win over the default', () => {
    expect(rewriteText(text, detectPii(text), { action: 'keep' }).text).toBe(text);
    const mixed = rewriteText(text, detectPii(text), { action: 'redact', per_kind: { email: 'keep', credit_card: 'mask' } });
    expect(mixed.text).toBe('Mail jane.doe@example.com or call [PHONE]; card **** **** **** 1111.');
  });

  it('block reports the blocking findings and rewrites nothing for them', () => {
    const r = rewriteText(text, detectPii(text), { action: 'keep', per_kind: { credit_card: 'block' } });
    expect(r.blocked.map((f) => f.kind)).toEqual(['credit_card']);
    expect(r.text).toBe(text);
  });

  it.each([
    ['iban', 'GB82 WEST 1234 5698 7654 32', 'GB** **** **** **** **54 32'],
    ['us_ssn', '536-22-1234', '***-**-1234'],
    ['uk_nhs_number', '943 476 5919', '*** *** **19'],
    ['ip_address', '203.0.113.42', '203.*.*.*'],
    ['api_key', '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', 'ghp_************************************'],
    ['secret', 'kJ8x2Pq9vLmN4rT7wYz3bC5d', '************************'],
  ] as const)('mask of %s', (kind, value, masked) => {
    expect(maskFinding({ kind, text: value, validator: '' })).toBe(masked);
  });
});

describe('OffsetMap', () => {
  // "0123456789": replace [2,5) by "AB" (−1) and [7,8) by "XYZ" (+2)
  const edits = [
    { start: 7, end: 8, replacement: 'XYZ' },
    { start: 2, end: 5, replacement: 'AB' },
  ];
  const map = new OffsetMap(edits);

  it('applies edits in any order', () => {
    expect(applyEdits('0123456789', edits)).toBe('01AB56XYZ89');
  });

  it('keeps offsets before an edit, shifts offsets after it', () => {
    expect(map.map(1, 'start')).toBe(1);
    expect(map.map(2, 'start')).toBe(2);
    expect(map.map(5, 'start')).toBe(4);
    expect(map.map(8, 'end')).toBe(9);
    expect(map.map(10, 'end')).toBe(11);
  });

  it('snaps offsets inside a replaced range outward: starts to its start, ends to its end', () => {
    expect(map.map(3, 'start')).toBe(2);
    expect(map.map(3, 'end')).toBe(4);
  });

  it('keeps offsets inside a same-length replacement (a mask) in place', () => {
    const mask = new OffsetMap([{ start: 2, end: 6, replacement: '****' }]);
    expect(mask.map(3, 'start')).toBe(3);
    expect(mask.map(5, 'end')).toBe(5);
  });
});

/** A span_set record as bio_to_spans writes it: text = tokens joined by spaces, char and token offsets. */
function spanSet(tokens: readonly string[], spans: ReadonlyArray<readonly [string, number, number]>) {
  const starts: number[] = [];
  let at = 0;
  for (const t of tokens) {
    starts.push(at);
    at += t.length + 1;
  }
  const text = tokens.join(' ');
  return {
    text,
    tokens,
    spans: spans.map(([type, ts, te]) => {
      const start = starts[ts]!;
      const end = starts[te - 1]! + tokens[te - 1]!.length;
      return { type, start, end, text: text.slice(start, end), token_start: ts, token_end: te };
    }),
  };
}

type SpanRec = { text: string; tokens: string[]; spans: Array<{ type: string; start: number; end: number; text: string; token_start: number; token_end: number }> };

function expectConsistent(r: SpanRec): void {
  expect(r.tokens.join(' ')).toBe(r.text);
  for (const s of r.spans) {
    expect(r.text.slice(s.start, s.end)).toBe(s.text);
    expect(r.tokens.slice(s.token_start, s.token_end).join(' ')).toBe(s.text);
  }
}

describe('span_set records stay consistent', () => {
  // WNUT-17 sentence 1 tail (real) with SYNTHETIC contact details spliced in front.
  const tokens = ['Email', 'jane.doe@example.com', 'or', 'call', '+44', '20', '7946', '0958', 'about', 'the', ...WNUT_TOKENS.slice(14, 20)];
  const rec = spanSet(tokens, [
    ['person', 1, 2], // the entity *is* the PII
    ['corporation', 5, 7], // inside the phone number
    ['location', 10, 13], // Empire State Building, after both
    ['location', 14, 15], // ESB
  ]);

  it('redact: spans after a replacement shift, spans on or inside PII become the placeholder, tokens re-split', () => {
    const out = scanRecord('structured_extraction', rec, { policy: REDACT });
    const r = out.record as unknown as SpanRec;
    expect(r.text).toBe('Email [EMAIL] or call [PHONE] about the Empire State Building = ESB .');
    expect(r.spans.map((s) => [s.type, s.text, s.token_start, s.token_end])).toEqual([
      ['person', '[EMAIL]', 1, 2],
      ['corporation', '[PHONE]', 4, 5],
      ['location', 'Empire State Building', 7, 10],
      ['location', 'ESB', 11, 12],
    ]);
    expectConsistent(r);
    expect(out.findings.map((f) => [f.kind, f.action, f.replacement])).toEqual([
      ['email', 'redact', '[EMAIL]'],
      ['phone', 'redact', '[PHONE]'],
    ]);
  });

  it('mask: token count is kept, offsets still shift with the shorter email mask', () => {
    const r = scanRecord('structured_extraction', rec, { policy: MASK }).record as unknown as SpanRec;
    expect(r.tokens).toHaveLength(tokens.length);
    expect(r.spans.map((s) => s.text)).toEqual(['j***@e***.com', '** ****', 'Empire State Building', 'ESB']);
    expect(r.spans.map((s) => [s.token_start, s.token_end])).toEqual(rec.spans.map((s) => [s.token_start, s.token_end]));
    expectConsistent(r);
  });

  it('an entity that straddles or contains a PII range covers the whole placeholder', () => {
    const straddle = spanSet(tokens, [
      ['product', 3, 5], // "call +44": ends inside the phone
      ['event', 3, 9], // "call +44 20 7946 0958 about": contains the whole phone
    ]);
    const r = scanRecord('structured_extraction', straddle, { policy: REDACT }).record as unknown as SpanRec;
    expect(r.spans.map((s) => s.text)).toEqual(['call [PHONE]', 'call [PHONE] about']);
    expectConsistent(r);
  });

  it('keep and unchanged records are returned as the same object', () => {
    expect(scanRecord('structured_extraction', rec, { policy: { action: 'keep' } }).record).toBe(rec);
    const clean = spanSet(WNUT_TOKENS, [['location', 14, 17]]);
    expect(scanRecord('structured_extraction', clean, { policy: REDACT }).record).toBe(clean);
  });
});

describe('other record shapes', () => {
  it('rag_qa: answer_start shifts with edits earlier in the context', () => {
    const prefix = 'Press contact: press@normandy.example. ';
    const rec = { question: SQUAD_NORMANS.question, context: prefix + SQUAD_NORMANS.context, answer: 'France', answer_start: prefix.length + 159, answerable: true };
    expect(rec.context.slice(rec.answer_start, rec.answer_start + 6)).toBe('France');
    const out = scanRecord('rag_qa', rec, { policy: REDACT });
    const r = out.record as typeof rec;
    expect(r.context.startsWith('Press contact: [EMAIL]. The Normans')).toBe(true);
    expect(r.context.slice(r.answer_start, r.answer_start + r.answer.length)).toBe('France');
    expect(r.answer_start).toBe(rec.answer_start - 'press@normandy.example'.length + '[EMAIL]'.length);
  });

  it('rag_qa: an answer that is itself PII becomes the same placeholder as in the context', () => {
    const rec = { question: 'Where do I write for help?', context: 'For help, write to support@example.org or visit the desk.', answer: 'support@example.org', answer_start: 19, answerable: true };
    const r = scanRecord('rag_qa', rec, { policy: MASK }).record as typeof rec;
    expect(r.answer).toBe('s***@e***.org');
    expect(r.context.slice(r.answer_start, r.answer_start + r.answer.length)).toBe(r.answer);
  });

  it('chat_sft: each message content is a field; roles are untouched', () => {
    const rec = { messages: [{ role: 'user', content: OASST.user }, { role: 'assistant', content: `${OASST.assistant} Questions? Mail eyes@clinic.example.` }] };
    const out = scanRecord('chat_sft', rec, { policy: REDACT });
    expect(out.findings.map((f) => [f.field, f.kind])).toEqual([['messages[1].content', 'email']]);
    const r = out.record as typeof rec;
    expect(r.messages[0]).toBe(rec.messages[0]);
    expect(r.messages[1]).toEqual({ role: 'assistant', content: `${OASST.assistant} Questions? Mail [EMAIL].` });
  });

  it('classification: the label is never scanned or rewritten', () => {
    const rec = { text: 'My card 4111 1111 1111 1111 was declined', label: 'declined_card_payment' };
    const r = scanRecord('classification', rec, { policy: REDACT });
    expect(r.record).toEqual({ text: 'My card [CREDIT_CARD] was declined', label: 'declined_card_payment' });
  });

  it('field_match: text and field values are rewritten alike', () => {
    const rec = { text: 'ABC HO TRADING\nTEL: 07-355 2616\nTOTAL 31.00', fields: { company: 'ABC HO TRADING', phone: '07-355 2616', total: '31.00' } };
    const r = scanRecord('structured_extraction', rec, { policy: REDACT }).record as typeof rec;
    expect(r.text).toBe('ABC HO TRADING\nTEL: [PHONE]\nTOTAL 31.00');
    expect(r.fields).toEqual({ company: 'ABC HO TRADING', phone: '[PHONE]', total: '31.00' });
  });

  it('block: the record is returned untouched with the blocking kinds', () => {
    const rec = { prompt: 'Deploy with AKIAIOSFODNN7EXAMPLE', chosen: 'Never paste keys.', rejected: 'Sure, mail ops@example.com.' };
    const out = scanRecord('dpo', rec, { policy: { action: 'redact', per_kind: { api_key: 'block' } } });
    expect(out.blocked).toBe(true);
    expect(out.blocked_kinds).toEqual(['api_key']);
    expect(out.record).toBe(rec);
    expect(out.findings.map((f) => [f.kind, f.action])).toEqual([
      ['api_key', 'block'],
      ['email', 'redact'],
    ]);
  });
});
