import { describe, expect, it } from '@jest/globals';
import { emptyJournal, journalView } from '@distillery/lab-journal';
import { renderJournal } from '../src/commands/journal.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('distillery journal', () => {
  it('shows the level with an XP bar, users, every achievement locked or unlocked, and recent XP', () => {
    const s = emptyJournal('lab');
    s.xp_total = 200;
    s.xp_by_actor = { 'user:ada': 200 };
    s.achievements['first_training'] = { unlocked_at: '2026-11-22T10:00:00.000Z', event_id: 'e', run_id: 't-1', actor: 'user:ada' };
    s.recent = [{ event_id: 'e', reason_code: 'training_completed', run_id: 't-1', actor: 'user:ada', xp: 150, at: '2026-11-22T10:00:00.000Z', note: 'done · unlocked: First distillate' }];
    const text = plain(renderJournal(journalView(s)));
    expect(text).toContain('Lab journal · lab  level 2  ████████████░░░░░░░░░░░░ 200 / 300 XP');
    expect(text).toMatch(/user:ada\s+level {2}2\s+200 XP/);
    expect(text).toContain('✓ First distillate');
    expect(text).toMatch(/· Bottled\s+Exported a model bundle/);
    expect(text).toContain('achievements 1/16');
    expect(text).toContain('+150 XP user:ada done · unlocked: First distillate');
  });
});
