import { Document, isCollection, visit } from 'yaml';
import { formatDuration } from './duration.js';
import type { Recipe } from './recipe.js';

/** The recipe as a plain object in the canonical key order (what `stringifyRecipe` writes). */
export function recipeToObject(recipe: Recipe): Record<string, unknown> {
  const o = recipe.optim;
  return {
    recipe_version: recipe.recipe_version,
    base_model: recipe.base_model,
    method: recipe.method,
    ...(recipe.method === 'lora'
      ? { lora: { r: recipe.lora.r, alpha: recipe.lora.alpha, dropout: recipe.lora.dropout, target_modules: [...recipe.lora.target_modules] } }
      : {}),
    ...(recipe.method === 'dpo' ? { dpo: { beta: recipe.dpo.beta, reference: recipe.dpo.reference } } : {}),
    optim: {
      learning_rate: o.learning_rate,
      min_lr_ratio: o.min_lr_ratio,
      scheduler: o.scheduler,
      warmup_ratio: o.warmup_ratio,
      epochs: o.epochs,
      weight_decay: o.weight_decay,
      max_grad_norm: o.max_grad_norm,
      betas: [...o.betas],
      eps: o.eps,
    },
    batch: { per_device: recipe.batch.per_device, grad_accum: recipe.batch.grad_accum },
    max_seq_len: recipe.max_seq_len,
    precision: recipe.precision,
    checkpoint_cadence: recipe.checkpoint_cadence === 'epoch' ? 'epoch' : { steps: recipe.checkpoint_cadence.steps },
    eval_every: recipe.eval_every,
    seed: recipe.seed,
    max_duration: recipe.max_duration === null ? null : formatDuration(recipe.max_duration),
    engine: recipe.engine,
  };
}

/**
 * Writes a recipe as YAML (default) or JSON with a stable key order, so equal recipes give byte-identical text and
 * `parseRecipe(stringifyRecipe(r))` deep-equals `r`. Short lists (betas, target_modules) are written inline.
 */
export function stringifyRecipe(recipe: Recipe, options: { readonly format?: 'yaml' | 'json' } = {}): string {
  const obj = recipeToObject(recipe);
  if (options.format === 'json') return `${JSON.stringify(obj, null, 2)}\n`;
  const doc = new Document(obj);
  for (const path of [['optim', 'betas'], ['lora', 'target_modules'], ['checkpoint_cadence']]) {
    const node = doc.getIn(path, true);
    if (isCollection(node)) node.flow = true;
  }
  // small rates read better as 2e-5 than 0.00002
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && node.value !== 0 && Math.abs(node.value) < 1e-3) node.format = 'EXP';
    },
  });
  return doc.toString({ lineWidth: 0 });
}
