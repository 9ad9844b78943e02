import { describe, expect, it } from '@jest/globals';
import { classificationReport, type ClassificationRow } from '../src/index.js';
import { fixture, PLACES } from './fixtures.js';

interface Prf {
  precision: number;
  recall: number;
  f1: number;
}
interface Case {
  name: string;
  labels: string[];
  rows: ClassificationRow[];
  expected: {
    accuracy: number;
    per_class: (Prf & { label: string; support: number })[];
    macro: Prf;
    weighted: Prf;
    micro: Prf;
    confusion: number[][];
  };
}

const { cases } = fixture<{ cases: Case[] }>('classification.json');

function expectPrf(actual: Prf, expected: Prf): void {
  expect(actual.precision).toBeCloseTo(expected.precision, PLACES);
  expect(actual.recall).toBeCloseTo(expected.recall, PLACES);
  expect(actual.f1).toBeCloseTo(expected.f1, PLACES);
}

describe('classificationReport matches scikit-learn', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const report = classificationReport(c.rows, { labels: c.labels });
    expect(report.accuracy).toBeCloseTo(c.expected.accuracy, PLACES);
    expect(report.per_class.map((p) => p.label)).toEqual(c.labels);
    report.per_class.forEach((p, i) => {
      const e = c.expected.per_class[i]!;
      expectPrf(p, e);
      expect(p.support).toBe(e.support);
    });
    expectPrf(report.macro, c.expected.macro);
    expectPrf(report.weighted, c.expected.weighted);
    expectPrf(report.micro, c.expected.micro);
    // scikit-learn's matrix has the unparseable sentinel as its last column
    const ours = report.confusion.matrix.map((row, i) => [...row, report.confusion.unparseable[i]!]);
    expect(ours).toEqual(c.expected.confusion);
  });
});

describe('classificationReport', () => {
  it('counts null and out-of-label predictions as unparseable', () => {
    const report = classificationReport(
      [
        { reference: 'yes', prediction: 'yes' },
        { reference: 'yes', prediction: null },
        { reference: 'no', prediction: 'Yes' },
        { reference: 'no', prediction: 'no' },
      ],
      { labels: ['yes', 'no'] },
    );
    expect(report.unparseable).toBe(2);
    expect(report.unparseable_rate).toBe(0.5);
    expect(report.confusion.unparseable).toEqual([1, 1]);
    expect(report.accuracy).toBe(0.5);
    // unparseable outputs lower recall, not precision
    expect(report.micro.precision).toBe(1);
    expect(report.micro.recall).toBe(0.5);
  });

  it('is all zeros for no rows and rejects references outside the labels', () => {
    const empty = classificationReport([], { labels: ['a'] });
    expect(empty).toMatchObject({ n: 0, accuracy: 0, unparseable_rate: 0, macro: { f1: 0 } });
    expect(() => classificationReport([{ reference: 'z', prediction: 'a' }], { labels: ['a'] })).toThrow(RangeError);
    expect(() => classificationReport([], { labels: ['a', 'a'] })).toThrow(RangeError);
  });

  it('is plain JSON', () => {
    const report = classificationReport(cases[0]!.rows, { labels: cases[0]!.labels });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
