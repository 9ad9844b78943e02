import { describe, expect, it } from '@jest/globals';
import {
  autopilot,
  buildTrainPlan,
  closest,
  formatDuration,
  parseBaseModelLocator,
  parseDuration,
  parseRecipe,
  planSteps,
  resolveEngine,
  TrainPlan,
  type BuildTrainPlanInput,
  type ShardRef,
} from '../src/index.js';
import { CPU_2_CORE, manifest, ONE_GPU, ref, TINY_3M } from './fixtures.js';

const shard = (name: string, rows: number): ShardRef => ({ ...ref(name, 'd'), media_type: 'application/octet-stream', rows, tokens: rows * 100 });

function planInput(overrides: Partial<BuildTrainPlanInput> = {}): BuildTrainPlanInput {
  const data = manifest('classification', { train: 500, eval: 60 });
  const recipe = parseRecipe({ recipe_version: 1, base_model: TINY_3M.locator, method: 'lora', batch: { per_device: 8, grad_accum: 2 }, optim: { epochs: 1.5 } });
  return {
    run_id: 'exp-42',
    project_id: 'proj-1',
    recipe,
    manifest: data,
    manifest_ref: ref('manifest.json', 'e'),
    resolved_revision: 'f'.repeat(64),
    model: { ...TINY_3M, heads: 8 },
    hardware: CPU_2_CORE,
    shards: { train: [shard('train-0.bin', 500)], eval: [shard('eval-0.bin', 60)] },
    ...overrides,
  };
}

describe('planSteps', () => {
  it('rounds partial batches up and fractional epochs up', () => {
    const recipe = parseRecipe({ recipe_version: 1, base_model: TINY_3M.locator, method: 'full', batch: { per_device: 8, grad_accum: 2 }, optim: { epochs: 1.5 } });
    expect(planSteps(500, recipe)).toEqual({ steps_per_epoch: 32, total_steps: 48, checkpoint_every_steps: 32, eval_every_steps: 32, effective_batch: 16 });
    expect(planSteps(500, recipe, 4)).toMatchObject({ steps_per_epoch: 8, total_steps: 12, effective_batch: 64 });
    expect(planSteps(500, { ...recipe, checkpoint_cadence: { steps: 10 }, eval_every: 5 })).toMatchObject({ checkpoint_every_steps: 10, eval_every_steps: 5 });
    expect(() => planSteps(0, recipe)).toThrow('at least one train row');
  });
});

describe('TrainPlan', () => {
  it('buildTrainPlan resolves the engine, the steps and the estimates, and validates', () => {
    const plan = buildTrainPlan(planInput());
    expect(plan.engine).toBe('ort');
    expect(plan.recipe.engine).toBe('ort');
    expect(plan.steps).toEqual({ per_epoch: 32, total: 48, checkpoint_every: 32, eval_every: 32 });
    expect(plan.base_model).toEqual({ locator: 'file:models/tiny-3m', resolved_revision: 'f'.repeat(64) });
    expect(plan.seed).toBe(42);
    expect(plan.estimates.peak_memory_bytes).toBeGreaterThan(90 * 1024 ** 2);
    expect(plan.estimates.duration_seconds).toBeCloseTo(plan.estimates.step_seconds * 48, 9);
    expect(TrainPlan.safeParse(JSON.parse(JSON.stringify(plan))).success).toBe(true);
  });

  it('auto resolves to torch with a GPU', () => {
    expect(resolveEngine('auto', ONE_GPU)).toBe('torch');
    expect(resolveEngine('auto', CPU_2_CORE)).toBe('ort');
    expect(resolveEngine('ort', ONE_GPU)).toBe('ort');
    const r = autopilot(manifest('classification', { train: 500, eval: 60 }), ONE_GPU, TINY_3M);
    expect(buildTrainPlan(planInput({ recipe: { ...r.recipe, engine: 'auto' }, hardware: ONE_GPU })).engine).toBe('torch');
  });

  it('rejects inconsistent plans: step arithmetic, engine, seed, missing shards, bad run ids', () => {
    const plan = buildTrainPlan(planInput());
    const bad = (patch: (p: Record<string, unknown>) => void): string[] => {
      const copy = JSON.parse(JSON.stringify(plan)) as Record<string, unknown>;
      patch(copy);
      const res = TrainPlan.safeParse(copy);
      return res.success ? [] : res.error.issues.map((i) => i.path.join('.'));
    };
    expect(bad((p) => ((p['steps'] as Record<string, number>)['total'] = 47))).toEqual(['steps.total']);
    expect(bad((p) => (p['engine'] = 'torch'))).toEqual(['recipe.engine']);
    expect(bad((p) => (p['seed'] = 1))).toEqual(['seed']);
    expect(bad((p) => ((p['shards'] as Record<string, unknown>)['train'] = []))).toEqual(['shards.train']);
    expect(bad((p) => (p['run_id'] = 'exp.42'))).toEqual(['run_id']);
    expect(bad((p) => ((p['recipe'] as Record<string, unknown>)['engine'] = 'auto'))).toEqual(['recipe.engine']);
  });
});

describe('helpers', () => {
  it('durations parse and format both ways', () => {
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1d')).toBe(86_400);
    expect(parseDuration(' 45S ')).toBe(45);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('2 hours')).toBeUndefined();
    expect(parseDuration(0)).toBeUndefined();
    expect(parseDuration('-5m')).toBeUndefined();
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(90_061)).toBe('1d1h1m1s');
    expect(formatDuration(45)).toBe('45s');
    for (const s of [1, 59, 60, 61, 3599, 3600, 86_399, 200_000]) expect(parseDuration(formatDuration(s))).toBe(s);
    expect(() => formatDuration(0)).toThrow(RangeError);
  });

  it('base model locators', () => {
    expect(parseBaseModelLocator('hf:HuggingFaceTB/SmolLM2-135M@main')).toEqual({ ok: true, value: { kind: 'hf', id: 'HuggingFaceTB/SmolLM2-135M', revision: 'main' } });
    expect(parseBaseModelLocator('hf:gpt2')).toEqual({ ok: true, value: { kind: 'hf', id: 'gpt2' } });
    expect(parseBaseModelLocator('file:/models/x')).toEqual({ ok: true, value: { kind: 'file', path: '/models/x' } });
    expect(parseBaseModelLocator('hf:a/b/c').ok).toBe(false);
    expect(parseBaseModelLocator('hf:org/model@').ok).toBe(false);
    expect(parseBaseModelLocator('s3://bucket/model').ok).toBe(false);
  });

  it('closest suggests near names only', () => {
    expect(closest('learnig_rate', ['learning_rate', 'epochs'])).toBe('learning_rate');
    expect(closest('learningRate', ['learning_rate'])).toBe('learning_rate');
    expect(closest('colour', ['learning_rate', 'epochs'])).toBeUndefined();
    expect(closest('r', ['r', 'alpha'])).toBe('r');
  });
});
