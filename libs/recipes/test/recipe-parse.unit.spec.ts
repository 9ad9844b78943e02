import { describe, expect, it } from '@jest/globals';
import { parseRecipe, RecipeError, RecipeSchema, stringifyRecipe, type Recipe, type RecipeIssue } from '../src/index.js';

const BASE = 'hf:HuggingFaceTB/SmolLM2-135M-Instruct';

/** The issues parseRecipe throws for `input` (fails the test when it does not throw). */
function issuesOf(input: unknown, options?: Parameters<typeof parseRecipe>[1]): readonly RecipeIssue[] {
  try {
    parseRecipe(input, options);
  } catch (e) {
    expect(e).toBeInstanceOf(RecipeError);
    return (e as RecipeError).issues;
  }
  throw new Error('expected parseRecipe to throw');
}

const issueAt = (issues: readonly RecipeIssue[], path: string): RecipeIssue => {
  const hit = issues.find((i) => i.path === path);
  if (hit === undefined) throw new Error(`no issue at ${path}; got ${issues.map((i) => i.path).join(', ')}`);
  return hit;
};

describe('parseRecipe: defaults', () => {
  it('fills every default of a minimal LoRA recipe', () => {
    const r = parseRecipe({ recipe_version: 1, base_model: BASE, method: 'lora' });
    expect(r).toEqual({
      recipe_version: 1,
      base_model: BASE,
      method: 'lora',
      lora: { r: 16, alpha: 32, dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
      optim: {
        learning_rate: 2e-4,
        min_lr_ratio: 0,
        scheduler: 'cosine',
        warmup_ratio: 0.03,
        epochs: 3,
        weight_decay: 0,
        max_grad_norm: 1,
        betas: [0.9, 0.999],
        eps: 1e-8,
      },
      batch: { per_device: 8, grad_accum: 1 },
      max_seq_len: 512,
      precision: 'fp32',
      checkpoint_cadence: 'epoch',
      eval_every: 'epoch',
      seed: 42,
      max_duration: null,
      engine: 'auto',
    });
  });

  it('defaults depend on the method: full and dpo get their own rate, decay and section', () => {
    const full = parseRecipe({ recipe_version: 1, base_model: BASE, method: 'full' });
    expect(full.optim.learning_rate).toBe(2e-5);
    expect(full.optim.weight_decay).toBe(0.01);
    expect('lora' in full).toBe(false);
    const dpo = parseRecipe({ recipe_version: 1, base_model: BASE, method: 'dpo' }, { task_profile: 'dpo' });
    expect(dpo).toMatchObject({ method: 'dpo', dpo: { beta: 0.1, reference: 'base' } });
    expect(dpo.optim.learning_rate).toBe(1e-6);
  });

  it('lora.alpha defaults to 2r; all-linear expands to the seven projections', () => {
    const r = parseRecipe({ recipe_version: 1, base_model: BASE, method: 'lora', lora: { r: 4, target_modules: 'all-linear' } });
    expect(r.method === 'lora' && r.lora).toEqual({
      r: 4,
      alpha: 8,
      dropout: 0.05,
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });
  });

  it('reads durations and cadence shorthands', () => {
    const r = parseRecipe({ recipe_version: 1, base_model: 'file:models/tiny', method: 'full', max_duration: '1h30m', checkpoint_cadence: 250, eval_every: 50 });
    expect(r.max_duration).toBe(5400);
    expect(r.checkpoint_cadence).toEqual({ steps: 250 });
    expect(r.eval_every).toBe(50);
    expect(parseRecipe({ recipe_version: 1, base_model: BASE, method: 'full', max_duration: 90 }).max_duration).toBe(90);
  });

  it('every parsed recipe satisfies the resolved-recipe zod schema', () => {
    for (const method of ['full', 'lora', 'dpo'] as const) {
      expect(RecipeSchema.safeParse(parseRecipe({ recipe_version: 1, base_model: BASE, method })).success).toBe(true);
    }
  });
});

describe('parseRecipe: every error at once', () => {
  const FIVE_MISTAKES = [
    'recipe_version: 1',
    `base_model: ${BASE}`,
    'method: lora',
    'lora:',
    '  r: 8',
    '  target_modules: [q_proj, v_prj]',
    'optim:',
    '  learning_rate: -1',
    '  warmup_ratio: 1',
    '  schedular: cosine',
    'batch:',
    '  grad_accum: 0',
    '',
  ].join('\n');

  it('a recipe with 5 mistakes gets 5 issues naming 5 paths, with what was expected and where', () => {
    const issues = issuesOf(FIVE_MISTAKES);
    expect(issues.map((i) => i.path)).toEqual(['lora.target_modules[1]', 'optim.schedular', 'optim.learning_rate', 'optim.warmup_ratio', 'batch.grad_accum']);
    expect(issueAt(issues, 'optim.learning_rate').message).toBe('expected a number > 0 and ≤ 1, got -1');
    expect(issueAt(issues, 'optim.warmup_ratio').message).toBe('expected a number in [0, 1), got 1');
    expect(issueAt(issues, 'batch.grad_accum').message).toBe('expected an integer from 1 to 4096, got 0');
    expect(issueAt(issues, 'optim.schedular').message).toBe('unknown key; did you mean "scheduler"?');
    expect(issueAt(issues, 'lora.target_modules[1]').message).toMatch(/^expected one of q_proj \| .* got "v_prj"; did you mean "v_proj"\?$/);
    // positions are 1-based line / column of the offending value (or key, for unknown keys)
    const lines = FIVE_MISTAKES.split('\n');
    expect(issueAt(issues, 'optim.learning_rate')).toMatchObject({ line: 8, column: lines[7]!.indexOf('-1') + 1 });
    expect(issueAt(issues, 'lora.target_modules[1]')).toMatchObject({ line: 6, column: lines[5]!.indexOf('v_prj') + 1 });
    expect(issueAt(issues, 'optim.schedular')).toMatchObject({ line: 10, column: 3 });
    expect(issueAt(issues, 'batch.grad_accum')).toMatchObject({ line: 12 });
  });

  it('the error message lists every issue', () => {
    expect(() => parseRecipe(FIVE_MISTAKES)).toThrow(/5 issues\): lora\.target_modules\[1\]: .*; optim\.schedular: .*; batch\.grad_accum: expected an integer from 1 to 4096, got 0 \(line 12, column 15\)$/);
  });

  it('an empty document names the three required fields', () => {
    const issues = issuesOf({});
    expect(issues.map((i) => i.path)).toEqual(['recipe_version', 'base_model', 'method']);
    expect(issueAt(issues, 'recipe_version').message).toMatch(/^expected 1 .*got nothing$/);
    expect(issueAt(issues, 'method').message).toBe('expected one of full | lora | dpo, got nothing');
    expect(issuesOf('')[0]).toMatchObject({ path: '(root)', message: 'expected a mapping, got null' });
    expect(issuesOf('- a\n- b\n')[0]).toMatchObject({ path: '(root)', message: 'expected a mapping, got a list' });
  });

  it('wrong types are named with what they were, and strings are not numbers', () => {
    const issues = issuesOf({
      recipe_version: 2,
      base_model: BASE,
      method: 'lora',
      optim: { learning_rate: '2e-4', scheduler: 'cosin', betas: [0.9, 1.5] },
      batch: [8, 2],
      precision: 'BF16',
      seed: 1.5,
    });
    expect(issueAt(issues, 'recipe_version').message).toMatch(/got 2$/);
    expect(issueAt(issues, 'optim.learning_rate').message).toBe('expected a number > 0 and ≤ 1, got "2e-4"');
    expect(issueAt(issues, 'optim.scheduler').message).toBe('expected one of cosine | linear | constant, got "cosin"; did you mean "cosine"?');
    expect(issueAt(issues, 'optim.betas[1]').message).toBe('expected a number in [0, 1), got 1.5');
    expect(issueAt(issues, 'batch').message).toBe('expected a mapping, got a list');
    expect(issueAt(issues, 'precision').message).toBe('expected one of fp32 | bf16 | fp16, got "BF16"; did you mean "bf16"?');
    expect(issueAt(issues, 'seed').message).toMatch(/^expected an integer from 0 to 4294967295, got 1.5$/);
    expect(issues).toHaveLength(7);
  });

  it('unknown keys get a suggestion: a close sibling, a familiar alias, or the section they belong to', () => {
    const issues = issuesOf({
      recipe_version: 1,
      base_model: BASE,
      method: 'full',
      precison: 'fp32',
      lr: 1e-4,
      epochs: 3,
      max_seq_length: 512,
      colour: 'blue',
      batch: { per_device: 8, gradient_accumulation_steps: 2 },
    });
    expect(issueAt(issues, 'precison').message).toBe('unknown key; did you mean "precision"?');
    expect(issueAt(issues, 'lr').message).toBe('unknown key; did you mean optim.learning_rate?');
    expect(issueAt(issues, 'epochs').message).toBe('unknown key; did you mean optim.epochs?');
    expect(issueAt(issues, 'max_seq_length').message).toBe('unknown key; did you mean "max_seq_len"?');
    expect(issueAt(issues, 'colour').message).toBe('unknown key');
    expect(issueAt(issues, 'batch.gradient_accumulation_steps').message).toBe('unknown key; did you mean batch.grad_accum?');
  });

  it('a hub id without the hf: prefix is suggested the locator', () => {
    expect(issueAt(issuesOf({ recipe_version: 1, base_model: 'HuggingFaceTB/SmolLM2-135M', method: 'lora' }), 'base_model').message).toMatch(
      /did you mean "hf:HuggingFaceTB\/SmolLM2-135M"\?$/,
    );
    expect(issueAt(issuesOf({ recipe_version: 1, base_model: 'file:', method: 'lora' }), 'base_model').message).toMatch(/file: needs a folder/);
  });

  it('bad cadences and durations say what forms are accepted', () => {
    const issues = issuesOf({ recipe_version: 1, base_model: BASE, method: 'full', checkpoint_cadence: { steps: 0 }, eval_every: 'often', max_duration: '2 hours' });
    expect(issueAt(issues, 'checkpoint_cadence.steps').message).toBe('expected an integer ≥ 1, got 0');
    expect(issueAt(issues, 'eval_every').message).toBe('expected an integer ≥ 1 (optimizer steps) or "epoch", got "often"');
    expect(issueAt(issues, 'max_duration').message).toMatch(/^expected a duration > 0 such as .*got "2 hours"$/);
  });
});

describe('parseRecipe: cross-field rules', () => {
  it('a lora section needs method lora, a dpo section method dpo', () => {
    expect(issuesOf({ recipe_version: 1, base_model: BASE, method: 'full', lora: { r: 8 } })).toEqual([
      { path: 'lora', message: 'a lora section needs method lora, but method is full' },
    ]);
    expect(issuesOf({ recipe_version: 1, base_model: BASE, method: 'lora', dpo: { beta: 0.1 } })).toEqual([
      { path: 'dpo', message: 'a dpo section needs method dpo, but method is lora' },
    ]);
  });

  it('method dpo needs a dpo-capable task profile when the profile is known', () => {
    const doc = { recipe_version: 1, base_model: BASE, method: 'dpo' };
    expect(issueAt(issuesOf(doc, { task_profile: 'chat_sft' }), 'method').message).toMatch(/dpo needs preference pairs/);
    expect(parseRecipe(doc, { task_profile: 'dpo' }).method).toBe('dpo');
    expect(parseRecipe(doc).method).toBe('dpo'); // unknown profile: checked later, by preflight
  });

  it('min_lr_ratio only goes with a decaying schedule; modules are listed once', () => {
    expect(issuesOf({ recipe_version: 1, base_model: BASE, method: 'full', optim: { scheduler: 'constant', min_lr_ratio: 0.1 } })).toEqual([
      { path: 'optim.min_lr_ratio', message: 'expected 0 with scheduler constant (only cosine and linear decay to a minimum), got 0.1' },
    ]);
    expect(issueAt(issuesOf({ recipe_version: 1, base_model: BASE, method: 'lora', lora: { target_modules: ['q_proj', 'q_proj'] } }), 'lora.target_modules[1]').message).toBe(
      'expected each module once, got "q_proj" again',
    );
    expect(issueAt(issuesOf({ recipe_version: 1, base_model: BASE, method: 'lora', lora: { target_modules: [] } }), 'lora.target_modules').message).toMatch(/got an empty list$/);
  });
});

describe('parseRecipe: text input', () => {
  it('YAML syntax errors name the line and column', () => {
    const dup = issuesOf('recipe_version: 1\nmethod: lora\nmethod: full\n');
    expect(dup).toEqual([{ path: '(yaml)', message: 'Map keys must be unique', line: 3, column: 1 }]);
    const indent = issuesOf('recipe_version: 1\noptim:\n  learning_rate: 0.1\n epochs: 2\n');
    expect(indent[0]).toMatchObject({ path: '(yaml)', line: 4, column: 1 });
    expect(indent[0]?.message).toMatch(/indent|column/i);
  });

  it('reads JSON text, and a recipe wrapped in `recipe:` (paths keep the prefix)', () => {
    const json = JSON.stringify({ recipe_version: 1, base_model: BASE, method: 'full', optim: { epochs: 2 } });
    expect(parseRecipe(json).optim.epochs).toBe(2);
    const wrapped = `recipe:\n  recipe_version: 1\n  base_model: ${BASE}\n  method: lora\n  optim:\n    learning_rate: 0\n`;
    expect(issuesOf(wrapped)).toEqual([{ path: 'recipe.optim.learning_rate', message: 'expected a number > 0 and ≤ 1, got 0', line: 6, column: 20 }]);
  });

  it('reads the BrewSLM lesson recipe with a locator', () => {
    const text = [
      'recipe:',
      '  recipe_version: 1',
      '  base_model: hf:HuggingFaceTB/SmolLM2-135M-Instruct',
      '  method: lora',
      '  lora: { r: 16, alpha: 32, dropout: 0.05, target_modules: [q_proj, v_proj] }',
      '  optim:',
      '    learning_rate: 2.0e-4',
      '    scheduler: cosine',
      '    warmup_ratio: 0.03',
      '    epochs: 3',
      '  batch: { per_device: 8, grad_accum: 2 }   # effective batch 16',
      '  precision: bf16',
      '  checkpoint_cadence: epoch',
    ].join('\n');
    const r = parseRecipe(text);
    expect(r).toMatchObject({ method: 'lora', lora: { r: 16, target_modules: ['q_proj', 'v_proj'] }, batch: { per_device: 8, grad_accum: 2 }, precision: 'bf16' });
    expect(r.optim.learning_rate).toBe(2e-4);
  });
});

describe('stringifyRecipe', () => {
  const recipes: Recipe[] = [
    parseRecipe({ recipe_version: 1, base_model: BASE, method: 'lora', lora: { r: 8 }, max_duration: '1h30m', checkpoint_cadence: { steps: 100 } }),
    parseRecipe({ recipe_version: 1, base_model: 'hf:org/model@abc123', method: 'full', optim: { learning_rate: 2e-5, betas: [0.9, 0.95] } }),
    parseRecipe({ recipe_version: 1, base_model: BASE, method: 'dpo', dpo: { beta: 0.2 }, optim: { learning_rate: 5e-7 } }),
  ];

  it('round-trips through parseRecipe, as YAML and as JSON', () => {
    for (const r of recipes) {
      expect(parseRecipe(stringifyRecipe(r))).toEqual(r);
      expect(parseRecipe(stringifyRecipe(r, { format: 'json' }))).toEqual(r);
    }
  });

  it('has a stable key order whatever order the input had, and readable values', () => {
    const a = parseRecipe({ recipe_version: 1, base_model: BASE, method: 'lora', seed: 1, optim: { epochs: 2, learning_rate: 1e-4 } });
    const b = parseRecipe({ optim: { learning_rate: 1e-4, epochs: 2 }, seed: 1, method: 'lora', base_model: BASE, recipe_version: 1 });
    expect(stringifyRecipe(a)).toBe(stringifyRecipe(b));
    const text = stringifyRecipe(recipes[0]!);
    expect(text.split('\n').slice(0, 3)).toEqual(['recipe_version: 1', `base_model: ${BASE}`, 'method: lora']);
    expect(text).toContain('target_modules: [ q_proj, k_proj, v_proj, o_proj ]');
    expect(text).toContain('max_duration: 1h30m');
    expect(text).toContain('learning_rate: 2e-4');
    expect(text).toContain('checkpoint_cadence: { steps: 100 }');
  });
});
