import { describe, expect, it } from '@jest/globals';
import type { RunEvent } from '@distillery/contracts';
import { ACHIEVEMENTS, foldJournals, journalView, levelOf, XP_BY_CODE, XP_PER_ACHIEVEMENT, xpForLevel, type JournalState } from '../src/index.js';
import { event, PAYLOADS as P } from './events.js';

const fold = (events: RunEvent[]): JournalState => foldJournals(new Map(), events).get('lab')!;
const unlocked = (events: RunEvent[]) => Object.keys(fold(events).achievements).sort();
const has = (events: RunEvent[], id: string) => fold(events).achievements[id] !== undefined;

describe('levels', () => {
  it('level L starts at 50·L·(L−1) XP; progress is the share of the way to the next', () => {
    expect([1, 2, 3, 4, 5].map(xpForLevel)).toEqual([0, 100, 300, 600, 1000]);
    expect(levelOf(0)).toMatchObject({ level: 1, next_level_at: 100, progress: 0 });
    expect(levelOf(99).level).toBe(1);
    expect(levelOf(100)).toMatchObject({ level: 2, level_floor: 100, next_level_at: 300, progress: 0 });
    expect(levelOf(450)).toMatchObject({ level: 3, progress: 0.5 });
  });
});

describe('achievements, each reached from events, each with a near miss', () => {
  const imp = (resolved: string, run: string, accepted = 10) => event('dataset_import_run', P.dataset_import_run(resolved, accepted), { run });
  const train = (run: string, base: string, method = 'lora') => [
    event('training_requested', P.training_requested(base, method), { run }),
    event('training_dispatched', P.training_dispatched(method), { run, actor: 'service:training' }),
    event('training_completed', P.training_completed(method), { run, actor: 'service:trainer' }),
  ];

  it('first_import: an import with accepted rows; an import that accepted nothing does not count', () => {
    expect(has([imp('/a.csv', 'i1')], 'first_import')).toBe(true);
    expect(has([imp('/a.csv', 'i1', 0)], 'first_import')).toBe(false);
  });

  it('three_sources: three distinct sources; the same source three times is one', () => {
    expect(has([imp('/a.csv', 'i1'), imp('/b.csv', 'i2'), imp('/c.csv', 'i3')], 'three_sources')).toBe(true);
    expect(has([imp('/a.csv', 'i1'), imp('/b.csv', 'i2'), imp('/a.csv', 'i3')], 'three_sources')).toBe(false);
  });

  it('reused_mapping: an import naming a mapping saved earlier; naming one never saved does not count', () => {
    const saved = event('mapping_saved', P.mapping_saved('tickets-v1'), { run: 'i1' });
    const reuse = [event('dataset_import_requested', P.dataset_import_requested({ saved_mapping_id: 'tickets-v1' }), { run: 'i2' }), imp('/a.csv', 'i2')];
    expect(has([saved, ...reuse], 'reused_mapping')).toBe(true);
    expect(has(reuse, 'reused_mapping')).toBe(false);
    expect(has([saved, event('dataset_import_requested', P.dataset_import_requested(), { run: 'i2' }), imp('/a.csv', 'i2')], 'reused_mapping')).toBe(false);
  });

  it('first_clean and first_prepare', () => {
    expect(unlocked([event('cleaning_completed', P.cleaning_completed())])).toEqual(['first_clean']);
    expect(unlocked([event('dataset_prepared', P.dataset_prepared())])).toEqual(['first_prepare']);
  });

  it('first_training: a completed run; a requested one is not enough', () => {
    expect(has(train('t1', 'hf:a'), 'first_training')).toBe(true);
    expect(has(train('t1', 'hf:a').slice(0, 2), 'first_training')).toBe(false);
  });

  it('three_base_models: completed runs on three bases; two bases, or a third that never completed, do not count', () => {
    expect(has([...train('t1', 'hf:a'), ...train('t2', 'hf:b'), ...train('t3', 'hf:c')], 'three_base_models')).toBe(true);
    expect(has([...train('t1', 'hf:a'), ...train('t2', 'hf:b'), ...train('t3', 'hf:a')], 'three_base_models')).toBe(false);
    expect(has([...train('t1', 'hf:a'), ...train('t2', 'hf:b'), ...train('t3', 'hf:c').slice(0, 2)], 'three_base_models')).toBe(false);
  });

  it('dpo_run: a completed DPO run; a LoRA run is not one', () => {
    expect(has(train('t1', 'hf:a', 'dpo'), 'dpo_run')).toBe(true);
    expect(has(train('t1', 'hf:a', 'lora'), 'dpo_run')).toBe(false);
  });

  it('oom_recovery: a run completes after an OOM; an OOM alone, or a success before the OOM, does not count', () => {
    const oom = event('training_oom', P.training_oom(), { run: 't1', actor: 'service:trainer' });
    expect(has([oom, ...train('t2', 'hf:a')], 'oom_recovery')).toBe(true);
    expect(has([oom], 'oom_recovery')).toBe(false);
    expect(has([...train('t2', 'hf:a'), oom], 'oom_recovery')).toBe(false);
  });

  it('first_eval and promotable_eval: any verdict vs a promotable one', () => {
    expect(unlocked([event('eval_completed', P.eval_completed(false))])).toEqual(['first_eval']);
    expect(unlocked([event('eval_completed', P.eval_completed(true))])).toEqual(['first_eval', 'promotable_eval']);
  });

  it('safety_checked: an evaluation with the safety suite’s rates; without them it is not', () => {
    expect(has([event('eval_completed', P.eval_completed(false, { accuracy: 0.5, refusal_rate: 0.1 }))], 'safety_checked')).toBe(true);
    expect(has([event('eval_completed', P.eval_completed(false, { accuracy: 0.5 }))], 'safety_checked')).toBe(false);
  });

  it('first_export and quantized_export: q4_k_m counts as quantized, f16 does not', () => {
    expect(unlocked([event('export_completed', P.export_completed('q4_k_m'))])).toEqual(['first_export', 'quantized_export']);
    expect(unlocked([event('export_completed', P.export_completed('f16'))])).toEqual(['first_export']);
  });

  it('first_deploy and first_rollback', () => {
    expect(unlocked([event('deployment_promoted', P.deployment_promoted(), { run: 'deploy-default' })])).toEqual(['first_deploy']);
    expect(unlocked([event('deployment_rolled_back', P.deployment_rolled_back(), { run: 'deploy-default' })])).toEqual(['first_rollback']);
  });

  it('every achievement defined is reachable by one of the tests above', () => {
    expect(ACHIEVEMENTS.map((a) => a.id).sort()).toEqual(
      ['dpo_run', 'first_clean', 'first_deploy', 'first_eval', 'first_export', 'first_import', 'first_prepare', 'first_rollback', 'first_training', 'oom_recovery', 'promotable_eval', 'quantized_export', 'reused_mapping', 'safety_checked', 'three_base_models', 'three_sources'].sort(),
    );
  });
});

describe('XP', () => {
  it('credits the user who asked for the run, not the services that did the work; achievements add XP once', () => {
    const s = fold([
      event('training_requested', P.training_requested('hf:a'), { run: 't1', actor: 'user:ada' }),
      event('training_completed', P.training_completed(), { run: 't1', actor: 'service:trainer' }),
      event('eval_completed', P.eval_completed(true), { run: 'e1', parent: 't1', actor: 'service:evaluation' }),
      event('training_requested', P.training_requested('hf:a'), { run: 't2', actor: 'user:bob' }),
      event('training_completed', P.training_completed(), { run: 't2', actor: 'service:trainer' }),
    ]);
    const ada = XP_BY_CODE['training_completed']! + XP_PER_ACHIEVEMENT + XP_BY_CODE['eval_completed']! + 40 + 2 * XP_PER_ACHIEVEMENT;
    expect(s.xp_by_actor).toEqual({ 'user:ada': ada, 'user:bob': XP_BY_CODE['training_completed'] });
    expect(s.xp_total).toBe(ada + XP_BY_CODE['training_completed']!);
    expect(s.achievements['first_training']).toMatchObject({ actor: 'user:ada', run_id: 't1' });
    expect(s.recent[0]).toMatchObject({ run_id: 't2', actor: 'user:bob', xp: 100 });
  });

  it('the same event delivered twice counts once', () => {
    const e = event('export_completed', P.export_completed('q8_0'), { id: '019a9b00-0000-7000-8000-000000000001' });
    const once = fold([e]);
    const twice = fold([e, e]);
    expect(twice).toEqual(once);
    expect(once.xp_total).toBe(XP_BY_CODE['export_completed']! + 2 * XP_PER_ACHIEVEMENT);
  });

  it('failures earn nothing; other projects are kept apart', () => {
    const all = foldJournals(new Map(), [event('training_oom', P.training_oom()), event('cleaning_completed', P.cleaning_completed(), { project: 'other' })]);
    expect(all.get('lab')!.xp_total).toBe(0);
    expect(all.get('other')!.xp_total).toBe(XP_BY_CODE['cleaning_completed']! + XP_PER_ACHIEVEMENT);
  });

  it('the view lists every achievement, locked or unlocked, and users by XP', () => {
    const v = journalView(fold([event('dataset_prepared', P.dataset_prepared())]));
    expect(v.achievements).toHaveLength(ACHIEVEMENTS.length);
    expect(v.achievements.find((a) => a.id === 'first_prepare')!.unlocked).not.toBeNull();
    expect(v.achievements.find((a) => a.id === 'first_deploy')!.unlocked).toBeNull();
    expect(v).toMatchObject({ unlocked_count: 1, level: 1, xp: 80, users: [{ actor: 'user:ada', xp: 80 }] });
  });
});
