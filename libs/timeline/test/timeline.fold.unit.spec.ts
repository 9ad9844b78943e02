import { describe, expect, it } from '@jest/globals';
import type { RunEvent } from '@distillery/contracts';
import { foldRuns } from '../src/timeline.fold.js';

let n = 0;
const ev = (over: Partial<RunEvent>): { seq: number; event: RunEvent } => {
  n += 1;
  return {
    seq: n,
    event: {
      id: `0193a1b2-0000-7000-8000-${String(n).padStart(12, '0')}`,
      project_id: 'p',
      run_id: 'r',
      parent_run_id: null,
      stage: 'demo',
      reason_code: 'demo_run_progress',
      severity: 'info',
      actor: 'service:t',
      summary: `s${n}`,
      payload: { step: 1, total: 1 },
      occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
      correlation_id: 'c',
      causation_id: null,
      trace_id: null,
      span_id: null,
      producer: 't@1',
      schema_version: 1,
      ...over,
    } as RunEvent,
  };
};

describe('foldRuns', () => {
  it('aggregates counts, severities, stages and the latest event per run', () => {
    const deltas = foldRuns([
      ev({}),
      ev({ severity: 'error', reason_code: 'demo_run_failed', summary: 'boom', actor: 'service:x' } as Partial<RunEvent>),
      ev({ run_id: 'other', stage: 'system', reason_code: 'event_schema_invalid', severity: 'error' } as Partial<RunEvent>),
      ev({ severity: 'warning', parent_run_id: 'root', summary: 'last' }),
    ]);
    expect(deltas).toHaveLength(2);
    const r = deltas.find((d) => d.run_id === 'r')!;
    expect(r.event_count).toBe(3);
    expect([r.info_count, r.warning_count, r.error_count, r.critical_count]).toEqual([1, 1, 1, 0]);
    expect(r.highest_severity_rank).toBe(2);
    expect(r.parent_run_id).toBe('root');
    expect(r.last_summary).toBe('last');
    expect(r.latest_reason_code).toBe('demo_run_progress');
    expect(r.stages).toEqual(['demo']);
    expect(Date.parse(r.last_at) - Date.parse(r.first_at)).toBe(3000);
    const o = deltas.find((d) => d.run_id === 'other')!;
    expect(o.stages).toEqual(['system']);
  });

  it('keeps the earliest first_at even when events arrive out of time order', () => {
    const late = ev({});
    const early = ev({ occurred_at: '2020-01-01T00:00:00.000Z' });
    const [d] = foldRuns([late, early]);
    expect(d!.first_at).toBe('2020-01-01T00:00:00.000Z');
    expect(d!.last_at).toBe(late.event.occurred_at);
    expect(d!.last_summary).toBe(early.event.summary);
  });
});
