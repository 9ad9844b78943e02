import { describe, expect, it } from '@jest/globals';
import { fieldMatchScores, spanSetScores, type FieldRow, type FieldSchema, type SpanRow, type SpanRowCounts } from '../src/index.js';
import { fixture, PLACES } from './fixtures.js';

interface Prf {
  precision: number;
  recall: number;
  f1: number;
}
const spans = fixture<{
  rows: SpanRow[];
  expected: { micro: Prf; macro: Prf; per_type: (Prf & { type: string; support: number })[]; per_row: SpanRowCounts[] };
}>('spans.json');

function expectPrf(actual: Prf, expected: Prf): void {
  expect(actual.precision).toBeCloseTo(expected.precision, PLACES);
  expect(actual.recall).toBeCloseTo(expected.recall, PLACES);
  expect(actual.f1).toBeCloseTo(expected.f1, PLACES);
}

describe('span_set matches seqeval strict mode', () => {
  const scores = spanSetScores(spans.rows);

  it('micro and macro precision / recall / F1', () => {
    expectPrf(scores.micro, spans.expected.micro);
    expectPrf(scores.macro, spans.expected.macro);
  });

  it('per type, over the union of gold and predicted types', () => {
    expect(scores.per_type.map((t) => t.type)).toEqual(spans.expected.per_type.map((t) => t.type));
    scores.per_type.forEach((t, i) => {
      expectPrf(t, spans.expected.per_type[i]!);
      expect(t.support).toBe(spans.expected.per_type[i]!.support);
    });
  });

  it('per row matched / missed / hallucinated', () => {
    expect(scores.per_row).toEqual(spans.expected.per_row);
    expect(scores.totals).toEqual({ matched: 5, missed: 5, hallucinated: 5 });
  });
});

describe('span_set matching rules', () => {
  const span = (type: string, start: number, end: number) => ({ type, start, end });

  it('an off-by-one boundary is one miss and one hallucination', () => {
    const s = spanSetScores([{ gold: [span('PER', 0, 5)], predicted: [span('PER', 0, 6)] }]);
    expect(s.per_row).toEqual([{ matched: 0, missed: 1, hallucinated: 1 }]);
    expect(s.micro.f1).toBe(0);
  });

  it('a wrong type does not match', () => {
    const s = spanSetScores([{ gold: [span('PER', 0, 5)], predicted: [span('ORG', 0, 5)] }]);
    expect(s.totals).toEqual({ matched: 0, missed: 1, hallucinated: 1 });
  });

  it('treats spans as a multiset: a duplicate prediction is a hallucination', () => {
    const s = spanSetScores([{ gold: [span('PER', 0, 5)], predicted: [span('PER', 0, 5), span('PER', 0, 5)] }]);
    expect(s.per_row).toEqual([{ matched: 1, missed: 0, hallucinated: 1 }]);
    expect(s.micro.precision).toBe(0.5);
    expect(s.micro.recall).toBe(1);
  });

  it('a gold span listed twice needs two predictions', () => {
    const s = spanSetScores([{ gold: [span('PER', 0, 5), span('PER', 0, 5)], predicted: [span('PER', 0, 5)] }]);
    expect(s.per_row).toEqual([{ matched: 1, missed: 1, hallucinated: 0 }]);
    expect(s.per_type[0]).toMatchObject({ type: 'PER', support: 2, predicted: 1, matched: 1, precision: 1, recall: 0.5 });
  });

  it('fixes the class list when types are given', () => {
    const s = spanSetScores([{ gold: [span('PER', 0, 5)], predicted: [span('PER', 0, 5), span('X', 1, 2)] }], { types: ['PER', 'LOC'] });
    expect(s.per_type.map((t) => t.type)).toEqual(['PER', 'LOC']);
    expect(s.macro.f1).toBe(0.5);
    expect(s.micro.precision).toBe(0.5);
  });
});

const fields = fixture<{
  schema: FieldSchema;
  rows: FieldRow[];
  expected: { json_valid_rate: number; schema_compliance_rate: number; fields: { field: string; n: number; exact_match: number; f1: number }[] };
}>('fields.json');

describe('field_match matches the Python recomputation', () => {
  const scores = fieldMatchScores(fields.rows, fields.schema);

  it('JSON validity and schema compliance', () => {
    expect(scores.json_valid_rate).toBeCloseTo(fields.expected.json_valid_rate, PLACES);
    expect(scores.schema_compliance_rate).toBeCloseTo(fields.expected.schema_compliance_rate, PLACES);
  });

  it('per-field exact match and token F1', () => {
    expect(scores.fields.map((f) => [f.field, f.n])).toEqual(fields.expected.fields.map((f) => [f.field, f.n]));
    scores.fields.forEach((f, i) => {
      const e = fields.expected.fields[i]!;
      expect(f.exact_match).toBeCloseTo(e.exact_match, PLACES);
      expect(f.f1).toBeCloseTo(e.f1, PLACES);
    });
  });
});

describe('field_match rules', () => {
  const schema: FieldSchema = { a: 'number', b: 'object', c: 'array' };

  it('does not accept arrays or null as objects, nor booleans as numbers', () => {
    const rows = [
      { prediction: '{"a": 1, "b": [], "c": []}', reference: {} },
      { prediction: '{"a": true, "b": {}, "c": []}', reference: {} },
      { prediction: '{"a": 1, "b": null, "c": []}', reference: {} },
      { prediction: '{"a": 1, "b": {}, "c": {}}', reference: {} },
      { prediction: '{"a": 1, "b": {}, "c": [], "extra": 1}', reference: {} },
    ];
    expect(fieldMatchScores(rows, schema).schema_compliance_rate).toBeCloseTo(1 / 5, PLACES);
  });

  it('compares objects regardless of key order, arrays in order', () => {
    const s = fieldMatchScores(
      [
        { prediction: '{"b": {"y": 2, "x": 1}, "c": [1, 2]}', reference: { b: { x: 1, y: 2 }, c: [1, 2] } },
        { prediction: '{"b": {"x": 1}, "c": [2, 1]}', reference: { b: { x: 1, y: 2 }, c: [1, 2] } },
      ],
      schema,
    );
    expect(s.fields.find((f) => f.field === 'b')!.exact_match).toBe(0.5);
    expect(s.fields.find((f) => f.field === 'c')!.exact_match).toBe(0.5);
    expect(s.fields.find((f) => f.field === 'a')!.n).toBe(0);
  });

  it('a truncated output is invalid and scores 0 on every field', () => {
    const s = fieldMatchScores([{ prediction: '{"a": 1', reference: { a: 1 } }], schema);
    expect(s.json_valid_rate).toBe(0);
    expect(s.fields[0]).toEqual({ field: 'a', n: 1, exact_match: 0, f1: 0 });
  });
});
