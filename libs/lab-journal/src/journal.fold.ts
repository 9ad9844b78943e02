import type { RunEvent } from '@distillery/contracts';

/**
 * The lab journal: a pure fold over a project's RunEvents into XP, levels and achievements — the team's progress
 * through the lifecycle, told from the event log alone (no other input, so a replay rebuilds it exactly).
 *
 * Attribution: XP goes to the user behind the work. A run's user is the actor of its first event when that is a
 * `user:` actor, else its parent run's user, else whoever acted (a `service:` actor when no user is known, e.g.
 * events published by a pipeline). Services do the work; the journal credits the person who asked for it.
 */

/** XP per meaningful event (successful outcomes; failures earn nothing, recovering from them does). */
export const XP_BY_CODE: Readonly<Record<string, number>> = {
  dataset_import_run: 50,
  mapping_saved: 20,
  cleaning_completed: 30,
  dataset_prepared: 30,
  training_completed: 100,
  eval_completed: 60,
  export_completed: 50,
  deployment_promoted: 80,
  deployment_rolled_back: 20,
  deployment_drift_checked: 10,
  support_bundle_created: 10,
};
/** Extra XP for an evaluation whose verdict is promotable, and for every achievement unlocked. */
export const XP_PROMOTABLE_BONUS = 40;
export const XP_PER_ACHIEVEMENT = 50;

/** The XP a level starts at: 50·L·(L−1) — level 2 at 100, 3 at 300, 4 at 600, 5 at 1,000 … */
export const xpForLevel = (level: number): number => 50 * level * (level - 1);

/** The level of an XP total, and the progress towards the next one. */
export function levelOf(xp: number): { level: number; xp: number; level_floor: number; next_level_at: number; progress: number } {
  let level = 1;
  while (xpForLevel(level + 1) <= xp) level++;
  const floor = xpForLevel(level);
  const next = xpForLevel(level + 1);
  return { level, xp, level_floor: floor, next_level_at: next, progress: (xp - floor) / (next - floor) };
}

export interface AchievementDef {
  readonly id: string;
  readonly title: string;
  readonly description: string;
}

export const ACHIEVEMENTS: readonly AchievementDef[] = [
  { id: 'first_import', title: 'First import', description: 'Imported a dataset with at least one accepted row.' },
  { id: 'first_clean', title: 'Squeaky clean', description: 'Cleaned a dataset.' },
  { id: 'first_prepare', title: 'Mise en place', description: 'Prepared a dataset: splits and a manifest.' },
  { id: 'first_training', title: 'First distillate', description: 'Completed a training run.' },
  { id: 'first_eval', title: 'Measured', description: 'Evaluated a trained model.' },
  { id: 'promotable_eval', title: 'Good enough to ship', description: 'An evaluation passed every required gate.' },
  { id: 'first_export', title: 'Bottled', description: 'Exported a model bundle that passed its checks.' },
  { id: 'quantized_export', title: 'Travel size', description: 'Exported a quantized model (q8_0, q4_0, q4_k_m …).' },
  { id: 'first_deploy', title: 'On tap', description: 'Promoted a deployment version to live.' },
  { id: 'first_rollback', title: 'Undo', description: 'Rolled a deployment back to its predecessor.' },
  { id: 'reused_mapping', title: 'Creature of habit', description: 'Imported with a mapping saved earlier.' },
  { id: 'three_sources', title: 'Blender', description: 'Imported from three distinct sources.' },
  { id: 'three_base_models', title: 'Model zoo', description: 'Completed training runs on three distinct base models.' },
  { id: 'dpo_run', title: 'Preferences matter', description: 'Completed a DPO training run.' },
  { id: 'oom_recovery', title: 'Back from the brink', description: 'Completed a training run after one ran out of memory.' },
  { id: 'safety_checked', title: 'Red team', description: 'Ran the built-in safety suite in an evaluation.' },
];

export interface Unlocked {
  readonly unlocked_at: string;
  readonly event_id: string;
  readonly run_id: string;
  readonly actor: string;
}

export interface JournalEntry {
  readonly event_id: string;
  readonly reason_code: string;
  readonly run_id: string;
  readonly actor: string;
  readonly xp: number;
  readonly at: string;
  /** What earned it: the event's summary, or the achievement unlocked. */
  readonly note: string;
}

export interface RunFacts {
  actor: string;
  base_model?: string;
  saved_mapping_id?: string;
  method?: string;
}

/** One project's journal. Plain JSON, so it is stored as is and compared row for row after a replay. */
export interface JournalState {
  project_id: string;
  xp_total: number;
  xp_by_actor: Record<string, number>;
  achievements: Record<string, Unlocked>;
  /** The newest entries first, at most RECENT_KEPT. */
  recent: JournalEntry[];
  /** Ids of the events that earned XP: the same event delivered twice earns once. */
  awarded: string[];
  facts: { sources: string[]; base_models: string[]; saved_mappings: string[]; oom_seen: boolean; runs: Record<string, RunFacts> };
}

export const RECENT_KEPT = 25;

export const emptyJournal = (projectId: string): JournalState => ({
  project_id: projectId,
  xp_total: 0,
  xp_by_actor: {},
  achievements: {},
  recent: [],
  awarded: [],
  facts: { sources: [], base_models: [], saved_mappings: [], oom_seen: false, runs: {} },
});

const QUANTIZED = new Set(['q8_0', 'q4_0', 'q4_k_m']);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The run's facts, created on its first event (attribution: see the module comment). */
function runOf(s: JournalState, e: RunEvent): RunFacts {
  let r = s.facts.runs[e.run_id];
  if (!r) {
    const parent = e.parent_run_id ? s.facts.runs[e.parent_run_id] : undefined;
    r = { actor: e.actor.startsWith('user:') ? e.actor : (parent?.actor ?? e.actor) };
    s.facts.runs[e.run_id] = r;
  }
  return r;
}

/** Folds one event into the journal (mutating `s`); events of other projects are ignored. */
export function applyEvent(s: JournalState, e: RunEvent): void {
  if (e.project_id !== s.project_id) return;
  const run = runOf(s, e);
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const unlocks: string[] = [];
  const unlock = (id: string, when = true) => {
    if (when && !s.achievements[id]) unlocks.push(id);
  };

  switch (e.reason_code) {
    case 'dataset_import_requested': {
      const saved = str(p['saved_mapping_id']);
      if (saved) run.saved_mapping_id = saved;
      break;
    }
    case 'mapping_saved': {
      const id = str(p['saved_mapping_id']);
      if (id && !s.facts.saved_mappings.includes(id)) s.facts.saved_mappings.push(id);
      break;
    }
    case 'dataset_import_run': {
      if (Number(p['rows_accepted'] ?? 0) <= 0) break;
      const locator = str(p['resolved']) ?? str(p['locator']);
      if (locator && !s.facts.sources.includes(locator)) s.facts.sources.push(locator);
      unlock('first_import');
      unlock('three_sources', s.facts.sources.length >= 3);
      // Reuse: the import ran with a mapping that had been saved before this import asked for it.
      unlock('reused_mapping', run.saved_mapping_id !== undefined && s.facts.saved_mappings.includes(run.saved_mapping_id));
      break;
    }
    case 'cleaning_completed':
      unlock('first_clean');
      break;
    case 'dataset_prepared':
      unlock('first_prepare');
      break;
    case 'training_requested': {
      const recipe = (p['recipe'] ?? {}) as Record<string, unknown>;
      const base = str(p['base_model']) ?? str(recipe['base_model']);
      if (base) run.base_model = base;
      const method = str(recipe['method']);
      if (method) run.method = method;
      break;
    }
    case 'training_dispatched': {
      const method = str(p['method']);
      if (method) run.method = method;
      break;
    }
    case 'training_oom':
      s.facts.oom_seen = true;
      break;
    case 'training_completed': {
      const method = str(p['method']) ?? run.method;
      if (run.base_model && !s.facts.base_models.includes(run.base_model)) s.facts.base_models.push(run.base_model);
      unlock('first_training');
      unlock('three_base_models', s.facts.base_models.length >= 3);
      unlock('dpo_run', method === 'dpo');
      unlock('oom_recovery', s.facts.oom_seen);
      break;
    }
    case 'eval_completed': {
      unlock('first_eval');
      unlock('promotable_eval', p['promotable'] === true);
      const metrics = (p['metrics'] ?? {}) as Record<string, unknown>;
      unlock('safety_checked', typeof metrics['refusal_rate'] === 'number');
      break;
    }
    case 'export_completed':
      unlock('first_export');
      unlock('quantized_export', QUANTIZED.has(String(p['quantization'] ?? '').toLowerCase()));
      break;
    case 'deployment_promoted':
      unlock('first_deploy');
      break;
    case 'deployment_rolled_back':
      unlock('first_rollback');
      break;
  }

  const base = XP_BY_CODE[e.reason_code] ?? 0;
  const bonus = e.reason_code === 'eval_completed' && p['promotable'] === true ? XP_PROMOTABLE_BONUS : 0;
  const earned = base + bonus + unlocks.length * XP_PER_ACHIEVEMENT;
  if (earned === 0) return;
  if (s.awarded.includes(e.id)) return; // the same event again: already counted (and its achievements too)
  s.awarded.push(e.id);
  for (const id of unlocks) s.achievements[id] = { unlocked_at: e.occurred_at, event_id: e.id, run_id: e.run_id, actor: run.actor };
  s.xp_total += earned;
  s.xp_by_actor[run.actor] = (s.xp_by_actor[run.actor] ?? 0) + earned;
  const titles = unlocks.map((id) => ACHIEVEMENTS.find((a) => a.id === id)?.title ?? id);
  s.recent.unshift({ event_id: e.id, reason_code: e.reason_code, run_id: e.run_id, actor: run.actor, xp: earned, at: e.occurred_at, note: titles.length > 0 ? `${e.summary} · unlocked: ${titles.join(', ')}` : e.summary });
  if (s.recent.length > RECENT_KEPT) s.recent.length = RECENT_KEPT;
}

/** Folds events (in log order) into per-project journals, starting from the given states. */
export function foldJournals(start: ReadonlyMap<string, JournalState>, events: Iterable<RunEvent>): Map<string, JournalState> {
  const out = new Map(start);
  for (const e of events) {
    let s = out.get(e.project_id);
    if (!s) {
      s = emptyJournal(e.project_id);
      out.set(e.project_id, s);
    }
    applyEvent(s, e);
  }
  return out;
}

/** The journal as people read it: level, progress, every achievement locked or unlocked, per-user XP. */
export function journalView(s: JournalState) {
  return {
    project_id: s.project_id,
    ...levelOf(s.xp_total),
    users: Object.entries(s.xp_by_actor)
      .map(([actor, xp]) => ({ actor, ...levelOf(xp) }))
      .sort((a, b) => b.xp - a.xp || a.actor.localeCompare(b.actor)),
    achievements: ACHIEVEMENTS.map((a) => ({ ...a, unlocked: s.achievements[a.id] ?? null })),
    unlocked_count: Object.keys(s.achievements).length,
    achievements_total: ACHIEVEMENTS.length,
    recent: s.recent,
  };
}
export type JournalView = ReturnType<typeof journalView>;
