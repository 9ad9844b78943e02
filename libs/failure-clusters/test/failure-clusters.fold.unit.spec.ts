import { describe, expect, it } from '@jest/globals';
import type { RunEvent } from '@distillery/contracts';
import { clusterIdOf, EXEMPLARS_KEPT, foldClusters, foldFailures, type ClusterDelta } from '../src/index.js';

let n = 0;
const ev = (over: Partial<RunEvent>): RunEvent =>
  ({
    id: `0193a1b2-c3d4-7e5f-8a9b-${String((n += 1)).padStart(12, '0')}`,
    project_id: 'proj',
    run_id: 'train-a',
    parent_run_id: null,
    stage: 'training',
    reason_code: 'training_oom',
    severity: 'error',
    actor: 'service:trainer',
    summary: 'out of memory at step 10: CUDA out of memory',
    payload: { step: 10, failure: { error_class: 'EngineOomError', message: 'CUDA out of memory' } },
    occurred_at: '2026-11-22T10:00:00.000Z',
    correlation_id: 'c',
    causation_id: null,
    trace_id: null,
    span_id: null,
    producer: 'trainer@0.1.0',
    schema_version: 1,
    ...over,
  }) as RunEvent;

describe('failure cluster fold', () => {
  const events = [
    { seq: 1, event: ev({ severity: 'info', reason_code: 'training_started', summary: 'started' } as Partial<RunEvent>) },
    { seq: 2, event: ev({ summary: 'out of memory at step 1200: CUDA out of memory', occurred_at: '2026-11-22T10:00:02.000Z' }) },
    { seq: 3, event: ev({ run_id: 'train-b', summary: 'out of memory at step 4500: CUDA out of memory', occurred_at: '2026-11-22T10:00:01.000Z' }) },
    { seq: 4, event: ev({ run_id: 'train-b', severity: 'critical', summary: 'out of memory at step 9: CUDA out of memory', occurred_at: '2026-11-22T10:00:05.000Z' }) },
    { seq: 5, event: ev({ severity: 'warning', reason_code: 'preflight_warning', summary: 'x' } as Partial<RunEvent>) },
    { seq: 6, event: ev({ reason_code: 'training_runtime_error', summary: 'training failed at step 3: loss is NaN', occurred_at: '2026-11-22T10:00:03.000Z' }) },
    { seq: 7, event: ev({ project_id: 'other', summary: 'out of memory at step 1: CUDA out of memory' }) },
  ];

  it('groups error and critical events by project, stage, code and signature; skips the rest', () => {
    const deltas = foldClusters(events);
    expect(deltas.map((d) => [d.project_id, d.reason_code, d.signature, d.event_count])).toEqual([
      ['proj', 'training_oom', 'out of memory at step <n>: CUDA out of memory', 3],
      ['proj', 'training_runtime_error', 'training failed at step <n>: loss is NaN', 1],
      ['other', 'training_oom', 'out of memory at step <n>: CUDA out of memory', 1],
    ]);
    const oom = deltas[0]!;
    expect(oom.cluster_id).toBe(clusterIdOf('proj', 'training', 'training_oom', 'out of memory at step <n>: CUDA out of memory'));
    expect(oom.cluster_id).toMatch(/^[0-9a-f]{24}$/);
    expect(oom.cluster_id).not.toBe(deltas[2]!.cluster_id);
    expect(oom).toMatchObject({
      error_count: 2,
      critical_count: 1,
      first_seen: '2026-11-22T10:00:01.000Z',
      last_seen: '2026-11-22T10:00:05.000Z',
      first_seq: 2,
      last_seq: 4,
      last_summary: 'out of memory at step 9: CUDA out of memory',
      last_run_id: 'train-b',
    });
    expect([...oom.runs.values()]).toEqual([
      { run_id: 'train-a', event_count: 1, first_seen: '2026-11-22T10:00:02.000Z', last_seen: '2026-11-22T10:00:02.000Z', first_seq: 2, last_seq: 2 },
      { run_id: 'train-b', event_count: 2, first_seen: '2026-11-22T10:00:01.000Z', last_seen: '2026-11-22T10:00:05.000Z', first_seq: 3, last_seq: 4 },
    ]);
    expect(oom.exemplars.map((x) => [x.seq, x.run_id, x.severity])).toEqual([
      [4, 'train-b', 'critical'],
      [3, 'train-b', 'error'],
      [2, 'train-a', 'error'],
    ]);
  });

  it('keeps only the newest exemplars', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ seq: 100 + i, event: ev({ run_id: `r-${i % 3}`, summary: `out of memory at step ${i}` }) }));
    const [d] = foldClusters(many);
    expect(d!.exemplars.map((x) => x.seq)).toEqual([111, 110, 109, 108, 107].slice(0, EXEMPLARS_KEPT));
    expect(d!.event_count).toBe(12);
    expect(d!.runs.size).toBe(3);
  });

  it('folds the same in one pass or in chunks (a rebuild folds chunks of the log)', () => {
    const whole = new Map<string, ClusterDelta>();
    foldFailures(whole, events);
    const chunked = new Map<string, ClusterDelta>();
    for (const e of events) foldFailures(chunked, [e]);
    expect([...chunked.values()]).toEqual([...whole.values()]);
  });
});
