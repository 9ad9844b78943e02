import { describe, expect, it } from '@jest/globals';
import type { RunEventOf } from '@distillery/contracts';
import { planDemoRun } from '../src/index.js';

const request = (payload: RunEventOf<'demo_run_requested'>['payload']): RunEventOf<'demo_run_requested'> => ({
  id: '0193a1b2-0000-7000-8000-000000000001',
  project_id: 'p',
  run_id: 'demo-1',
  parent_run_id: null,
  stage: 'demo',
  reason_code: 'demo_run_requested',
  severity: 'info',
  actor: 'user:alice',
  summary: 'demo',
  payload,
  occurred_at: '2026-01-01T00:00:00.000Z',
  correlation_id: 'c',
  causation_id: null,
  trace_id: null,
  span_id: null,
  producer: 'api@1',
  schema_version: 1,
});

describe('planDemoRun', () => {
  it('starts, steps through children and completes naming them', () => {
    const steps = planDemoRun(request({ steps: 3, children: 2 }));
    const codes = steps.map((s) => `${s.draft.run_id}:${s.draft.reason_code}`);
    expect(codes[0]).toBe('demo-1:demo_run_started');
    expect(codes.at(-1)).toBe('demo-1:demo_run_completed');
    expect(codes.filter((c) => c === 'demo-1:demo_run_progress')).toHaveLength(3);
    expect(codes.filter((c) => c.endsWith('demo_run_completed'))).toHaveLength(3);
    const last = steps.at(-1)!.draft;
    expect(last.payload).toEqual({ steps: 3, child_runs: ['demo-1-child-1', 'demo-1-child-2'] });
    const children = steps.filter((s) => s.draft.run_id !== 'demo-1');
    expect(children.every((s) => s.draft.parent_run_id === 'demo-1')).toBe(true);
  });

  it('fails the last child when asked, and never repeats a (run, code, key) triple', () => {
    const steps = planDemoRun(request({ steps: 1, children: 2, fail_child: true }));
    const failed = steps.filter((s) => s.draft.reason_code === 'demo_run_failed');
    expect(failed.map((s) => s.draft.run_id)).toEqual(['demo-1-child-2']);
    expect(failed[0]!.draft.summary).toMatch(/failed on purpose/);
    const keys = steps.map((s) => `${s.draft.run_id}|${s.draft.reason_code}|${s.dedupKey}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is deterministic: the same request plans the same steps', () => {
    expect(planDemoRun(request({ steps: 2, children: 1 }))).toEqual(planDemoRun(request({ steps: 2, children: 1 })));
  });
});
