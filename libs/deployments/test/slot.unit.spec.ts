import { describe, expect, it } from '@jest/globals';
import { decide, DeploymentCommandError, emptySlot, evolve, foldSlot, type DeploymentCommand, type SlotEvent, type SlotState } from '../src/index.js';

const PASS = { passed: true, detail: 'ok' };
const GOOD_EVAL = { run_id: 'eval-1', promotable: true, blocking: [] };

/** Runs commands through decide + evolve, as the service does, returning the state and every event. */
function run(commands: DeploymentCommand[], start: SlotState = emptySlot('chat')): { state: SlotState; events: SlotEvent[] } {
  let state = start;
  const events: SlotEvent[] = [];
  let t = 0;
  for (const c of commands) {
    for (const e of decide(state, c)) {
      events.push(e);
      state = evolve(state, { ...e, occurred_at: new Date(Date.UTC(2026, 10, 22, 0, 0, t++)).toISOString() });
    }
  }
  return { state, events };
}

const create = (over: Partial<Extract<DeploymentCommand, { kind: 'create' }>> = {}): DeploymentCommand => ({ kind: 'create', target: 'runner', eval: GOOD_EVAL, smoke: PASS, parity: PASS, ...over });

describe('deployment slot decider', () => {
  it('numbers versions per slot; promoting one supersedes the live one', () => {
    const { state, events } = run([create(), { kind: 'promote', version: 1 }, create(), { kind: 'promote', version: 2 }]);
    expect(events.map((e) => e.reason_code)).toEqual(['deployment_created', 'deployment_promoted', 'deployment_created', 'deployment_promoted']);
    expect(events[3]?.payload).toEqual({ version: 2, slot: 'chat', superseded: 1 });
    expect(state.live).toBe(2);
    expect(state.versions.get(1)?.status).toBe('superseded');
    expect(state.versions.get(2)?.status).toBe('promoted');
  });

  it('blocks promotion with every missing check: a failing eval gate, a failed smoke check, no parity check', () => {
    const { state, events } = run([
      create({ eval: { run_id: 'eval-2', promotable: false, blocking: ['accuracy ≥ 0.8: accuracy 0.71 < 0.8'] }, smoke: { passed: false, detail: 'no answer within 30 s' }, parity: undefined }),
      { kind: 'promote', version: 1 },
    ]);
    expect(events[1]).toEqual({
      reason_code: 'deployment_promote_blocked',
      payload: { version: 1, slot: 'chat', failed_gates: ['eval: accuracy ≥ 0.8: accuracy 0.71 < 0.8', 'smoke: no answer within 30 s', 'parity: no parity check ran'] },
    });
    expect(state.live).toBeUndefined();
    expect(state.versions.get(1)?.status).toBe('pending');
  });

  it('rollback re-promotes the predecessor, and further rollbacks go further back until there is none', () => {
    const { state, events } = run([create(), { kind: 'promote', version: 1 }, create(), { kind: 'promote', version: 2 }, create(), { kind: 'promote', version: 3 }, { kind: 'rollback' }, { kind: 'rollback' }, { kind: 'rollback' }]);
    const tail = events.slice(-3);
    expect(tail).toEqual([
      { reason_code: 'deployment_rolled_back', payload: { from_version: 3, to_version: 2, slot: 'chat' } },
      { reason_code: 'deployment_rolled_back', payload: { from_version: 2, to_version: 1, slot: 'chat' } },
      { reason_code: 'deployment_rollback_no_predecessor', payload: { version: 1, slot: 'chat' } },
    ]);
    expect(state.live).toBe(1);
    expect([...state.versions.values()].map((v) => v.status)).toEqual(['promoted', 'rolled_back', 'rolled_back']);
  });

  it('rollback with nothing live says there is no predecessor', () => {
    expect(run([{ kind: 'rollback' }]).events).toEqual([{ reason_code: 'deployment_rollback_no_predecessor', payload: { slot: 'chat' } }]);
  });

  it('refuses commands that cannot apply, naming the version and why', () => {
    const { state } = run([create(), create(), { kind: 'promote', version: 1 }, { kind: 'reject', version: 2, reason: 'worse on billing' }]);
    expect(() => decide(state, { kind: 'promote', version: 9 })).toThrow(new DeploymentCommandError("slot 'chat' has no version 9 (versions: 1, 2)"));
    expect(() => decide(state, { kind: 'promote', version: 1 })).toThrow(/already live/);
    expect(() => decide(state, { kind: 'promote', version: 2 })).toThrow(/was rejected \(worse on billing\)/);
    expect(() => decide(state, { kind: 'reject', version: 1, reason: 'x' })).toThrow(/only a pending version can be rejected; version 1 of slot 'chat' is promoted/);
  });

  it('the state is a fold of the events: replaying them gives the same slot', () => {
    const { state, events } = run([create(), { kind: 'promote', version: 1 }, create(), { kind: 'promote', version: 2 }, { kind: 'rollback' }]);
    const replayed = foldSlot('chat', events.map((e, i) => ({ ...e, occurred_at: new Date(Date.UTC(2026, 10, 22, 0, 0, i)).toISOString() })));
    expect(replayed.live).toBe(state.live);
    expect(replayed.promotions).toEqual(state.promotions);
    expect([...replayed.versions.values()].map((v) => [v.version, v.status])).toEqual([...state.versions.values()].map((v) => [v.version, v.status]));
  });
});
