import { describe, expect, it } from '@jest/globals';
import { auditQuery, renderAuditLine, renderRunAsOf } from '../src/commands/audit.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('distillery audit', () => {
  it('turns flags into the API’s filters: subtree, actor, free text, relative times', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    const q = auditQuery({ project: 'acme', subtree: 'train-1', actor: 'user:alice,user:bob', text: 'out of memory', severity: 'error', since: '2h' }, now);
    expect(Object.fromEntries(q)).toEqual({ project_id: 'acme', root_run_id: 'train-1', actor: 'user:alice,user:bob', q: 'out of memory', severity: 'error', since: '2026-11-22T10:00:00.000Z' });
    expect(() => auditQuery({ until: 'yesterday' })).toThrow(/--until yesterday: expected a time/);
  });

  it('renders an event and a run as of a time', () => {
    expect(plain(renderAuditLine({ seq: 7, occurred_at: '2026-11-22T10:00:00.000Z', severity: 'error', run_id: 'train-1', reason_code: 'training_oom', actor: 'service:trainer', summary: 'out of memory at step 300' }))).toBe(
      '#7 2026-11-22T10:00:00.000Z error    train-1 training_oom service:trainer out of memory at step 300',
    );
    const text = plain(
      renderRunAsOf({
        project_id: 'acme', run_id: 'train-1', parent_run_id: null, children_count: 1, orphan: false, first_at: '2026-11-22T10:00:00.000Z', last_at: '2026-11-22T10:00:02.000Z', duration_ms: 2000, event_count: 3,
        counts: { info: 2, warning: 0, error: 1, critical: 0 }, highest_severity: 'error', latest_reason_code: 'training_oom', latest_stage: 'training', latest_seq: 9, stages: ['training'], last_summary: 'oom', last_actor: 'service:trainer', as_of: '2026-11-22T10:00:05.000Z',
      }),
    );
    expect(text).toContain('train-1 (acme) as of 2026-11-22T10:00:05.000Z');
    expect(text).toContain('3 events (2 info, 0 warning, 1 error, 0 critical), 1 child runs');
    expect(text).toContain('latest: training_oom (training) by service:trainer: oom');
  });
});
