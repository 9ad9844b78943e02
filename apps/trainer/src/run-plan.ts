import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactRef } from '@distillery/contracts';
import { putDirectory, type FileArtifactStore } from '@distillery/artifacts';
import { loadCheckpoint, openRun, runOptionsFromRecipe, saveCheckpoint, type TrainingRun } from '@distillery/engine-ort';
import { readModelFolder, resolveModel, type ResolveModelOptions } from '@distillery/models';
import { lrAt, TrainPlan } from '@distillery/recipes';
import { batchSchedule, defaultBuckets, padRows, type PaddedBatch, type PaddedPairs, type TokenizedExample, type TokenizedPair } from '@distillery/tasks';

/** One line of a run's per-step trace (the loss curve). */
export interface TraceLine {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly grad_norm: number;
  readonly tokens: number;
  readonly eval_loss?: number;
}

/** What the trainer reports while it works; the service turns these into RunEvents. */
export interface RunHooks {
  started(info: { total_steps: number; resumed_from_step?: number }): Promise<void>;
  progress(p: { step: number; total_steps: number; loss: number; lr: number; tokens_per_s: number; eval_loss?: number; epoch: number }): Promise<void>;
  checkpoint(p: { step: number; ref: ArtifactRef }): Promise<void>;
  /** The latest checkpoint of this run, if an earlier attempt saved one (resume). */
  lastCheckpoint(): Promise<ArtifactRef | undefined>;
  /** True once a cancel was requested for this run. */
  cancelRequested(): Promise<boolean>;
}

export type RunOutcome =
  | { readonly status: 'completed'; readonly model_ref: ArtifactRef; readonly trace_ref: ArtifactRef; readonly steps: number; readonly final_loss: number; readonly final_eval_loss?: number }
  | { readonly status: 'cancelled'; readonly step: number }
  | { readonly status: 'timeout'; readonly step: number; readonly max_duration_s: number };

export interface RunDeps {
  readonly store: FileArtifactStore;
  readonly models: ResolveModelOptions;
  readonly threads?: number;
  /** Minimum time between two progress reports. */
  readonly progressEveryMs: number;
  /** How often the run looks for a cancel request. */
  readonly cancelCheckMs?: number;
  readonly now?: () => number;
}

/** Eval runs on at most this many batches (a bounded cost per eval_every). */
const MAX_EVAL_BATCHES = 8;

async function readShard<T>(store: FileArtifactStore, refs: readonly ArtifactRef[]): Promise<T[]> {
  const out: T[] = [];
  for (const ref of refs) for await (const e of store.readJsonl<T>(ref)) out.push(e);
  return out;
}


/**
 * Executes a TrainPlan with the ort engine: deterministic batches from the plan's seed, the recipe's learning-rate
 * schedule, eval at eval_every, checkpoints at the cadence (the trace so far rides in the checkpoint, so a resumed
 * run's loss curve continues where it stopped), a cancel check between steps, max_duration, and at the end the
 * model (or PEFT adapter) folder and the per-step trace as artifacts.
 */
export async function runPlan(deps: RunDeps, planRef: ArtifactRef, hooks: RunHooks): Promise<RunOutcome> {
  const now = deps.now ?? Date.now;
  const plan = TrainPlan.parse(JSON.parse((await deps.store.readBytes(planRef)).toString('utf8')));
  const recipe = plan.recipe;
  const resolved = await resolveModel(plan.base_model.locator, deps.models);
  const folder = await readModelFolder(resolved.dir);
  const dpo = recipe.method === 'dpo';
  const train = await readShard<TokenizedExample | TokenizedPair>(deps.store, plan.shards.train);
  const evalRows = await readShard<TokenizedExample | TokenizedPair>(deps.store, plan.shards.eval);
  const padId = folder.tokenizer.pad?.id ?? folder.tokenizer.eos?.id ?? 0;
  const buckets = defaultBuckets(recipe.max_seq_len);
  // One optimizer step takes per_device × grad_accum rows, run as grad_accum micro-batches of per_device rows.
  const microSize = recipe.batch.per_device;
  const batchSize = microSize * recipe.batch.grad_accum;
  const total = plan.steps.total;
  const perEpoch = Math.max(1, Math.floor(train.length / Math.min(batchSize, train.length)));
  const schedule = batchSchedule(train.length, { batch: batchSize, epochs: Math.ceil(total / perEpoch) + 1, seed: plan.seed, max_steps: total });

  const pad = (rows: ReadonlyArray<TokenizedExample | TokenizedPair>) => padRows(rows, { pairs: dpo, buckets, padId });
  const evalBatches: Array<PaddedBatch | PaddedPairs> = [];
  for (let i = 0; i < evalRows.length && evalBatches.length < MAX_EVAL_BATCHES * recipe.batch.grad_accum; i += microSize) evalBatches.push(pad(evalRows.slice(i, i + microSize)));

  const run: TrainingRun = await openRun({
    config: folder.config,
    weights: await folder.checkpoint.readAll(),
    ...runOptionsFromRecipe(recipe),
    seed: plan.seed,
    buckets,
    ...(deps.threads ? { threads: deps.threads } : {}),
  });
  const work = await mkdtemp(join(tmpdir(), 'distillery-trainer-'));
  try {
    let trace: TraceLine[] = [];
    const ckptRef = await hooks.lastCheckpoint();
    if (ckptRef) {
      const ckpt = loadCheckpoint(new Uint8Array(await deps.store.readBytes(ckptRef)));
      run.restore(ckpt);
      trace = JSON.parse(ckpt.metadata['trace'] ?? '[]') as TraceLine[];
    }
    const start = run.stepCount;
    await hooks.started({ total_steps: total, ...(ckptRef ? { resumed_from_step: start } : {}) });
    const started = now();
    const maxDuration = recipe.max_duration ?? Infinity;
    let lastReport = 0;
    let lastCancelCheck = 0;
    let windowLoss = 0;
    let windowSteps = 0;
    let windowTokens = 0;
    let windowStart = now();
    let lastEval: number | undefined;
    const checkpoint = async (step: number) => {
      const bytes = saveCheckpoint(run, { trace: JSON.stringify(trace) });
      const ref = await deps.store.put([bytes], 'application/vnd.distillery.checkpoint+safetensors');
      await hooks.checkpoint({ step, ref });
    };
    for (let step = start; step < total; step++) {
      if (now() - lastCancelCheck >= (deps.cancelCheckMs ?? 1_000)) {
        lastCancelCheck = now();
        if (await hooks.cancelRequested()) {
          await checkpoint(step);
          return { status: 'cancelled', step };
        }
      }
      if ((now() - started) / 1000 > maxDuration) {
        await checkpoint(step);
        return { status: 'timeout', step, max_duration_s: maxDuration };
      }
      const lr = lrAt(step, total, recipe.optim);
      const rows = schedule.indicesAt(step).map((i) => train[i]!);
      const micro: Array<PaddedBatch | PaddedPairs> = [];
      for (let i = 0; i < rows.length; i += microSize) micro.push(pad(rows.slice(i, i + microSize)));
      const r = await run.step(micro, { lr });
      // Throughput counts every token the step processed (padding included), like other trainers report it.
      const processed = micro.reduce((n, b) => n + ('chosen' in b ? 2 * b.chosen.batch * b.chosen.seq : b.batch * b.seq), 0);
      const done = step + 1;
      let evalLoss: number | undefined;
      if (evalBatches.length > 0 && (done % plan.steps.eval_every === 0 || done === total)) {
        evalLoss = await run.evalLoss(evalBatches as Iterable<PaddedBatch>);
        lastEval = evalLoss;
      }
      trace.push({ step: done, loss: r.loss, lr, grad_norm: r.grad_norm, tokens: r.tokens, ...(evalLoss !== undefined ? { eval_loss: evalLoss } : {}) });
      windowLoss += r.loss;
      windowSteps++;
      windowTokens += processed;
      if (now() - lastReport >= deps.progressEveryMs || done === total || evalLoss !== undefined) {
        const seconds = Math.max(1e-3, (now() - windowStart) / 1000);
        await hooks.progress({ step: done, total_steps: total, loss: windowLoss / windowSteps, lr, tokens_per_s: windowTokens / seconds, epoch: done / plan.steps.per_epoch, ...(evalLoss !== undefined ? { eval_loss: evalLoss } : {}) });
        lastReport = now();
        windowLoss = windowSteps = windowTokens = 0;
        windowStart = now();
      }
      if (done % plan.steps.checkpoint_every === 0 && done < total) await checkpoint(done);
    }
    const exported = await run.exportModel(join(work, 'out'), { tokenizer: folder.tokenizerFiles, baseModel: plan.base_model.locator });
    const dir = exported.adapterDir ?? exported.modelDir;
    if (!dir) throw new Error('the engine exported neither a model nor an adapter');
    const model_ref = await putDirectory(deps.store, dir, exported.adapterDir ? 'peft-adapter' : 'hf-model', { run_id: plan.run_id, method: recipe.method, base_model: plan.base_model.locator, steps: total });
    const trace_ref = await deps.store.put([trace.map((t) => JSON.stringify(t)).join('\n') + '\n'], 'application/x-ndjson');
    return { status: 'completed', model_ref, trace_ref, steps: total, final_loss: trace.at(-1)?.loss ?? NaN, ...(lastEval !== undefined ? { final_eval_loss: lastEval } : {}) };
  } finally {
    await run.close();
    await folder.close();
    await rm(work, { recursive: true, force: true });
  }
}
