import type { FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef, RunEventOf } from '@distillery/contracts';
import type { DeploymentCommand } from '@distillery/deployments';
import type { EventLog } from '@distillery/eventlog';
import { evalCheck, parityCheck, smokeCheck, type SmokeOutcome } from './checks.js';
import { FIXED_SMOKE_PROMPTS, goldPrompts, readManifest } from './gold.js';
import { exportOfBundle, lastOf, latestEvalOf, trainingFacts, type PlanFacts, type TrainingFacts } from './lookups.js';
import type { ModelLoader } from './model-loader.js';
import { OpenAiClient, type ChatMessage } from './openai-client.js';
import { PROBE_HEADER, type Runner } from './runner.js';
import { candidateModelId, slotAlias } from './slot-ids.js';

/** Targets a version may have: the built-in runner, or an external OpenAI-compatible server (files in targets.ts). */
export const TARGETS = ['runner', 'vllm', 'llama-cpp', 'ollama'] as const;

/** A request that cannot apply as given: published as `deployment_request_invalid`, never retried. */
export class RequestInvalidError extends Error {
  readonly code = 'DEPLOYMENT.REQUEST_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'RequestInvalidError';
  }
}

export interface CreateDeps {
  readonly log: EventLog;
  readonly store: FileArtifactStore;
  readonly loader: ModelLoader;
  readonly runner: Runner;
  readonly runnerUrl: string;
  readonly smoke: { readonly prompts: number; readonly maxTokens: number };
}

/** What a request deploys, resolved from the log. */
export interface Resolved {
  readonly target: string;
  readonly endpoint?: string;
  readonly bundle_ref: ArtifactRef;
  readonly training?: TrainingFacts;
  readonly plan?: PlanFacts;
  readonly exported?: RunEventOf<'export_completed'>;
}

export async function resolveRequest(d: CreateDeps, request: RunEventOf<'deployment_requested'>): Promise<Resolved> {
  const p = request.payload;
  const project = request.project_id;
  if (!(TARGETS as readonly string[]).includes(p.target)) throw new RequestInvalidError(`unknown target '${p.target}' (one of ${TARGETS.join(', ')})`);
  if (p.target !== 'runner' && !p.endpoint) throw new RequestInvalidError(`target '${p.target}' is served outside Distillery: give its OpenAI-compatible endpoint (the smoke and drift checks call it)`);
  let exported: RunEventOf<'export_completed'> | undefined;
  if (p.export_run_id) {
    exported = await lastOf(d.log, project, p.export_run_id, 'export', 'export_completed');
    if (!exported) throw new RequestInvalidError(`export run '${p.export_run_id}' has not completed (no export_completed)`);
  }
  const trainingRunId = p.training_run_id ?? exported?.payload.training_run_id ?? exported?.parent_run_id ?? undefined;
  const training = trainingRunId ? await trainingFacts(d.log, project, trainingRunId) : undefined;
  const bundle_ref = p.bundle_ref ?? exported?.payload.bundle_ref ?? training?.model_ref;
  if (!bundle_ref) {
    if (training) throw new RequestInvalidError(`training run '${training.run_id}' has not completed (no training_completed): nothing to deploy`);
    throw new RequestInvalidError('nothing to deploy: give training_run_id, export_run_id or bundle_ref');
  }
  if (!exported && training?.model_ref?.sha256 !== bundle_ref.sha256) exported = await exportOfBundle(d.log, project, bundle_ref.sha256);
  const plan = training?.plan_ref ? await d.loader.plan(training.plan_ref) : undefined;
  return { target: p.target, ...(p.endpoint ? { endpoint: p.endpoint } : {}), bundle_ref, ...(training ? { training } : {}), ...(plan ? { plan } : {}), ...(exported ? { exported } : {}) };
}

/** The smoke prompts: the training run's gold rows (eval rows without gold), else a fixed set. */
async function smokePrompts(d: CreateDeps, plan: PlanFacts | undefined): Promise<{ prompts: ChatMessage[][]; source: string }> {
  if (plan) {
    const gold = await goldPrompts(d.store, await readManifest(d.store, plan.manifest), d.smoke.prompts);
    if (gold.rows.length > 0) return { prompts: gold.rows.map((r) => [...r.messages]), source: `${gold.split} prompts` };
  }
  return { prompts: FIXED_SMOKE_PROMPTS.slice(0, d.smoke.prompts).map((content) => [{ role: 'user', content }]), source: 'fixed prompts' };
}

/**
 * The smoke check of a new version through the OpenAI API it will be served by: on the built-in runner the model is
 * loaded as a candidate under its own id (`<project>/<slot>@v<n>-candidate`), checked, and unloaded; an external
 * target is called at its endpoint under the slot's alias.
 */
async function smoke(d: CreateDeps, r: Resolved, project: string, slot: string, version: number): Promise<SmokeOutcome> {
  const { prompts, source } = await smokePrompts(d, r.plan);
  const failed = (detail: string): SmokeOutcome => ({ passed: false, detail, prompts: prompts.length, latencies_ms: [], completion_tokens: 0 });
  if (r.target !== 'runner') return smokeCheck(new OpenAiClient(r.endpoint as string, { headers: { [PROBE_HEADER]: 'smoke' } }), slotAlias(project, slot), prompts, source, d.smoke.maxTokens);
  const id = candidateModelId(project, slot, version);
  let model;
  try {
    model = await d.loader.load({ bundle_ref: r.bundle_ref, ...(r.plan ? { base_model: r.plan.base_model.locator } : {}) });
  } catch (err) {
    return failed(`the runner could not load the model: ${(err as Error).message}`);
  }
  d.runner.add(id, model);
  try {
    return await smokeCheck(new OpenAiClient(d.runnerUrl, { headers: { [PROBE_HEADER]: 'smoke' } }), id, prompts, source, d.smoke.maxTokens);
  } finally {
    await d.runner.retire(id);
  }
}

/** The create command of a request, with every check promotion needs run now. */
export async function createCommand(d: CreateDeps, request: RunEventOf<'deployment_requested'>, slot: string, version: number): Promise<{ command: Extract<DeploymentCommand, { kind: 'create' }>; smoke: SmokeOutcome }> {
  const r = await resolveRequest(d, request);
  const project = request.project_id;
  const evalEvent = request.payload.eval_run_id
    ? await lastOf(d.log, project, request.payload.eval_run_id, 'eval', 'eval_completed')
    : r.training
      ? await latestEvalOf(d.log, project, r.training.run_id)
      : undefined;
  if (request.payload.eval_run_id && !evalEvent) throw new RequestInvalidError(`evaluation '${request.payload.eval_run_id}' has not completed (no eval_completed)`);
  const ev = evalCheck(evalEvent);
  const s = await smoke(d, r, project, slot, version);
  return {
    command: {
      kind: 'create',
      target: r.target,
      endpoint: r.target === 'runner' ? new OpenAiClient(d.runnerUrl).base : (r.endpoint as string),
      bundle_ref: r.bundle_ref,
      ...(r.training ? { training_run_id: r.training.run_id } : {}),
      ...(ev ? { eval: ev } : {}),
      smoke: { passed: s.passed, detail: s.detail },
      parity: parityCheck(r.bundle_ref, r.training, r.exported),
    },
    smoke: s,
  };
}
