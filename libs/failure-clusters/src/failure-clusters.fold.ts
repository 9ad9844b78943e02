import { createHash } from 'node:crypto';
import type { RunEvent, Severity } from '@distillery/contracts';
import { signatureOf } from './signature.js';

/** Exemplars kept per cluster: the newest, by stream sequence. */
export const EXEMPLARS_KEPT = 5;

/** The severities a failure event carries. */
export type FailureSeverity = Exclude<Severity, 'info' | 'warning'>;

/** One failure event, as a cluster shows it. */
export interface Exemplar {
  readonly seq: number;
  readonly event_id: string;
  readonly run_id: string;
  readonly summary: string;
  readonly severity: FailureSeverity;
  readonly occurred_at: string;
}

/** What one batch adds to a cluster for one run. */
export interface ClusterRunDelta {
  readonly run_id: string;
  event_count: number;
  first_seen: string;
  last_seen: string;
  first_seq: number;
  last_seq: number;
}

/** What a batch of events adds to one cluster: merged into its row by the projection (sums, least/greatest, newest). */
export interface ClusterDelta {
  readonly cluster_id: string;
  readonly project_id: string;
  readonly stage: string;
  readonly reason_code: string;
  readonly signature: string;
  event_count: number;
  error_count: number;
  critical_count: number;
  first_seen: string;
  last_seen: string;
  first_seq: number;
  last_seq: number;
  last_summary: string;
  last_run_id: string;
  readonly runs: Map<string, ClusterRunDelta>;
  /** Newest first, at most EXEMPLARS_KEPT. */
  exemplars: Exemplar[];
}

export const isFailure = (e: Pick<RunEvent, 'severity'>): boolean => e.severity === 'error' || e.severity === 'critical';

/**
 * The id of a cluster: a digest of what it is grouped by, so the same events give the same id in every rebuild and
 * on every machine. 24 hex characters (96 bits); URL- and subject-safe.
 */
export function clusterIdOf(projectId: string, stage: string, reasonCode: string, signature: string): string {
  return createHash('sha256').update([projectId, stage, reasonCode, signature].join('\u0000')).digest('hex').slice(0, 24);
}

const earlier = (a: string, b: string) => (Date.parse(b) < Date.parse(a) ? b : a);
const later = (a: string, b: string) => (Date.parse(b) > Date.parse(a) ? b : a);

/**
 * Folds events (in stream order) into one delta per cluster; events that are not error or critical are skipped.
 * Merging is associative (sums, min/max, newest by sequence), so a live batch and a rebuild chunk fold alike.
 */
export function foldFailures(into: Map<string, ClusterDelta>, events: ReadonlyArray<{ seq: number; event: RunEvent }>): void {
  for (const { seq, event: e } of events) {
    if (!isFailure(e)) continue;
    const signature = signatureOf(e.summary, { run_id: e.run_id });
    const id = clusterIdOf(e.project_id, e.stage, e.reason_code, signature);
    let c = into.get(id);
    if (!c) {
      c = {
        cluster_id: id,
        project_id: e.project_id,
        stage: e.stage,
        reason_code: e.reason_code,
        signature,
        event_count: 0,
        error_count: 0,
        critical_count: 0,
        first_seen: e.occurred_at,
        last_seen: e.occurred_at,
        first_seq: seq,
        last_seq: seq,
        last_summary: e.summary,
        last_run_id: e.run_id,
        runs: new Map(),
        exemplars: [],
      };
      into.set(id, c);
    }
    c.event_count += 1;
    if (e.severity === 'critical') c.critical_count += 1;
    else c.error_count += 1;
    c.first_seen = earlier(c.first_seen, e.occurred_at);
    c.last_seen = later(c.last_seen, e.occurred_at);
    c.first_seq = Math.min(c.first_seq, seq);
    if (seq >= c.last_seq) {
      c.last_seq = seq;
      c.last_summary = e.summary;
      c.last_run_id = e.run_id;
    }

    const r = c.runs.get(e.run_id);
    if (!r) c.runs.set(e.run_id, { run_id: e.run_id, event_count: 1, first_seen: e.occurred_at, last_seen: e.occurred_at, first_seq: seq, last_seq: seq });
    else {
      r.event_count += 1;
      r.first_seen = earlier(r.first_seen, e.occurred_at);
      r.last_seen = later(r.last_seen, e.occurred_at);
      r.first_seq = Math.min(r.first_seq, seq);
      r.last_seq = Math.max(r.last_seq, seq);
    }

    const exemplar: Exemplar = { seq, event_id: e.id, run_id: e.run_id, summary: e.summary, severity: e.severity as FailureSeverity, occurred_at: e.occurred_at };
    c.exemplars = [exemplar, ...c.exemplars.filter((x) => x.seq !== seq)].sort((a, b) => b.seq - a.seq).slice(0, EXEMPLARS_KEPT);
  }
}

/** One delta per cluster of a batch (the live path). */
export function foldClusters(events: ReadonlyArray<{ seq: number; event: RunEvent }>): ClusterDelta[] {
  const m = new Map<string, ClusterDelta>();
  foldFailures(m, events);
  return [...m.values()];
}
