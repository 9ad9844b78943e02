/**
 * Planning a run on real data and a real (tiny, randomly initialised) model folder: the recipe or autopilot, shards
 * tokenized through the model's chat template, preflight checks that block what cannot work, and a stored TrainPlan.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import type { ArtifactRef } from '@distillery/contracts';
import { IGNORE_INDEX, type TokenizedExample } from '@distillery/tasks';
import { planTraining, PlanRequestError, type PlanDeps } from '../src/index.js';
import { sentimentManifest, tinyModelFolder } from './support.js';

const store = new FileArtifactStore(mkdtempSync(join(tmpdir(), 'plan-store-')));
const GiB = 2 ** 30;
let modelDir = '';
let manifestRef: ArtifactRef;

const deps = (over: Partial<PlanDeps> = {}): PlanDeps => ({
  store,
  models: { cacheDir: mkdtempSync(join(tmpdir(), 'models-cache-')) },
  hardware: { cpu_cores: 2, memory_bytes: 24 * GiB, accelerators: [] },
  defaultBaseModel: `file:${modelDir}`,
  ...over,
});

describe('planning a training run', () => {
  beforeAll(async () => {
    modelDir = await tinyModelFolder();
    manifestRef = await sentimentManifest(store);
  }, 60_000);

  it('autopilot: a LoRA plan, shards tokenized through the chat template, every blocker check passing', async () => {
    const out = await planTraining(deps(), { project_id: 'p', run_id: 'train-1', manifest_ref: manifestRef, autopilot: true, preflight_mode: 'strict' });
    if (out.status !== 'dispatch') throw new Error(`blocked: ${out.blockers.join('; ')}`);
    expect(out.plan.recipe.method).toBe('lora');
    expect(out.plan.engine).toBe('ort');
    expect(out.plan.base_model.locator).toBe(`file:${modelDir}`);
    expect(out.plan.shards.train[0]!.rows).toBe(400);
    expect(out.checks.filter((c) => c.severity === 'blocker').every((c) => c.ok)).toBe(true);
    expect(out.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['task', 'engine', 'precision', 'weights', 'memory', 'chat_template', 'data']));
    expect(out.decisions.some((d) => d.field === 'method')).toBe(true);
    // The stored plan is the plan, and a train example is trained on its label and end-of-turn only.
    expect(JSON.parse((await store.readBytes(out.plan_ref)).toString('utf8'))).toEqual(JSON.parse(JSON.stringify(out.plan)));
    const first = (await (async () => {
      for await (const e of store.readJsonl<TokenizedExample>(out.plan.shards.train[0]!)) return e;
    })())!;
    const trainedIds = first.input_ids.filter((_, i) => first.labels[i] !== IGNORE_INDEX);
    expect(trainedIds.length).toBeGreaterThan(0);
    expect(trainedIds.length).toBeLessThan(first.input_ids.length / 4);
  });

  it('names every recipe error at once', async () => {
    const bad = { recipe_version: 1, method: 'lora', optim: { learning_rate: -1, epochs: 0 }, batch: { per_device: 0 }, lora: { r: 0 } };
    const err = await planTraining(deps(), { project_id: 'p', run_id: 'train-2', manifest_ref: manifestRef, recipe: bad, preflight_mode: 'strict' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanRequestError);
    const issues = (err as PlanRequestError).issues.join('\n');
    expect(issues).toMatch(/optim\.learning_rate/);
    expect(issues).toMatch(/batch\.per_device/);
    expect(issues).toMatch(/lora\.r/);
  });

  it('strict mode blocks a precision the engine lacks; fail-open proceeds with the blocker as a warning', async () => {
    const recipe = { recipe_version: 1, method: 'lora', precision: 'bf16' };
    const strict = await planTraining(deps(), { project_id: 'p', run_id: 'train-3', manifest_ref: manifestRef, recipe, preflight_mode: 'strict' });
    expect(strict.status).toBe('blocked');
    if (strict.status === 'blocked') expect(strict.blockers.join()).toMatch(/precision bf16 is not supported by the ort engine/);
    const open = await planTraining(deps(), { project_id: 'p', run_id: 'train-4', manifest_ref: manifestRef, recipe, preflight_mode: 'fail_open' });
    expect(open.status).toBe('dispatch');
    if (open.status === 'dispatch') expect(open.warnings.join()).toMatch(/precision/);
  });

  it('predicts out-of-memory against the trainer memory and blocks it', async () => {
    const out = await planTraining(deps({ hardware: { cpu_cores: 2, memory_bytes: 16 * 2 ** 20, accelerators: [] } }), { project_id: 'p', run_id: 'train-5', manifest_ref: manifestRef, recipe: { recipe_version: 1, method: 'full', batch: { per_device: 64 }, max_seq_len: 256 }, preflight_mode: 'strict' });
    expect(out.status).toBe('blocked');
    if (out.status === 'blocked') {
      expect(out.oom?.estimated_bytes).toBeGreaterThan(out.oom!.budget_bytes);
      expect(out.blockers.join()).toMatch(/memory: estimated peak \d+ MiB of \d+ MiB available/);
    }
  });

  it('refuses an image task on the text-only engine before anything else', async () => {
    const ref = await sentimentManifest(store, 'vision_language');
    const out = await planTraining(deps(), { project_id: 'p', run_id: 'train-6', manifest_ref: ref, autopilot: true, preflight_mode: 'fail_open' });
    expect(out.status).toBe('blocked');
    if (out.status === 'blocked') expect(out.blockers[0]).toMatch(/vision_language' is not supported by the ort engine/);
  });
});
