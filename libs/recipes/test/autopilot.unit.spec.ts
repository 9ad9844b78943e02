import { describe, expect, it } from '@jest/globals';
import {
  autopilot,
  AUTOPILOT_RULES,
  AutopilotError,
  effectiveBatch,
  GiB,
  parseRecipe,
  RecipeSchema,
  stringifyRecipe,
  type AutopilotResult,
} from '../src/index.js';
import { CPU_2_CORE, manifest, ONE_GPU, SMOLLM2_135M, TINY_3M } from './fixtures.js';

const line = (r: AutopilotResult, field: string): string => {
  const d = r.decisions.find((x) => x.field === field);
  if (d === undefined) throw new Error(`no decision for ${field}: ${r.decisions.map((x) => x.field).join(', ')}`);
  return d.line;
};

/** Invariants every autopilot result keeps, whatever the input. */
function expectSound(r: AutopilotResult, profile: Parameters<typeof parseRecipe>[1] = {}): void {
  expect(RecipeSchema.safeParse(r.recipe).success).toBe(true);
  expect(parseRecipe(stringifyRecipe(r.recipe), profile)).toEqual(r.recipe);
  for (const d of r.decisions) {
    expect(d.line).toBe(`${d.field} ${d.value}: ${d.reason}`);
    expect(d.line).not.toMatch(/\n|undefined|NaN/);
  }
  const fields = r.decisions.map((d) => d.field);
  for (const f of ['base_model', 'engine', 'precision', 'method', 'max_seq_len', 'batch', 'optim.epochs', 'optim.learning_rate', 'checkpoint_cadence', 'eval_every', 'max_duration', 'seed']) {
    expect(fields).toContain(f);
  }
  expect(new Set(fields).size).toBe(fields.length);
  expect(r.estimates.total_steps).toBe(r.estimates.steps_per_epoch * r.recipe.optim.epochs);
  expect(r.recipe.max_duration).toBeGreaterThan(r.estimates.duration_seconds);
}

describe('autopilot: classification, 500 rows, a 2-core CPU with 24 GiB', () => {
  const r = autopilot(manifest('classification', { train: 500, eval: 60 }), CPU_2_CORE, SMOLLM2_135M, { token_lengths: { p95: 180 } });

  it('picks LoRA on the ORT engine in fp32, and says why in one line each', () => {
    expectSound(r);
    expect(r.recipe).toMatchObject({ method: 'lora', engine: 'ort', precision: 'fp32', base_model: SMOLLM2_135M.locator });
    expect(line(r, 'method')).toMatch(/^method lora: 500 train rows and a CPU \(full fine-tunes start at 20,000 rows\); a full fine-tune would take ~\d(\.\d)?× longer per step/);
    expect(line(r, 'engine')).toBe('engine ort: no GPU; the ONNX Runtime engine is the CPU default (2 cores)');
  });

  it('sizes LoRA by the model (135M → r 16, alpha 32) with more dropout for a small dataset', () => {
    expect(r.recipe.method === 'lora' && r.recipe.lora).toEqual({
      r: 16,
      alpha: 32,
      dropout: 0.1,
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });
    expect(r.recipe.optim.learning_rate).toBe(2e-4);
  });

  it('takes max_seq_len from the p95 token length, rounded up to 64', () => {
    expect(r.recipe.max_seq_len).toBe(192);
    expect(line(r, 'max_seq_len')).toMatch(/p95 .* 180 tokens/);
  });

  it('effective batch 16 within half the host memory; 3 epochs of 32 steps', () => {
    expect(effectiveBatch(r.recipe)).toBe(16);
    expect(r.recipe.batch.per_device).toBeLessThanOrEqual(AUTOPILOT_RULES.cpu_max_per_device);
    expect(r.estimates.fits_memory).toBe(true);
    expect(r.estimates.peak_memory_bytes).toBeLessThanOrEqual(12 * GiB);
    expect(r.estimates.memory_budget_bytes).toBe(12 * GiB);
    expect(r.estimates.steps_per_epoch).toBe(32);
    expect(r.recipe.optim.epochs).toBe(3);
    expect(r.warnings).toEqual([]);
  });

  it('checkpoints each epoch, evaluates several times, and allows about twice the estimated time', () => {
    expect(r.recipe.checkpoint_cadence).toBe('epoch');
    expect(typeof r.recipe.eval_every).toBe('number');
    expect(r.estimates.total_steps / (r.recipe.eval_every as number)).toBeGreaterThanOrEqual(2);
    expect(r.recipe.max_duration).toBeGreaterThanOrEqual(2 * r.estimates.duration_seconds);
    expect(r.recipe.max_duration).toBeLessThanOrEqual(2 * r.estimates.duration_seconds + 600);
    expect(r.recipe.max_duration! % 300).toBe(0);
  });

  it('is deterministic', () => {
    expect(autopilot(manifest('classification', { train: 500, eval: 60 }), CPU_2_CORE, SMOLLM2_135M, { token_lengths: { p95: 180 } })).toEqual(r);
  });
});

describe('autopilot: chat_sft, 50k rows', () => {
  const data = manifest('chat_sft', { train: 50_000, eval: 6_000 });

  it('with one GPU: a full fine-tune with torch in bf16, batch from GPU memory', () => {
    const r = autopilot(data, ONE_GPU, SMOLLM2_135M);
    expectSound(r);
    expect(r.recipe).toMatchObject({ method: 'full', engine: 'torch', precision: 'bf16', max_seq_len: 1024 });
    expect(line(r, 'method')).toMatch(/^method full: 50,000 train rows and a GPU/);
    expect(effectiveBatch(r.recipe)).toBe(32);
    expect(r.recipe.batch.per_device).toBeGreaterThanOrEqual(8);
    expect(r.estimates.peak_memory_bytes).toBeLessThanOrEqual(0.9 * 80 * GiB);
    expect(r.recipe.optim.learning_rate).toBe(2e-5);
    expect(r.estimates.total_steps).toBeLessThanOrEqual(AUTOPILOT_RULES.default_max_total_steps);
    expect(r.warnings).toEqual([]);
  });

  it('on a fp16-only GPU the precision is fp16', () => {
    const gpu = { ...ONE_GPU, accelerators: [{ kind: 'cuda' as const, memory_bytes: 16 * GiB, bf16: false }] };
    expect(autopilot(data, gpu, SMOLLM2_135M).recipe.precision).toBe('fp16');
  });

  it('on the 2-core CPU: LoRA, checkpoints at most 30 min apart, and a warning that it will take long', () => {
    const r = autopilot(data, CPU_2_CORE, SMOLLM2_135M);
    expectSound(r);
    expect(r.recipe.method).toBe('lora');
    expect(line(r, 'method')).toMatch(/full fine-tune needs ~\d+ GiB, more than a 12 GiB budget/);
    const cadence = r.recipe.checkpoint_cadence;
    expect(cadence).not.toBe('epoch');
    if (cadence !== 'epoch') expect(cadence.steps * r.estimates.step_seconds).toBeLessThanOrEqual(AUTOPILOT_RULES.max_seconds_between_checkpoints);
    expect(r.warnings.some((w) => /estimated at .* on 2 CPU cores/.test(w))).toBe(true);
  });

  it('a step cap lowers the epochs, but never below one', () => {
    expect(autopilot(data, ONE_GPU, SMOLLM2_135M, { max_steps: 2_000 }).recipe.optim.epochs).toBe(1);
    const capped = autopilot(data, ONE_GPU, SMOLLM2_135M, { max_steps: 100 });
    expect(capped.recipe.optim.epochs).toBe(1);
    expect(capped.estimates.total_steps).toBe(1_563);
    expect(line(capped, 'optim.epochs')).toMatch(/never less than one epoch/);
  });
});

describe('autopilot: dpo', () => {
  const pairs = manifest('dpo', { train: 4_000, eval: 500 });

  it('preference data gets method dpo with a low rate and few epochs', () => {
    const r = autopilot(pairs, ONE_GPU, SMOLLM2_135M);
    expectSound(r, { task_profile: 'dpo' });
    expect(r.recipe).toMatchObject({ method: 'dpo', dpo: { beta: 0.1, reference: 'base' }, max_seq_len: 1024 });
    expect(r.recipe.optim.learning_rate).toBe(1e-6);
    expect(r.recipe.optim.epochs).toBeLessThanOrEqual(AUTOPILOT_RULES.max_epochs.dpo);
    expect(line(r, 'method')).toMatch(/4,000 preference pairs/);
  });

  it('on the CPU, sequences are shortened until one pair fits, with a warning', () => {
    const r = autopilot(pairs, CPU_2_CORE, SMOLLM2_135M);
    expectSound(r, { task_profile: 'dpo' });
    expect(r.recipe.max_seq_len).toBeLessThan(1024);
    expect(r.recipe.max_seq_len).toBeGreaterThanOrEqual(AUTOPILOT_RULES.min_fit_seq_len);
    expect(r.estimates.fits_memory).toBe(true);
    expect(r.estimates.peak_memory_bytes).toBeLessThanOrEqual(r.estimates.memory_budget_bytes);
    expect(r.warnings).toContain(`max_seq_len lowered from 1024 to ${r.recipe.max_seq_len} to fit memory: longer rows are truncated`);
    expect(line(r, 'max_seq_len')).toMatch(/do not fit .* halved until they do/);
  });

  it('dpo cannot be forced on data without preference pairs', () => {
    expect(() => autopilot(manifest('chat_sft', { train: 100, eval: 10 }), CPU_2_CORE, SMOLLM2_135M, { method: 'dpo' })).toThrow(AutopilotError);
  });

  it('when nothing fits, it says preflight will block', () => {
    const small = { cpu_cores: 2, memory_bytes: 1 * GiB, accelerators: [] };
    const r = autopilot(pairs, small, SMOLLM2_135M);
    expect(r.estimates.fits_memory).toBe(false);
    expect(r.recipe.max_seq_len).toBe(AUTOPILOT_RULES.min_fit_seq_len);
    expect(r.warnings.some((w) => w.includes('preflight will block'))).toBe(true);
  });
});

describe('autopilot: a tiny dataset of 20 rows', () => {
  const r = autopilot(manifest('classification', { train: 20, eval: 3 }), CPU_2_CORE, TINY_3M);

  it('uses a small batch and more epochs to reach a useful number of steps, within the epoch cap', () => {
    expectSound(r);
    expect(effectiveBatch(r.recipe)).toBe(2);
    expect(r.estimates.steps_per_epoch).toBe(10);
    expect(r.recipe.optim.epochs).toBe(5);
    expect(r.estimates.total_steps).toBe(AUTOPILOT_RULES.min_total_steps);
    expect(r.recipe.method === 'lora' && r.recipe.lora.r).toBe(8);
    expect(r.recipe.optim.learning_rate).toBe(1e-2);
    expect(r.recipe.optim.warmup_ratio).toBe(0.1);
    expect(r.warnings).toContain('only 20 train rows: expect memorisation; the gold set will tell whether the model generalises');
    expect(r.recipe.max_duration).toBe(600);
  });

  it('never exceeds the epoch cap, even for 3 rows', () => {
    const three = autopilot(manifest('classification', { train: 3, eval: 1 }), CPU_2_CORE, TINY_3M);
    expect(three.recipe.optim.epochs).toBe(AUTOPILOT_RULES.max_epochs.lora);
    expect(three.estimates.total_steps).toBe(30); // 3 rows, batch 1: 3 steps × 10 epochs
  });

  it('caps max_seq_len at the model positions', () => {
    const long = autopilot(manifest('qa', { train: 20, eval: 3 }), CPU_2_CORE, TINY_3M, { token_lengths: { p95: 900 } });
    expect(long.recipe.max_seq_len).toBe(512);
    expect(line(long, 'max_seq_len')).toMatch(/capped by the model's 512 positions/);
  });
});

describe('autopilot: other inputs', () => {
  it('no eval rows: evaluation per epoch and a warning', () => {
    const r = autopilot(manifest('qa', { train: 1_000, eval: 0 }), CPU_2_CORE, TINY_3M);
    expect(r.recipe.eval_every).toBe('epoch');
    expect(r.warnings.some((w) => w.startsWith('the manifest has no eval rows'))).toBe(true);
  });

  it('no train rows is an error', () => {
    expect(() => autopilot(manifest('qa', { train: 0, eval: 10 }), CPU_2_CORE, TINY_3M)).toThrow('no train rows');
  });

  it('forcing the ORT engine on a GPU machine keeps fp32 and the CPU budget', () => {
    const r = autopilot(manifest('classification', { train: 500, eval: 60 }), ONE_GPU, TINY_3M, { engine: 'ort', seed: 7 });
    expect(r.recipe).toMatchObject({ engine: 'ort', precision: 'fp32', seed: 7 });
    expect(r.estimates.memory_budget_bytes).toBe(64 * GiB);
    expect(line(r, 'seed')).toBe('seed 7: requested');
  });

  it('full fine-tunes on a CPU only for tiny models with a lot of data', () => {
    const big = manifest('chat_sft', { train: 30_000, eval: 100 });
    expect(autopilot(big, CPU_2_CORE, TINY_3M, { token_lengths: { p95: 100 } }).recipe.method).toBe('full');
    expect(autopilot(manifest('chat_sft', { train: 19_999, eval: 100 }), CPU_2_CORE, TINY_3M).recipe.method).toBe('lora');
  });
});
