import type { ArtifactRef, PayloadOf, RunEvent } from '@distillery/contracts';

/**
 * The DeploymentVersion lifecycle of one slot, as a decider: `decide(state, command)` says which events a command
 * produces (or refuses it with a DeploymentCommandError), `evolve(state, event)` folds an event into the state. The
 * state is a left fold of the slot's events, so it is rebuilt from the log, never stored on its own.
 *
 *   pending ──promote──▶ promoted ──(another promoted)──▶ superseded
 *      │                    │                                  ▲
 *      └──reject──▶ rejected └──rollback──▶ rolled_back          └── rollback re-promotes the predecessor
 *
 * Promotion needs a promotable eval, a passed smoke check and a passed parity check (`deployment_promote_blocked`
 * with every missing one otherwise). Rollback re-promotes the version that was live before the current one
 * (`deployment_rollback_no_predecessor` when there is none).
 */

export type VersionStatus = 'pending' | 'promoted' | 'superseded' | 'rejected' | 'rolled_back';

export interface CheckResult {
  readonly passed: boolean;
  readonly detail: string;
}

export interface DeploymentVersion {
  readonly version: number;
  readonly target: string;
  readonly status: VersionStatus;
  readonly endpoint?: string;
  readonly bundle_ref?: ArtifactRef;
  readonly training_run_id?: string;
  readonly eval?: { readonly run_id: string; readonly promotable: boolean; readonly blocking: readonly string[] };
  readonly smoke?: CheckResult;
  readonly parity?: CheckResult;
  readonly created_at: string;
  readonly reason?: string;
}

export interface SlotState {
  readonly slot: string;
  readonly versions: ReadonlyMap<number, DeploymentVersion>;
  /** The version serving now. */
  readonly live?: number;
  /** Versions that were live, oldest first, the live one last: rollback goes to the one before the last. */
  readonly promotions: readonly number[];
}

export const emptySlot = (slot = 'default'): SlotState => ({ slot, versions: new Map(), promotions: [] });

export type DeploymentCommand =
  | {
      readonly kind: 'create';
      readonly target: string;
      readonly endpoint?: string;
      readonly bundle_ref?: ArtifactRef;
      readonly training_run_id?: string;
      readonly eval?: { readonly run_id: string; readonly promotable: boolean; readonly blocking: readonly string[] };
      readonly smoke?: CheckResult;
      readonly parity?: CheckResult;
    }
  | { readonly kind: 'promote'; readonly version: number }
  | { readonly kind: 'reject'; readonly version: number; readonly reason: string }
  | { readonly kind: 'rollback' };

/** The events of the slot stream (reason code + payload); the service adds project, run and summary. */
export type SlotEvent =
  | { readonly reason_code: 'deployment_created'; readonly payload: PayloadOf<'deployment_created'> }
  | { readonly reason_code: 'deployment_promoted'; readonly payload: PayloadOf<'deployment_promoted'> }
  | { readonly reason_code: 'deployment_rejected'; readonly payload: PayloadOf<'deployment_rejected'> }
  | { readonly reason_code: 'deployment_rolled_back'; readonly payload: PayloadOf<'deployment_rolled_back'> }
  | { readonly reason_code: 'deployment_promote_blocked'; readonly payload: PayloadOf<'deployment_promote_blocked'> }
  | { readonly reason_code: 'deployment_rollback_no_predecessor'; readonly payload: PayloadOf<'deployment_rollback_no_predecessor'> };

/** A command that cannot apply to the slot at all (unknown version, wrong status): a 4xx, not an event. */
export class DeploymentCommandError extends Error {
  readonly code = 'DEPLOYMENT.COMMAND_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentCommandError';
  }
}

const nextVersion = (s: SlotState): number => Math.max(0, ...s.versions.keys()) + 1;

function mustGet(s: SlotState, version: number): DeploymentVersion {
  const v = s.versions.get(version);
  if (v === undefined) throw new DeploymentCommandError(`slot '${s.slot}' has no version ${version} (versions: ${[...s.versions.keys()].join(', ') || 'none'})`);
  return v;
}

/** Why a version may not be promoted: each missing check, in words. Empty: promotable. */
export function promotionBlockers(v: DeploymentVersion): string[] {
  const out: string[] = [];
  if (v.eval === undefined) out.push('eval: the model has no evaluation');
  else if (!v.eval.promotable) out.push(...(v.eval.blocking.length > 0 ? v.eval.blocking.map((b) => `eval: ${b}`) : ['eval: not promotable']));
  if (v.smoke === undefined) out.push('smoke: no smoke check ran');
  else if (!v.smoke.passed) out.push(`smoke: ${v.smoke.detail}`);
  if (v.parity === undefined) out.push('parity: no parity check ran');
  else if (!v.parity.passed) out.push(`parity: ${v.parity.detail}`);
  return out;
}

/** The events a command produces on the slot. Throws DeploymentCommandError for a command that cannot apply. */
export function decide(s: SlotState, c: DeploymentCommand): SlotEvent[] {
  const slot = s.slot;
  switch (c.kind) {
    case 'create': {
      const payload: PayloadOf<'deployment_created'> = {
        target: c.target,
        version: nextVersion(s),
        slot,
        ...(c.endpoint ? { endpoint: c.endpoint } : {}),
        ...(c.bundle_ref ? { bundle_ref: c.bundle_ref } : {}),
        ...(c.training_run_id ? { training_run_id: c.training_run_id } : {}),
        ...(c.eval ? { eval: { ...c.eval, blocking: [...c.eval.blocking] } } : {}),
        ...(c.smoke ? { smoke: c.smoke } : {}),
        ...(c.parity ? { parity: c.parity } : {}),
      };
      return [{ reason_code: 'deployment_created', payload }];
    }
    case 'promote': {
      const v = mustGet(s, c.version);
      if (v.status === 'promoted') throw new DeploymentCommandError(`version ${c.version} of slot '${slot}' is already live`);
      if (v.status === 'rejected') throw new DeploymentCommandError(`version ${c.version} of slot '${slot}' was rejected (${v.reason ?? 'no reason given'}); create a new version`);
      const blockers = promotionBlockers(v);
      if (blockers.length > 0) return [{ reason_code: 'deployment_promote_blocked', payload: { version: c.version, failed_gates: blockers, slot } }];
      return [{ reason_code: 'deployment_promoted', payload: { version: c.version, slot, ...(s.live !== undefined ? { superseded: s.live } : {}) } }];
    }
    case 'reject': {
      const v = mustGet(s, c.version);
      if (v.status !== 'pending') throw new DeploymentCommandError(`only a pending version can be rejected; version ${c.version} of slot '${slot}' is ${v.status}`);
      return [{ reason_code: 'deployment_rejected', payload: { version: c.version, reason: c.reason, slot } }];
    }
    case 'rollback': {
      const live = s.live;
      const predecessor = s.promotions.length >= 2 ? s.promotions[s.promotions.length - 2] : undefined;
      if (live === undefined || predecessor === undefined) return [{ reason_code: 'deployment_rollback_no_predecessor', payload: { ...(live !== undefined ? { version: live } : {}), slot } }];
      return [{ reason_code: 'deployment_rolled_back', payload: { from_version: live, to_version: predecessor, slot } }];
    }
  }
}

const withVersion = (s: SlotState, v: DeploymentVersion): Map<number, DeploymentVersion> => new Map(s.versions).set(v.version, v);

/** Folds one slot event into the state (events of other codes leave it as it is). */
export function evolve(s: SlotState, e: Pick<RunEvent, 'reason_code' | 'payload' | 'occurred_at'>): SlotState {
  switch (e.reason_code) {
    case 'deployment_created': {
      const p = e.payload as PayloadOf<'deployment_created'>;
      const v: DeploymentVersion = {
        version: p.version,
        target: p.target,
        status: 'pending',
        created_at: e.occurred_at,
        ...(p.endpoint ? { endpoint: p.endpoint } : {}),
        ...(p.bundle_ref ? { bundle_ref: p.bundle_ref } : {}),
        ...(p.training_run_id ? { training_run_id: p.training_run_id } : {}),
        ...(p.eval ? { eval: p.eval } : {}),
        ...(p.smoke ? { smoke: p.smoke } : {}),
        ...(p.parity ? { parity: p.parity } : {}),
      };
      return { ...s, versions: withVersion(s, v) };
    }
    case 'deployment_promoted': {
      const p = e.payload as PayloadOf<'deployment_promoted'>;
      let versions = new Map(s.versions);
      if (s.live !== undefined && s.live !== p.version) versions = withVersion({ ...s, versions }, { ...(versions.get(s.live) as DeploymentVersion), status: 'superseded' });
      const v = versions.get(p.version);
      if (v) versions.set(p.version, { ...v, status: 'promoted' });
      return { ...s, versions, live: p.version, promotions: [...s.promotions.filter((x) => x !== p.version), p.version] };
    }
    case 'deployment_rejected': {
      const p = e.payload as PayloadOf<'deployment_rejected'>;
      const v = s.versions.get(p.version);
      return v ? { ...s, versions: withVersion(s, { ...v, status: 'rejected', reason: p.reason }) } : s;
    }
    case 'deployment_rolled_back': {
      const p = e.payload as PayloadOf<'deployment_rolled_back'>;
      const versions = new Map(s.versions);
      const from = versions.get(p.from_version);
      const to = versions.get(p.to_version);
      if (from) versions.set(p.from_version, { ...from, status: 'rolled_back' });
      if (to) versions.set(p.to_version, { ...to, status: 'promoted' });
      // The rolled-back version leaves the history: a second rollback goes further back.
      return { ...s, versions, live: p.to_version, promotions: s.promotions.filter((x) => x !== p.from_version) };
    }
    default:
      return s;
  }
}

/** The state of a slot from its events, in log order. */
export const foldSlot = (slot: string, events: Iterable<Pick<RunEvent, 'reason_code' | 'payload' | 'occurred_at'>>): SlotState => {
  let s = emptySlot(slot);
  for (const e of events) s = evolve(s, e);
  return s;
};
