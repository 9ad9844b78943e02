import { describe, expect, it } from '@jest/globals';
import { PreparedManifest } from '@distillery/contracts';
import {
  balance,
  buildManifest,
  checkLeakage,
  labelOf,
  LabelStats,
  ManifestInvalidError,
  rowText,
  splitRows,
  type BuildManifestInput,
  type SplitName,
} from '../src/index.js';
import { BANKING77, labelledRows, ref } from './fixtures.js';

describe('labels', () => {
  it('labelOf reads labels of labelled profiles only', () => {
    expect(labelOf('classification', { text: 'x', label: 'card_arrival' })).toBe('card_arrival');
    expect(labelOf('classification', { text: 'x', label: 1 })).toBe('1');
    expect(labelOf('classification', { text: 'x', label: '  ' })).toBeUndefined();
    expect(labelOf('qa', { question: 'q', answer: 'a', label: 'x' })).toBeUndefined();
  });

  it('summarises counts per split, labels only in holdout, missing and rare labels', () => {
    const s = new LabelStats();
    for (let i = 0; i < 8; i++) s.add('train', 'card_arrival');
    for (let i = 0; i < 2; i++) s.add('train', 'exchange_rate');
    s.add('eval', 'card_arrival');
    s.add('gold', 'refund_not_showing_up');
    s.add('gold', undefined);
    const sum = s.summary();
    expect(sum.labels).toEqual(['card_arrival', 'exchange_rate', 'refund_not_showing_up']);
    expect(sum.total).toBe(12);
    expect(sum.unlabelled).toEqual({ train: 0, eval: 0, gold: 1 });
    expect(sum.per_split.train).toEqual({ card_arrival: 8, exchange_rate: 2 });
    expect(sum.only_in_holdout).toEqual(['refund_not_showing_up']);
    expect(sum.missing_from_eval).toEqual(['exchange_rate']);
    expect(sum.missing_from_gold).toEqual(['card_arrival', 'exchange_rate']);
    expect(sum.rare).toEqual(['exchange_rate']);
    expect(sum.balance).toMatchObject({ classes: 2, majority_label: 'card_arrival', majority_share: 0.8, minority_label: 'exchange_rate', imbalance_ratio: 4 });
  });

  it('balance: uniform labels have normalised entropy 1, skewed ones less', () => {
    expect(balance(new Map([['a', 5], ['b', 5], ['c', 5]])).normalized_entropy).toBe(1);
    expect(balance(new Map([['a', 98], ['b', 1], ['c', 1]])).normalized_entropy).toBeLessThan(0.2);
  });
});

function baseInput(overrides: Partial<BuildManifestInput> = {}): BuildManifestInput {
  return {
    project_id: 'proj-banking',
    dataset_id: 'ds-2026-01',
    created_at: '2026-01-15T10:00:00.000Z',
    task_profile: 'classification',
    output_schema: { fields: { text: 'string', label: 'string' }, scoring_mode: 'label_likelihood' },
    split: { strategy: { kind: 'stratified', field: 'label', seed: 42 }, ratios: { train: 0.8, eval: 0.1, gold: 0.1 } },
    counts: { train: 8, eval: 1, gold: 1, dropped: 2 },
    artifacts: { train: ref('train.jsonl', 'a'), eval: ref('eval.jsonl', 'b'), gold: ref('gold.jsonl', 'c') },
    source_lineage: [{ locator: 'csv:/data/banking77/test.csv', mapper_id: 'label_to_classification', rows: 12 }],
    cleaning_report: ref('cleaning-report.json', 'd'),
    ...overrides,
  };
}

describe('buildManifest', () => {
  it('produces a manifest the contracts schema accepts, with the label set from label statistics', () => {
    const s = new LabelStats();
    for (let i = 0; i < 8; i++) s.add('train', i % 2 ? 'card_arrival' : 'exchange_rate');
    s.add('eval', 'card_arrival');
    s.add('gold', 'exchange_rate');
    const built = buildManifest(baseInput({ labels: s.summary({ min_count: 1 }) }));
    expect(PreparedManifest.parse(built.manifest)).toEqual(built.manifest);
    expect(built.manifest.label_set).toEqual(['card_arrival', 'exchange_rate']);
    expect(built.manifest.split).toEqual({ strategy: { kind: 'stratified', field: 'label', seed: 42 }, ratios: { train: 0.8, eval: 0.1, gold: 0.1 } });
    expect(built.summary.counts).toEqual({ train: 8, eval: 1, gold: 1, dropped: 2, total: 10 });
    expect(built.warnings.map((w) => w.code)).toEqual(['labels_missing_from_eval', 'labels_missing_from_gold']);
  });

  it('warns about labels that only occur in eval or gold and keeps them in the label set', () => {
    const s = new LabelStats();
    for (let i = 0; i < 8; i++) s.add('train', 'card_arrival');
    s.add('eval', 'card_arrival');
    s.add('gold', 'refund_not_showing_up');
    const built = buildManifest(baseInput({ labels: s.summary() }));
    const w = built.warnings.find((x) => x.code === 'labels_only_in_holdout');
    expect(w?.labels).toEqual(['refund_not_showing_up']);
    expect(built.manifest.label_set).toEqual(['card_arrival', 'refund_not_showing_up']);
  });

  it('rejects what the schema rejects, naming every problem', () => {
    const bad = baseInput({
      artifacts: { train: { ...ref('train.jsonl'), sha256: 'not-a-digest' }, eval: ref('e'), gold: ref('g') },
      created_at: 'yesterday',
      split: { strategy: { kind: 'random', seed: 1 }, ratios: { train: 0.8, eval: 0.2, gold: 0.2 } },
    });
    try {
      buildManifest(bad);
      throw new Error('expected ManifestInvalidError');
    } catch (e) {
      expect(e).toBeInstanceOf(ManifestInvalidError);
      const problems = (e as ManifestInvalidError).problems.join('\n');
      expect(problems).toContain('artifacts.train.sha256');
      expect(problems).toContain('created_at');
      expect(problems).toContain('ratios must sum to 1');
    }
  });

  it('unlabelled profiles carry no label set; labelled ones without statistics get a warning', () => {
    const qa = buildManifest(baseInput({ task_profile: 'qa', output_schema: { fields: { question: 'string', answer: 'string' }, scoring_mode: 'exact_match_f1' } }));
    expect(qa.manifest.label_set).toBeUndefined();
    expect(qa.warnings).toEqual([]);
    expect(buildManifest(baseInput()).warnings.map((w) => w.code)).toEqual(['no_label_set']);
  });

  it('warns when a split with a ratio is empty or the label statistics do not cover the written rows', () => {
    const s = new LabelStats();
    s.add('train', 'a');
    const built = buildManifest(baseInput({ counts: { train: 8, eval: 0, gold: 1, dropped: 0 }, labels: s.summary({ min_count: 1 }) }));
    expect(built.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['empty_split', 'label_counts_mismatch']));
  });
});

describe('prepare end to end: split → labels → leakage → manifest', () => {
  it('keeps gold out of train and builds a valid manifest from real BANKING77 rows', () => {
    const rows = [
      ...BANKING77.map(([text, label], i) => ({ row_id: `b${i}`, record: { text, label } })),
      ...labelledRows({ card_arrival: 40, card_linking: 30, exchange_rate: 30 }),
    ];
    const split = splitRows(rows, { kind: 'stratified', field: 'label', seed: 2026 });
    const stats = new LabelStats();
    const byId = new Map(rows.map((r) => [r.row_id, r]));
    for (const [id, s] of split.assignments) stats.addRow(s, 'classification', byId.get(id)!.record);
    const leakage = checkLeakage([...split.assignments].map(([id, s]) => ({ row_id: id, split: s as SplitName, text: rowText({ task_profile: 'classification', record: byId.get(id)!.record }) })));
    expect(leakage.overlapping_rows).toBe(0);
    const built = buildManifest(baseInput({ counts: { ...split.counts, dropped: 0 }, split: { strategy: split.strategy, ratios: split.ratios }, labels: stats.summary() }));
    expect(built.manifest.counts).toEqual({ ...split.counts, dropped: 0 });
    expect(built.manifest.label_set).toEqual(['card_arrival', 'card_linking', 'exchange_rate']);
    expect(built.warnings).toEqual([]);
  });
});
