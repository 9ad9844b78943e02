import { z } from 'zod';
import { ArtifactRef, eventSubject, TASK_PROFILES, type ReasonCode, type RunEvent, type RunEventOf, type Stage } from '@distillery/contracts';
import type { EventLog } from '@distillery/eventlog';

/** Reads of the event log the deployment service needs: a slot's history, and facts about training / eval / export runs. */

/** Every (decodable) event of one run of a project, in log order. */
export async function runEvents(log: EventLog, projectId: string, runId: string): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const batch of log.read({ fromSeq: 1, follow: false, filterSubject: `${log.subjectPrefix}.${projectId}.${runId}.>` })) {
    for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event);
  }
  return out;
}

/** The last event of a code on a run. */
export async function lastOf<C extends ReasonCode>(log: EventLog, projectId: string, runId: string, stage: Stage, code: C): Promise<RunEventOf<C> | undefined> {
  return (await log.lastEventOn(eventSubject(log.subjectPrefix, { project_id: projectId, run_id: runId, stage, reason_code: code })))?.event as RunEventOf<C> | undefined;
}

/** Every event of one code in a project (any run), in log order. */
async function eventsOfCode<C extends ReasonCode>(log: EventLog, projectId: string, stage: Stage, code: C): Promise<Array<RunEventOf<C>>> {
  const out: Array<RunEventOf<C>> = [];
  for await (const batch of log.read({ fromSeq: 1, follow: false, filterSubject: `${log.subjectPrefix}.${projectId}.*.${stage}.${code}` })) {
    for (const m of batch) if (m.decoded.ok) out.push(m.decoded.event as RunEventOf<C>);
  }
  return out;
}

/** The latest `eval_completed` of a training run (an eval names it in its payload, or as its parent run). */
export async function latestEvalOf(log: EventLog, projectId: string, trainingRunId: string): Promise<RunEventOf<'eval_completed'> | undefined> {
  const evals = await eventsOfCode(log, projectId, 'eval', 'eval_completed');
  return evals.filter((e) => (e.payload.training_run_id ?? e.parent_run_id) === trainingRunId).at(-1);
}

/** The `export_completed` whose bundle is this one (by digest), if the bundle came out of an export. */
export async function exportOfBundle(log: EventLog, projectId: string, sha256: string): Promise<RunEventOf<'export_completed'> | undefined> {
  return (await eventsOfCode(log, projectId, 'export', 'export_completed')).filter((e) => e.payload.bundle_ref.sha256 === sha256).at(-1);
}

/** The parts of a train plan the deployment needs (the plan itself belongs to libs/recipes; read leniently). */
export const PlanFacts = z.object({
  task_profile: z.enum(TASK_PROFILES),
  manifest: ArtifactRef,
  base_model: z.object({ locator: z.string().min(1) }),
});
export type PlanFacts = z.infer<typeof PlanFacts>;

/** What the log says about a training run: its output (once completed) and its plan. */
export interface TrainingFacts {
  readonly run_id: string;
  readonly model_ref?: ArtifactRef;
  readonly plan_ref?: ArtifactRef;
}

export async function trainingFacts(log: EventLog, projectId: string, runId: string): Promise<TrainingFacts> {
  const done = await lastOf(log, projectId, runId, 'training', 'training_completed');
  const dispatched = await lastOf(log, projectId, runId, 'training', 'training_dispatched');
  return { run_id: runId, ...(done ? { model_ref: done.payload.model_ref } : {}), ...(dispatched ? { plan_ref: dispatched.payload.plan_ref } : {}) };
}
