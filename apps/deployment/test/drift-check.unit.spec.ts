/** The live metric of a drift check and how the check combines metric and input drift, with a stub endpoint. */
import { describe, expect, it } from '@jest/globals';
import { inputProfile } from '@distillery/deployments';
import { liveMetric, liveMetricOf, normalizeAnswer, runDriftCheck, type DatasetPrompts, type OpenAiClient } from '../src/index.js';

/** An endpoint that answers each prompt from a table (the user text → the answer). */
const stub = (answers: Record<string, string>) =>
  ({
    chat: async (_model: string, messages: Array<{ role: string; content: string }>) => ({ choices: [{ index: 0, message: { role: 'assistant', content: answers[messages.at(-1)!.content] ?? '' }, finish_reason: 'stop' }] }),
  }) as unknown as OpenAiClient;

const gold: DatasetPrompts = {
  profile: 'classification',
  decoding: 'label_likelihood',
  label_set: ['0', '1'],
  rows: ['good', 'bad', 'fine', 'awful'].map((t, i) => ({ row_id: String(i), messages: [{ role: 'user' as const, content: t }], answer: i % 2 === 0 ? '1' : '0' })),
};

describe('the live metric', () => {
  it('label tasks: accuracy of the trimmed answer against the gold label; QA-like tasks: SQuAD-normalised exact match', () => {
    expect(liveMetricOf('classification')).toBe('accuracy');
    expect(liveMetricOf('qa')).toBe('exact_match');
    expect(liveMetricOf('seq2seq')).toBeUndefined();
    expect(liveMetric('accuracy', [' 1\n', '0', '1.', 'One'], ['1', '0', '1', '1'])).toBe(0.5);
    expect(normalizeAnswer('The  Eiffel Tower!')).toBe('eiffel tower');
    expect(liveMetric('exact_match', ['the Eiffel tower.', 'Paris'], ['Eiffel Tower', 'Lyon'])).toBe(0.5);
    expect(liveMetric('accuracy', [], [])).toBeNaN();
  });
});

describe('a drift check', () => {
  const baseline = { value: 0.9, ci: [0.8, 1] as const, source: 'evaluation e' };

  it('an accuracy below the baseline bound is a metric drift; one within it is not', async () => {
    const half = await runDriftCheck({ client: stub({ good: '1', bad: '0', fine: '0', awful: '1' }), model: 'm', gold, maxTokens: 4, baseline, minRequests: 1 });
    expect(half.metrics).toMatchObject({ accuracy: 0.5, 'accuracy.baseline': 0.9, 'accuracy.bound': 0.8, 'gold.rows': 4 });
    expect(half.drifted).toEqual(['metric:accuracy']);
    expect(half.metricDrifted).toBe(true);
    const all = await runDriftCheck({ client: stub({ good: '1', bad: '0', fine: '1', awful: '0' }), model: 'm', gold, maxTokens: 4, baseline, minRequests: 1 });
    expect(all.drifted).toEqual([]);
    expect(all.details[0]).toMatch(/^metric: accuracy 1\.0000 ≥ the baseline's lower bound 0\.8000/);
  });

  it('skips what it cannot compare, and says why', async () => {
    const r = await runDriftCheck({ client: stub({}), model: 'm', gold: { ...gold, profile: 'seq2seq' }, maxTokens: 4, minRequests: 5, profile: inputProfile(['a b'], ['a']), recent: [{ prompt: 'x', answer: '', at: 0 }] });
    expect(r.details).toEqual(['metric: skipped (no simple live metric for seq2seq tasks)', 'input: skipped (1 recent requests, fewer than 5)']);
    const noCi = await runDriftCheck({ client: stub({ good: '1' }), model: 'm', gold, maxTokens: 4, baseline: { value: 0.9, ci: null, source: 'e' }, minRequests: 1 });
    expect(noCi.drifted).toEqual([]);
    expect(noCi.details[0]).toMatch(/has no confidence interval/);
    expect((await runDriftCheck({ client: stub({}), model: 'm', maxTokens: 4, minRequests: 1 })).details[0]).toMatch(/names no training run/);
  });

  it('recent prompts unlike the training rows are input drift, with the answers as predicted labels', async () => {
    const train = Array.from({ length: 50 }, (_, i) => (i % 2 ? 'the food was good' : 'the service was bad'));
    const profile = inputProfile(train, ['the food was bad'], train.map((_, i) => (i % 2 ? '1' : '0')));
    const recent = Array.from({ length: 30 }, (_, i) => ({ prompt: `quarterly ebitda variance reconciliation ledger ${i}`, answer: 'maybe', at: i }));
    const r = await runDriftCheck({ client: stub({}), model: 'm', maxTokens: 4, minRequests: 10, profile, recent, gold: { ...gold, rows: [] } });
    expect(r.drifted).toEqual(['input:vocabulary', 'input:labels']);
    expect(r.metricDrifted).toBe(false);
    expect(r.metrics['input.requests']).toBe(30);
    expect(r.metrics['input.oov_rate']).toBe(1);
  });
});
