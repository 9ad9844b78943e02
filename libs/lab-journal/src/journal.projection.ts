import { sql } from 'kysely';
import type { AnyDb, AnyTrx, Projection, StoredEvent } from '@distillery/projection-runtime';
import { emptyJournal, foldJournals, type JournalState } from './journal.fold.js';

export const LAB_JOURNAL_VIEW = 'lab_journal';
const table = (v: number) => `lab_journal_v${v}`;

/**
 * The lab journal: one row per project holding the fold's state (JSON) and the sequence it has folded up to. A batch
 * loads the rows of its projects, folds the batch in log order and writes them back; the fold is pure, so a replay
 * (rebuild) yields the same rows, and an event already folded (same or lower sequence) is skipped.
 */
export const labJournalProjection: Projection = {
  name: 'lab_journal',

  async createVersion(db: AnyDb, v: number) {
    await db.schema
      .createTable(table(v))
      .ifNotExists()
      .addColumn('project_id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'jsonb', (c) => c.notNull())
      .addColumn('xp_total', 'integer', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .execute();
  },

  async activateVersion(trx: AnyTrx, v: number) {
    await sql`drop view if exists ${sql.id(LAB_JOURNAL_VIEW)}`.execute(trx);
    await sql`create view ${sql.id(LAB_JOURNAL_VIEW)} as select * from ${sql.table(table(v))}`.execute(trx);
  },

  async dropVersion(db: AnyDb, v: number) {
    await db.schema.dropTable(table(v)).ifExists().cascade().execute();
  },

  async apply(trx: AnyTrx, v: number, events: readonly StoredEvent[]) {
    if (events.length === 0) return;
    const projects = [...new Set(events.map((e) => e.event.project_id))];
    const rows = (await trx.selectFrom(table(v)).select(['project_id', 'state', 'last_seq']).where('project_id', 'in', projects).execute()) as Array<{ project_id: string; state: unknown; last_seq: string | number }>;
    const start = new Map<string, JournalState>();
    const lastSeq = new Map<string, number>();
    for (const r of rows) {
      start.set(r.project_id, (typeof r.state === 'string' ? JSON.parse(r.state) : r.state) as JournalState);
      lastSeq.set(r.project_id, Number(r.last_seq));
    }
    const fresh = events.filter((e) => e.seq > (lastSeq.get(e.event.project_id) ?? 0));
    const folded = foldJournals(start, fresh.map((e) => e.event));
    for (const project of projects) {
      const s = folded.get(project) ?? emptyJournal(project);
      const seq = Math.max(lastSeq.get(project) ?? 0, ...events.filter((e) => e.event.project_id === project).map((e) => e.seq));
      await trx
        .insertInto(table(v))
        .values({ project_id: project, state: JSON.stringify(s), xp_total: s.xp_total, last_seq: seq })
        .onConflict((oc) => oc.column('project_id').doUpdateSet({ state: JSON.stringify(s), xp_total: s.xp_total, last_seq: seq }))
        .execute();
    }
  },
};

/** One project's journal state, or undefined before its first event. */
export async function readJournal(db: AnyDb, projectId: string): Promise<JournalState | undefined> {
  const r = (await db.selectFrom(LAB_JOURNAL_VIEW).select('state').where('project_id', '=', projectId).executeTakeFirst()) as { state: unknown } | undefined;
  if (!r) return undefined;
  return (typeof r.state === 'string' ? JSON.parse(r.state) : r.state) as JournalState;
}

/** Every journal row in project order, for comparing a live projection with a rebuilt one. */
export async function dumpJournals(db: AnyDb): Promise<Array<{ project_id: string; state: JournalState; xp_total: number }>> {
  const rows = (await db.selectFrom(LAB_JOURNAL_VIEW).select(['project_id', 'state', 'xp_total']).orderBy('project_id').execute()) as Array<{ project_id: string; state: unknown; xp_total: number }>;
  return rows.map((r) => ({ project_id: r.project_id, xp_total: Number(r.xp_total), state: (typeof r.state === 'string' ? JSON.parse(r.state) : r.state) as JournalState }));
}
