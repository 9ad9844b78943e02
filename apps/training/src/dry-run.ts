import type { FileArtifactStore } from '@distillery/artifacts';
import { openRun, runOptionsFromRecipe } from '@distillery/engine-ort';
import { defaultBuckets, padRows, type TokenizedExample, type TokenizedPair } from '@distillery/tasks';
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
    const batch = padRows(rows, { pairs: recipe.method === 'dpo', buckets, padId: model.tokenizer.pad?.id ?? model.tokenizer.eos?.id ?? 0 });
    const run = await openRun({ config: model.config, weights: await model.checkpoint.readAll(), ...runOptionsFromRecipe(recipe), seed: plan.seed, buckets });
    try {
      const r = await run.step(batch, { lr: 0 });
      return { loss: r.loss, seconds: (Date.now() - started) / 1000 };
    } finally {
      await run.close();
    }
  };
}
