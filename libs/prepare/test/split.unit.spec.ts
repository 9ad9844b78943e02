import { describe, expect, it } from '@jest/globals';
import {
  assertSplitInvariants,
  assignGroupSplit,
  assignSplit,
  fieldKey,
  splitRows,
  SplitConfigError,
  SplitInvariantError,
  validateRatios,
  type SplitInput,
  type SplitName,
  type SplitResult,
} from '../src/index.js';
import { labelledRows, shuffled } from './fixtures.js';

const ids = (r: SplitResult, split: SplitName): string[] => [...r.assignments].filter(([, s]) => s === split).map(([id]) => id).sort();
const rowsOf = (n: number): SplitInput[] => Array.from({ length: n }, (_, i) => ({ row_id: `row-${i}`, record: { text: `t${i}` } }));

describe('ratios', () => {
  it('must be in [0, 1], sum to 1 and leave train a share', () => {
    expect(validateRatios({ train: 0.8, eval: 0.1, gold: 0.1 })).toEqual({ train: 0.8, eval: 0.1, gold: 0.1 });
    expect(() => validateRatios({ train: 0.8, eval: 0.1, gold: 0.2 })).toThrow(SplitConfigError);
    expect(() => validateRatios({ train: 0, eval: 0.5, gold: 0.5 })).toThrow('train ratio');
    expect(() => validateRatios({ train: 1.1, eval: -0.1, gold: 0 })).toThrow(SplitConfigError);
  });
});

describe('random split (assignSplit)', () => {
  it('the same row_id and seed always land in the same split, whatever the row order', () => {
    const rows = rowsOf(500);
    const a = splitRows(rows, { kind: 'random', seed: 42 });
    const b = splitRows(shuffled(rows, 7), { kind: 'random', seed: 42 });
    expect(b.assignments).toEqual(a.assignments);
    for (const r of rows.slice(0, 20)) expect(a.assignments.get(r.row_id)).toBe(assignSplit(r.row_id, 42));
  });

  it('another seed gives another split', () => {
    const rows = rowsOf(500);
    const a = splitRows(rows, { kind: 'random', seed: 1 });
    const b = splitRows(rows, { kind: 'random', seed: 2 });
    const moved = rows.filter((r) => a.assignments.get(r.row_id) !== b.assignments.get(r.row_id)).length;
    expect(moved).toBeGreaterThan(50);
  });

  it('counts follow the ratios (10k rows within ±1.5 points)', () => {
    const r = splitRows(rowsOf(10_000), { kind: 'random', seed: 3 }, { train: 0.7, eval: 0.2, gold: 0.1 });
    expect(Math.abs(r.counts.train / 10_000 - 0.7)).toBeLessThan(0.015);
    expect(Math.abs(r.counts.eval / 10_000 - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(r.counts.gold / 10_000 - 0.1)).toBeLessThan(0.015);
  });

  it('gold stays put when the dataset grows and when the eval ratio changes', () => {
    const small = splitRows(rowsOf(1000), { kind: 'random', seed: 5 });
    const grown = splitRows(rowsOf(3000), { kind: 'random', seed: 5 });
    const goldSmall = ids(small, 'gold');
    expect(ids(grown, 'gold').filter((id) => Number(id.slice(4)) < 1000)).toEqual(goldSmall);
    const moreEval = splitRows(rowsOf(1000), { kind: 'random', seed: 5 }, { train: 0.6, eval: 0.3, gold: 0.1 });
    expect(ids(moreEval, 'gold')).toEqual(goldSmall);
  });

  it('warns about an empty split on a tiny dataset and rejects duplicate row ids', () => {
    const tiny = splitRows(rowsOf(3), { kind: 'random', seed: 1 });
    expect(tiny.warnings.some((w) => w.startsWith('empty_split:'))).toBe(true);
    expect(() => splitRows([...rowsOf(3), { row_id: 'row-1', record: {} }], { kind: 'random', seed: 1 })).toThrow(SplitInvariantError);
  });
});

describe('stratified split', () => {
  const sizes = { card_arrival: 500, card_linking: 300, exchange_rate: 150, top_up: 40, lost_card: 8, pin_blocked: 2, refund: 1 };
  const rows = labelledRows(sizes);
  const result = splitRows(rows, { kind: 'stratified', field: 'label', seed: 9 });

  it('hits the overall quotas exactly and each stratum within one row of its share', () => {
    expect(result.counts).toEqual({ train: 801, eval: 100, gold: 100 });
    for (const [label, n] of Object.entries(sizes)) {
      const c = result.strata?.[label];
      expect(c).toEqual(expect.objectContaining({ train: expect.any(Number), eval: expect.any(Number), gold: expect.any(Number) }));
      expect(c!.train + c!.eval + c!.gold).toBe(n);
      expect(Math.abs(c!.gold - n * 0.1)).toBeLessThan(1);
      expect(Math.abs(c!.eval - n * 0.1)).toBeLessThan(1);
    }
  });

  it('small strata keep their train rows: a singleton class is train only', () => {
    expect(result.strata?.['refund']).toEqual({ train: 1, eval: 0, gold: 0 });
    expect(result.strata?.['pin_blocked']?.train).toBeGreaterThanOrEqual(1);
    expect(result.warnings).toContain('strata_without_holdout:2');
  });

  it('is order-independent and agrees with assignSplit for most rows', () => {
    const again = splitRows(shuffled(rows, 3), { kind: 'stratified', field: 'label', seed: 9 });
    expect(again.assignments).toEqual(result.assignments);
    const same = rows.filter((r) => result.assignments.get(r.row_id) === assignSplit(r.row_id, 9)).length;
    expect(same / rows.length).toBeGreaterThan(0.9);
  });

  it('rows added to another stratum never move a row of this one', () => {
    const more = splitRows([...rows, ...labelledRows({ brand_new: 200 }).map((r) => ({ ...r, row_id: `x${r.row_id}` }))], { kind: 'stratified', field: 'label', seed: 9 });
    for (const r of rows) expect(more.assignments.get(r.row_id)).toBe(result.assignments.get(r.row_id));
  });

  it('rows without the field form their own stratum (and are counted in a warning)', () => {
    const r = splitRows([...labelledRows({ a: 30 }), { row_id: 'nolabel', record: { text: 'x' } }], { kind: 'stratified', field: 'label', seed: 1 });
    expect(r.strata?.['\u2205']).toEqual({ train: 1, eval: 0, gold: 0 });
    expect(r.warnings).toContain('missing_field:1');
  });
});

describe('group-disjoint split', () => {
  const rows = labelledRows({ a: 600, b: 400 }, 97);
  const result = splitRows(rows, { kind: 'group_disjoint', field: 'speaker', seed: 4 });
  const groupOf = (id: string): string | undefined => fieldKey(rows.find((r) => r.row_id === id)!.record, 'speaker');

  it('puts every row of a group in the group’s split', () => {
    for (const r of rows) expect(result.assignments.get(r.row_id)).toBe(assignGroupSplit(String(r.record['speaker']), 4));
    expect(() => assertSplitInvariants({ train: ids(result, 'train'), eval: ids(result, 'eval'), gold: ids(result, 'gold') }, { groupOf })).not.toThrow();
    expect(Object.values(result.groups ?? {}).reduce((a, b) => a + b, 0)).toBe(97);
  });

  it('rows without the group field are groups of one', () => {
    const r = splitRows([...rows, { row_id: 'solo', record: { text: 'x' } }], { kind: 'group_disjoint', field: 'speaker', seed: 4 });
    expect(r.warnings).toContain('missing_field:1');
    const g = r.groups ?? { train: 0, eval: 0, gold: 0 };
    expect(g.train + g.eval + g.gold).toBe(98);
  });

  it('reads dotted paths and non-string values as keys', () => {
    expect(fieldKey({ meta: { doc: 12 } }, 'meta.doc')).toBe('12');
    expect(fieldKey({ meta: { doc: '' } }, 'meta.doc')).toBeUndefined();
    expect(fieldKey({ tags: ['a', 'b'] }, 'tags')).toBe('["a","b"]');
  });
});

describe('assertSplitInvariants', () => {
  it('fails when a gold row is also in train, naming it', () => {
    try {
      assertSplitInvariants({ train: ['a', 'b'], eval: ['c'], gold: ['b'] });
      throw new Error('expected a SplitInvariantError');
    } catch (e) {
      expect(e).toBeInstanceOf(SplitInvariantError);
      expect((e as SplitInvariantError).row_ids).toEqual(['b']);
    }
  });

  it('fails when a group crosses splits', () => {
    const groupOf = (id: string): string => (id === 'a' || id === 'c' ? 'g1' : 'g2');
    expect(() => assertSplitInvariants({ train: ['a', 'b'], eval: ['c'], gold: [] }, { groupOf })).toThrow('share a group');
  });
});
