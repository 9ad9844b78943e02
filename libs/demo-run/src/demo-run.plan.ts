import type { RunEventDraft, RunEventOf } from '@distillery/contracts';

/** One event the demo worker will publish, with the key that makes its publish idempotent. */
export interface DemoStep {
  readonly draft: RunEventDraft;
  readonly dedupKey: string;
}

export const childRunId = (runId: string, i: number): string => `${runId}-child-${i + 1}`;

/**
 * Decides, purely, what a demo run emits: the run starts, each child run starts, steps and completes (the last
 * one fails when `fail_child` is set), then the parent steps and completes naming its children.
 * Replaying the same request yields the same steps and dedup keys, so a worker that crashes half-way and redoes
 * the run publishes nothing twice.
 */
export function planDemoRun(request: RunEventOf<'demo_run_requested'>): DemoStep[] {
  const { project_id, run_id } = request;
  const { steps, children, fail_child } = request.payload;
  const out: DemoStep[] = [];
  const push = (draft: RunEventDraft, dedupKey: string) => out.push({ draft, dedupKey });

  push({ reason_code: 'demo_run_started', project_id, run_id, parent_run_id: request.parent_run_id, summary: `demo run ${run_id} started: ${steps} steps, ${children} child runs`, payload: { steps } }, 'start');
  const childIds: string[] = [];
  for (let c = 0; c < children; c += 1) {
    const child = childRunId(run_id, c);
    childIds.push(child);
    const base = { project_id, run_id: child, parent_run_id: run_id } as const;
    push({ reason_code: 'demo_run_started', ...base, summary: `child run ${child} started`, payload: { steps: 2 } }, 'start');
    push({ reason_code: 'demo_run_progress', ...base, summary: `child run ${child}: step 1/2`, payload: { step: 1, total: 2 } }, 'step-1');
    if (fail_child && c === children - 1) {
      push(
        {
          reason_code: 'demo_run_failed',
          ...base,
          summary: `child run ${child} failed on purpose at step 2/2`,
          payload: { failure: { error_class: 'DemoFailure', message: 'fail_child was requested', fingerprint: 'demo-fail-child' } },
        },
        'failed',
      );
    } else {
      push({ reason_code: 'demo_run_progress', ...base, summary: `child run ${child}: step 2/2`, payload: { step: 2, total: 2 } }, 'step-2');
      push({ reason_code: 'demo_run_completed', ...base, summary: `child run ${child} completed`, payload: { steps: 2, child_runs: [] } }, 'done');
    }
  }
  for (let s = 1; s <= steps; s += 1) {
    push({ reason_code: 'demo_run_progress', project_id, run_id, parent_run_id: request.parent_run_id, summary: `demo run ${run_id}: step ${s}/${steps}`, payload: { step: s, total: steps } }, `step-${s}`);
  }
  push(
    { reason_code: 'demo_run_completed', project_id, run_id, parent_run_id: request.parent_run_id, summary: `demo run ${run_id} completed (${childIds.length} child runs)`, payload: { steps, child_runs: childIds } },
    'done',
  );
  return out;
}
