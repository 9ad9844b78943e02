import { describe, expect, it } from '@jest/globals';
import { checkLeakage, LeakageChecker, rowText } from '../src/index.js';
import { ALICE, BANKING77, NORMANS } from './fixtures.js';

const train = BANKING77.map(([text], i) => ({ row_id: `t${i}`, split: 'train' as const, text }));

describe('leakage between train and eval / gold', () => {
  it('finds exact overlap after normalisation (case, punctuation, spacing)', () => {
    const report = checkLeakage([...train, { row_id: 'e1', split: 'eval', text: 'how do I LOCATE my card' }]);
    expect(report.examples).toEqual([{ train_row_id: 't0', other_row_id: 'e1', split: 'eval', similarity: 1, kind: 'exact' }]);
    expect(report.overlapping).toEqual({ eval: 1, gold: 0 });
    expect(report.between).toEqual(['train', 'eval']);
  });

  it('finds near overlap (one word changed in a paragraph) with its similarity', () => {
    const rows = [...train, { row_id: 'tn', split: 'train' as const, text: NORMANS }, { row_id: 'g1', split: 'gold' as const, text: NORMANS.replace('raiders', 'warriors') }];
    const report = checkLeakage(rows);
    expect(report.examples).toHaveLength(1);
    expect(report.examples[0]).toMatchObject({ train_row_id: 'tn', other_row_id: 'g1', split: 'gold', kind: 'near' });
    expect(report.examples[0]!.similarity).toBeGreaterThanOrEqual(0.8);
    expect(report.examples[0]!.similarity).toBeLessThan(1);
    expect(report.between).toEqual(['train', 'gold']);
  });

  it('reports no leakage for different texts, even on the same topic', () => {
    const report = checkLeakage([
      ...train,
      { row_id: 'e1', split: 'eval', text: 'How did you come up with your exchange rates?' },
      { row_id: 'g1', split: 'gold', text: ALICE },
    ]);
    expect(report).toMatchObject({ overlapping_rows: 0, share: 0, exceeds: false, between: [], examples: [] });
    expect(report.checked).toEqual({ eval: 1, gold: 1 });
  });

  it('share and exceeds follow the configured maximum', () => {
    const held = [
      { row_id: 'e1', split: 'eval' as const, text: 'How do I locate my card?' },
      { row_id: 'e2', split: 'eval' as const, text: ALICE },
      { row_id: 'e3', split: 'eval' as const, text: 'Something else entirely, about the weather in Lyon.' },
      { row_id: 'g1', split: 'gold' as const, text: NORMANS },
    ];
    expect(checkLeakage([...train, ...held])).toMatchObject({ overlapping_rows: 1, share: 0.25, exceeds: true, max_share: 0 });
    expect(checkLeakage([...train, ...held], { max_share: 0.25 }).exceeds).toBe(false);
    expect(checkLeakage([...train, ...held], { max_share: 0.2 }).exceeds).toBe(true);
  });

  it('train rows may come after held-out rows in the list; examples are capped and ordered', () => {
    const held = BANKING77.map(([text], i) => ({ row_id: `e${i}`, split: 'eval' as const, text: text.toUpperCase() }));
    const report = checkLeakage([...held, ...train], { max_examples: 3 });
    expect(report.overlapping_rows).toBe(BANKING77.length);
    expect(report.examples.map((p) => p.other_row_id)).toEqual(['e0', 'e1', 'e2']);
  });

  it('blank texts never count as leakage', () => {
    expect(checkLeakage([{ row_id: 't', split: 'train', text: '' }, { row_id: 'e', split: 'eval', text: ' ?! ' }]).overlapping_rows).toBe(0);
  });

  it('near: false checks exact overlap only', () => {
    const rows = [{ row_id: 'tn', split: 'train' as const, text: NORMANS }, { row_id: 'g1', split: 'gold' as const, text: NORMANS.replace('raiders', 'warriors') }];
    expect(checkLeakage(rows, { near: false }).overlapping_rows).toBe(0);
  });

  it('streams: addTrain then check returns the pair per row', () => {
    const c = new LeakageChecker();
    c.addTrain('t0', 'What exchange rates do you offer?');
    expect(c.check('e0', 'eval', 'what exchange rates do you offer')?.kind).toBe('exact');
    expect(c.check('e1', 'eval', 'Where do I link the new card?')).toBeUndefined();
    expect(c.report().share).toBe(0.5);
  });

  it('rowText compares text fields only: the same text with another label still leaks', () => {
    const a = rowText({ task_profile: 'classification', record: { text: 'How do I locate my card?', label: 'card_arrival' } });
    const b = rowText({ task_profile: 'classification', record: { text: 'How do I locate my card?', label: 'lost_or_stolen_card' } });
    expect(a).toBe(b);
    expect(rowText({ task_profile: 'qa', record: { question: 'q?', answer: 'a', aliases: ['A'] } })).toBe('q?\na');
  });
});
