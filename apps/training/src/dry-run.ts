import type { FileArtifactStore } from '@distillery/artifacts';
import { openRun, type PreferenceBatch } from '@distillery/engine-ort';
import { bucketFor, defaultBuckets, padBatch, type PaddedBatch, type TokenizedExample, type TokenizedPair } from '@distillery/tasks';
import type { DryRun } from './plan-job.js';

/**
 * Preflight's one-step dry run with the ort engine: the real model, the recipe's method and the first batch of real
 * tokenized rows, one optimizer step at learning rate 0 (nothing is kept). Proves the graph builds, fits and gives a
 * finite loss before a trainer is asked to spend hours on it.
 */
export function ortDryRun(store: FileArtifactStore): DryRun {
  return async ({ plan, model }) => {
    const started = Date.now();
    const recipe = plan.recipe;
    const rows: Array<TokenizedExample | TokenizedPair> = [];
    for await (const e of store.readJsonl<TokenizedExample | TokenizedPair>(plan.shards.train[0]!)) {
      rows.push(e);
      if (rows.length >= recipe.batch.per_device) break;
    }
    const buckets = defaultBuckets(recipe.max_seq_len);
    const padId = model.tokenizer.pad?.id ?? model.tokenizer.eos?.id ?? 0;
    const len = (e: TokenizedExample) => e.input_ids.length;
    let batch: PaddedBatch | PreferenceBatch;
    if (recipe.method === 'dpo') {
      const pairs = rows as TokenizedPair[];
      const seq = bucketFor(Math.max(1, ...pairs.flatMap((p) => [len(p.chosen), len(p.rejected)])), buckets);
      batch = { chosen: padBatch(pairs.map((p) => p.chosen), seq, padId), rejected: padBatch(pairs.map((p) => p.rejected), seq, padId) };
    } else {
      const xs = rows as TokenizedExample[];
      batch = padBatch(xs, bucketFor(Math.max(1, ...xs.map(len)), buckets), padId);
    }
    const run = await openRun({
      config: model.config,
      weights: await model.checkpoint.readAll(),
      method: recipe.method,
      ...(recipe.method === 'lora' ? { lora: recipe.lora } : {}),
      ...(recipe.method === 'dpo' ? { dpo: { beta: recipe.dpo.beta } } : {}),
      optim: { weight_decay: recipe.optim.weight_decay, max_grad_norm: recipe.optim.max_grad_norm, betas: recipe.optim.betas, eps: recipe.optim.eps },
      seed: plan.seed,
      buckets,
    });
    try {
      const r = await run.step(batch, { lr: 0 });
      return { loss: r.loss, seconds: (Date.now() - started) / 1000 };
    } finally {
      await run.close();
    }
  };
}
