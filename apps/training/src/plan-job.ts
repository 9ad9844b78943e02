import { createHash } from 'node:crypto';
import { PreparedManifest, type ArtifactRef, type TransformedRow } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { expectedTensorShapes, readModelFolder, resolveModel, type ModelFolder, type ResolveModelOptions } from '@distillery/models';
import { autopilot, buildTrainPlan, estimatePeakMemory, parseRecipe, RecipeError, formatRecipeIssue, type AutopilotDecision, type HardwareProfile, type Recipe, type TrainPlan } from '@distillery/recipes';
import { handlerFor, tokenizeRendered, UnsupportedTaskError, type ChatTokenizer } from '@distillery/tasks';
import { chatTokenizerOf } from './tokenizer-adapter.js';
import { tokenizeSplits, type TokenizedSplits } from './tokenize-job.js';

export interface PlanRequest {
  readonly project_id: string;
  readonly run_id: string;
  readonly manifest_ref: ArtifactRef;
  readonly recipe?: Record<string, unknown>;
  readonly autopilot?: boolean;
  readonly base_model?: string;
  readonly preflight_mode: 'strict' | 'fail_open';
}

/** One-step dry run of the engine on real rows (the engine adapter provides it). Throws what the engine throws. */
export type DryRun = (args: { readonly plan: TrainPlan; readonly model: ModelFolder; readonly shards: TokenizedSplits }) => Promise<{ readonly loss: number; readonly seconds: number }>;

export interface PlanDeps {
  readonly store: FileArtifactStore;
  readonly models: ResolveModelOptions;
  readonly hardware: HardwareProfile;
  readonly defaultBaseModel: string;
  readonly dryRun?: DryRun;
}

export interface PreflightCheck {
  readonly name: string;
  readonly ok: boolean;
  /** blocker: stops a strict run; warning: reported, never stops. */
  readonly severity: 'blocker' | 'warning';
  readonly detail: string;
}

export type PlanOutcome =
  | {
      readonly status: 'dispatch';
      readonly plan: TrainPlan;
      readonly plan_ref: ArtifactRef;
      readonly checks: readonly PreflightCheck[];
      /** Failed blockers that fail-open mode let through, and warnings. */
      readonly warnings: readonly string[];
      readonly decisions: readonly AutopilotDecision[];
    }
  | { readonly status: 'blocked'; readonly checks: readonly PreflightCheck[]; readonly blockers: readonly string[]; readonly oom?: { readonly estimated_bytes: number; readonly budget_bytes: number } };

export class PlanRequestError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'PlanRequestError';
  }
}

/** Memory a run may plan for: most of the host, leaving room for the process around the engine. */
const MEMORY_SHARE = 0.85;

const fmtMiB = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

/** A stable revision for a local folder: the hash of its config and weight sizes (a hub model has its commit sha). */
function folderRevision(folder: ModelFolder, resolvedSha?: string): string {
  if (resolvedSha) return resolvedSha;
  const h = createHash('sha256').update(JSON.stringify(folder.configJson));
  for (const name of [...folder.checkpoint.names].sort()) h.update(`${name}:${JSON.stringify(folder.checkpoint.info(name))}`);
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

const parameterCount = (folder: ModelFolder): number => {
  let n = 0;
  for (const shape of expectedTensorShapes(folder.config).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
};

/**
 * Turns a training request into a TrainPlan, or says exactly why not: resolves the base model, parses the recipe (or
 * runs autopilot), tokenizes train and eval through the model's chat template, runs the preflight checks (engine
 * capability, memory fit, chat-template round trip, weights, a one-step dry run on real rows), then stores the plan.
 */
export async function planTraining(deps: PlanDeps, req: PlanRequest): Promise<PlanOutcome> {
  const parsedManifest = PreparedManifest.safeParse(JSON.parse((await deps.store.readBytes(req.manifest_ref)).toString('utf8')));
  if (!parsedManifest.success) throw new PlanRequestError(`the manifest ${req.manifest_ref.uri} is not a prepared manifest`);
  const manifest = parsedManifest.data;
  const locator = req.base_model ?? (typeof req.recipe?.['base_model'] === 'string' ? (req.recipe['base_model'] as string) : deps.defaultBaseModel);
  const resolved = await resolveModel(locator, deps.models);
  const folder = await readModelFolder(resolved.dir, { weights: 'report' });
  try {
    const tok: ChatTokenizer = chatTokenizerOf(folder.tokenizer);
    const checks: PreflightCheck[] = [];
    const check = (name: string, ok: boolean, severity: 'blocker' | 'warning', detail: string) => checks.push({ name, ok, severity, detail });

    // Task capability first: nothing else matters when the engine cannot train this task.
    try {
      handlerFor(manifest.task_profile, 'ort');
      check('task', true, 'blocker', `${manifest.task_profile} rows are rendered by the ${handlerFor(manifest.task_profile).name} handler`);
    } catch (err) {
      if (!(err instanceof UnsupportedTaskError)) throw err;
      check('task', false, 'blocker', err.message);
      return { status: 'blocked', checks, blockers: [err.message] };
    }

    let recipe: Recipe;
    let decisions: readonly AutopilotDecision[] = [];
    const summary = {
      locator,
      parameters: parameterCount(folder),
      hidden_size: folder.config.hidden_size,
      layers: folder.config.num_hidden_layers,
      vocab: folder.config.vocab_size,
      max_position_embeddings: folder.config.max_position_embeddings,
      heads: folder.config.num_attention_heads,
      intermediate_size: folder.config.intermediate_size,
    };
    if (req.autopilot || !req.recipe) {
      const lengths = await sampleLengths(deps.store, manifest, tok, folder.config.max_position_embeddings);
      const a = autopilot(manifest, deps.hardware, summary, { engine: 'ort', ...(lengths ? { token_lengths: lengths } : {}) });
      recipe = { ...a.recipe, base_model: locator } as Recipe;
      decisions = a.decisions;
      for (const w of a.warnings) check('autopilot', false, 'warning', w);
    } else {
      try {
        recipe = parseRecipe({ ...req.recipe, base_model: locator }, { task_profile: manifest.task_profile });
      } catch (err) {
        if (err instanceof RecipeError) throw new PlanRequestError(`the recipe is invalid (${err.issues.length} problems)`, err.issues.map(formatRecipeIssue));
        throw err;
      }
    }

    // Engine capability: the ort engine trains Llama-family decoders in fp32 on the CPU.
    const engineOk = recipe.engine !== 'torch';
    check('engine', engineOk, 'blocker', engineOk ? `ort engine: ${folder.config.model_type} decoder, ${recipe.method}` : 'the recipe asks for the torch engine, which this deployment does not run (GPU trainer pods arrive with the torch engine)');
    const fp32 = recipe.precision === 'fp32';
    check('precision', fp32, 'blocker', fp32 ? 'fp32' : `precision ${recipe.precision} is not supported by the ort engine (fp32 only)`);
    check('weights', folder.weights.ok, 'blocker', folder.weights.ok ? `${summary.parameters.toLocaleString('en-US')} parameters match config.json` : folder.weights.problems.slice(0, 5).join('; '));
    for (const w of folder.warnings) check('model', false, 'warning', w);

    // Memory fit against the engine's calibrated estimate.
    const budget = Math.floor(deps.hardware.memory_bytes * MEMORY_SHARE);
    const memory = estimatePeakMemory({
      ...summary,
      method: recipe.method,
      ...(recipe.method === 'lora' ? { lora_r: recipe.lora.r, lora_target_modules: recipe.lora.target_modules } : {}),
      precision: recipe.precision,
      batch: recipe.batch.per_device,
      seq_len: recipe.max_seq_len,
      engine: 'ort',
      device: 'cpu',
    });
    const fits = memory.total_bytes <= budget;
    check('memory', fits, 'blocker', `estimated peak ${fmtMiB(memory.total_bytes)} of ${fmtMiB(budget)} available (batch ${recipe.batch.per_device} × ${recipe.max_seq_len} tokens)`);

    // Chat template round trip on real rows: render → tokenize → decode must give the rendered text back.
    const rt = await templateRoundTrip(deps.store, manifest, folder);
    check('chat_template', rt.ok, 'blocker', rt.detail);

    const shards = await tokenizeSplits(deps.store, manifest, tok, { max_seq_len: recipe.max_seq_len });
    const trainRows = shards.stats.train.examples;
    check('data', trainRows > 0, 'blocker', `${trainRows} train and ${shards.stats.eval.examples} eval examples tokenized; ${shards.stats.train.truncated} truncated to ${recipe.max_seq_len} tokens; ${shards.stats.train.skipped.length} skipped`);
    if (shards.stats.train.truncated > trainRows * 0.1) check('truncation', false, 'warning', `${shards.stats.train.truncated} of ${trainRows} train examples are longer than max_seq_len ${recipe.max_seq_len}`);

    const plan = buildTrainPlan({
      run_id: req.run_id,
      project_id: req.project_id,
      recipe,
      manifest: { ...manifest, counts: { ...manifest.counts, train: trainRows } },
      manifest_ref: req.manifest_ref,
      resolved_revision: folderRevision(folder, resolved.sha),
      model: { parameters: summary.parameters, hidden_size: summary.hidden_size, layers: summary.layers, heads: summary.heads, vocab: summary.vocab, intermediate_size: summary.intermediate_size },
      hardware: deps.hardware,
      shards: { train: [{ ...shards.shards.train, rows: trainRows, tokens: shards.stats.train.tokens }], eval: [{ ...shards.shards.eval, rows: shards.stats.eval.examples, tokens: shards.stats.eval.tokens }] },
    });

    if (deps.dryRun && checks.every((c) => c.ok || c.severity === 'warning')) {
      try {
        const d = await deps.dryRun({ plan, model: folder, shards });
        const finite = Number.isFinite(d.loss);
        check('dry_run', finite, 'blocker', finite ? `one step on real rows: loss ${d.loss.toFixed(4)} in ${d.seconds.toFixed(2)} s` : `one step on real rows gave loss ${d.loss}`);
      } catch (err) {
        check('dry_run', false, 'blocker', `one step on real rows failed: ${(err as Error).message}`);
      }
    } else if (!deps.dryRun) check('dry_run', false, 'warning', 'no engine dry run is configured in this deployment');

    const failed = checks.filter((c) => !c.ok && c.severity === 'blocker');
    if (failed.length > 0 && req.preflight_mode === 'strict') {
      return { status: 'blocked', checks, blockers: failed.map((c) => `${c.name}: ${c.detail}`), ...(!fits ? { oom: { estimated_bytes: memory.total_bytes, budget_bytes: budget } } : {}) };
    }
    const plan_ref = await deps.store.put([JSON.stringify(plan, null, 2)], 'application/vnd.distillery.train-plan+json');
    const warnings = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    return { status: 'dispatch', plan, plan_ref, checks, warnings, decisions };
  } finally {
    await folder.close();
  }
}

/** p95 / max token length of up to 200 train rows, for autopilot's max_seq_len. */
async function sampleLengths(store: FileArtifactStore, manifest: PreparedManifest, tok: ChatTokenizer, maxPositions: number): Promise<{ p95: number; max: number } | undefined> {
  const handler = handlerFor(manifest.task_profile);
  const ctx = manifest.label_set ? { label_set: manifest.label_set } : {};
  const lengths: number[] = [];
  for await (const row of store.readJsonl<TransformedRow>(manifest.artifacts.train)) {
    try {
      const e = tokenizeRendered(row.row_id, handler.render(row.row_id, row.record, ctx), tok, { max_seq_len: maxPositions });
      lengths.push(...('chosen' in e ? [e.chosen.original_length, e.rejected.original_length] : [e.original_length]));
    } catch {
      continue;
    }
    if (lengths.length >= 200) break;
  }
  if (lengths.length === 0) return undefined;
  lengths.sort((a, b) => a - b);
  return { p95: lengths[Math.min(lengths.length - 1, Math.floor(lengths.length * 0.95))]!, max: lengths.at(-1)! };
}

/** The first conversations of the train split through the template and back; the first mismatch is named. */
async function templateRoundTrip(store: FileArtifactStore, manifest: PreparedManifest, folder: ModelFolder): Promise<{ ok: boolean; detail: string }> {
  const handler = handlerFor(manifest.task_profile);
  if (handler.decoding === 'perplexity') return { ok: true, detail: 'language modeling does not use the chat template' };
  if (!folder.tokenizer.chatTemplate) return { ok: false, detail: 'the model has no chat_template in tokenizer_config.json' };
  const ctx = manifest.label_set ? { label_set: manifest.label_set } : {};
  let n = 0;
  for await (const row of store.readJsonl<TransformedRow>(manifest.artifacts.train)) {
    let r;
    try {
      r = handler.render(row.row_id, row.record, ctx);
    } catch {
      continue;
    }
    const messages = r.kind === 'chat' ? r.messages : r.kind === 'pair' ? [...r.prompt, { role: 'assistant' as const, content: r.chosen }] : [];
    const report = folder.tokenizer.roundTrip(messages.map((m) => ({ role: m.role, content: m.content })));
    if (!report.ok) return { ok: false, detail: `row ${row.row_id}: ${report.problem ?? 'decode(encode(render)) differs from the rendering'}${report.mismatch ? ` at character ${report.mismatch.index}` : ''}` };
    if (++n >= 20) break;
  }
  return { ok: true, detail: `${n} rows render → tokenize → decode to the same text` };
}
