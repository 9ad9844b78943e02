/**
 * Names of a slot on the log and on the runner.
 *
 * - Every event of a slot — the requests, the decider's events, the smoke and drift results — is published on ONE
 *   run, `deploy-<slot>` of the project, so the slot's history is `<prefix>.<project>.deploy-<slot>.>` and its state
 *   is the fold of that run (`foldSlot`). A slot name is a lower-case subject token (DeploymentSlot).
 * - On the runner a slot is served under the alias `<project>/<slot>` (what clients put in `model`); each version
 *   under `<project>/<slot>@v<n>` (what responses name as `model`), and a version being smoke-checked before it is
 *   created under `<project>/<slot>@v<n>-candidate`.
 */
export const DEFAULT_SLOT = 'default';
export const SLOT_RUN_PREFIX = 'deploy-';

export const slotRunId = (slot: string): string => `${SLOT_RUN_PREFIX}${slot}`;

/** The slot of a slot run id, or undefined for any other run. */
export const slotOfRunId = (runId: string): string | undefined => (runId.startsWith(SLOT_RUN_PREFIX) && runId.length > SLOT_RUN_PREFIX.length ? runId.slice(SLOT_RUN_PREFIX.length) : undefined);

export const slotAlias = (projectId: string, slot: string): string => `${projectId}/${slot}`;
export const versionModelId = (projectId: string, slot: string, version: number): string => `${slotAlias(projectId, slot)}@v${version}`;
export const candidateModelId = (projectId: string, slot: string, version: number): string => `${versionModelId(projectId, slot, version)}-candidate`;
