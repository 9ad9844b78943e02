import type { JournalView } from '@distillery/lab-journal';
import type { ApiClient } from '../api-client.js';
import { color } from '../render.js';

const out = (m: string): void => void process.stdout.write(`${m}\n`);

const bar = (progress: number, width = 24): string => {
  const full = Math.max(0, Math.min(width, Math.round(progress * width)));
  return color.green('█'.repeat(full)) + color.dim('░'.repeat(width - full));
};

/** The journal in a terminal: level and XP bar, users, achievements (✓ unlocked · locked), the newest entries. */
export function renderJournal(v: JournalView, recent = 8): string {
  const lines = [
    `${color.bold(`Lab journal · ${v.project_id}`)}  level ${color.bold(String(v.level))}  ${bar(v.progress)} ${v.xp} / ${v.next_level_at} XP`,
    '',
  ];
  for (const u of v.users) lines.push(`  ${u.actor.padEnd(24)} level ${String(u.level).padStart(2)}  ${String(u.xp).padStart(6)} XP`);
  if (v.users.length > 0) lines.push('');
  lines.push(color.dim(`achievements ${v.unlocked_count}/${v.achievements_total}`));
  for (const a of v.achievements) {
    lines.push(a.unlocked ? `  ${color.green('✓')} ${a.title.padEnd(22)} ${color.dim(`${a.unlocked.unlocked_at.slice(0, 10)} ${a.unlocked.actor} (${a.unlocked.run_id})`)}` : `  ${color.dim('·')} ${color.dim(a.title.padEnd(22))} ${color.dim(a.description)}`);
  }
  if (v.recent.length > 0) {
    lines.push('', color.dim('recent'));
    for (const e of v.recent.slice(0, recent)) lines.push(`  ${color.dim(e.at.slice(0, 19).replace('T', ' '))} +${String(e.xp).padStart(3)} XP ${e.actor} ${color.dim(e.note)}`);
  }
  return lines.join('\n');
}

export async function journalCommand(api: ApiClient, f: { project: string; json: boolean }): Promise<number> {
  const v: JournalView = await api.request(`/api/projects/${encodeURIComponent(f.project)}/journal`);
  out(f.json ? JSON.stringify(v) : renderJournal(v));
  return 0;
}
