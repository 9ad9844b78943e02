import { SEVERITY_RANK, type RunEvent } from '@distillery/contracts';

/** The per-run aggregate of one batch: pure, so it is unit-tested without a database. */
export interface RunDelta {
  project_id: string;
  run_id: string;
  parent_run_id: string | null;
  first_at: string;
  last_at: string;
  event_count: number;
  info_count: number;
  warning_count: number;
  error_count: number;
  critical_count: number;
  highest_severity_rank: number;
  stages: string[];
  latest_seq: number;
  latest_reason_code: string;
  latest_stage: string;
  last_summary: string;
  last_actor: string;
}

const key = (e: Pick<RunEvent, 'project_id' | 'run_id'>) => `${e.project_id}\u0000${e.run_id}`;

/** Folds events (in stream order) into one delta per run. Merging deltas is associative, so batching is free. */
export function foldRuns(events: ReadonlyArray<{ seq: number; event: RunEvent }>): RunDelta[] {
  const runs = new Map<string, RunDelta>();
  foldInto(runs, events);
  return [...runs.values()];
}

/** Folds more events into an existing per-run map (a rebuild folds a large chunk of the log before writing). */
export function foldInto(runs: Map<string, RunDelta>, events: ReadonlyArray<{ seq: number; event: RunEvent }>): void {
  for (const { seq, event: e } of events) {
    const k = key(e);
    let d = runs.get(k);
    if (!d) {
      d = {
        project_id: e.project_id,
        run_id: e.run_id,
        parent_run_id: e.parent_run_id,
        first_at: e.occurred_at,
        last_at: e.occurred_at,
        event_count: 0,
        info_count: 0,
        warning_count: 0,
        error_count: 0,
        critical_count: 0,
        highest_severity_rank: 0,
        stages: [],
        latest_seq: seq,
        latest_reason_code: e.reason_code,
        latest_stage: e.stage,
        last_summary: e.summary,
        last_actor: e.actor,
      };
      runs.set(k, d);
    }
    d.event_count += 1;
    d[`${e.severity}_count`] += 1;
    d.highest_severity_rank = Math.max(d.highest_severity_rank, SEVERITY_RANK[e.severity]);
    if (!d.stages.includes(e.stage)) d.stages.push(e.stage);
    if (d.parent_run_id === null && e.parent_run_id !== null) d.parent_run_id = e.parent_run_id;
    if (Date.parse(e.occurred_at) < Date.parse(d.first_at)) d.first_at = e.occurred_at;
    if (Date.parse(e.occurred_at) > Date.parse(d.last_at)) d.last_at = e.occurred_at;
    if (seq >= d.latest_seq) {
      d.latest_seq = seq;
      d.latest_reason_code = e.reason_code;
      d.latest_stage = e.stage;
      d.last_summary = e.summary;
      d.last_actor = e.actor;
    }
  }
}
