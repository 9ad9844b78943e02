// LoRA: training reduces the loss, a fresh adapter (B = 0) leaves the base model's logits unchanged bit for bit, the
// PEFT export has the PEFT layout, and the merged export reproduces the adapter-applied logits.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, readModelFolder, trainBpe, type TokenizerFiles } from '@distillery/models';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, openRun, type EngineLoraConfig } from '../src/index.js';
import { OPTIM, tinyBatch, tinyConfig, tinyWeights } from './support/tiny.js';

const config = tinyConfig({ vocab_size: 320 });
const weights = tinyWeights(config, 41);
const LORA: EngineLoraConfig = { r: 4, alpha: 8, dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'] };
const LORA_OPTIM = { ...OPTIM, weight_decay: 0 };
let dir: string;
let tokenizer: TokenizerFiles;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-ort-lora-'));
  const bpe = trainBpe('the quick brown fox jumps over the lazy dog. '.repeat(50), { vocabSize: 300 });
  tokenizer = { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const maxAbs = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);

describe('LoRA', () => {
  it('30 steps on a small corpus reduce the loss (training and held-out)', async () => {
    const run = await openRun({ config, weights, method: 'lora', lora: LORA, optim: LORA_OPTIM, seed: 3, buckets: [16, 32] });
    const train = [0, 1, 2, 3].map((i) => tinyBatch(4, 32, config.vocab_size, 60 + i, { successor: true }));
    const held = [tinyBatch(4, 16, config.vocab_size, 70, { successor: true })];
    const before = await run.evalLoss(held);
    const losses: number[] = [];
    for (let t = 0; t < 30; t++) losses.push((await run.step(train[t % 4]!, { lr: 3e-2 })).loss);
    const after = await run.evalLoss(held);
    await run.close();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    if (process.env['ENGINE_REPORT'] !== undefined) console.log(`lora losses ${losses.map((l) => l.toFixed(3)).join(' ')}; held-out ${before.toFixed(4)} → ${after.toFixed(4)}`);
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)) - 0.3);
    expect(after).toBeLessThan(before - 0.1);
    expect(run.stepCount).toBe(30);
  });

  it('a fresh adapter (B = 0) gives exactly the base model’s logits', async () => {
    const lora = await openRun({ config, weights, method: 'lora', lora: LORA, optim: LORA_OPTIM, seed: 3, buckets: [16] });
    const full = await openRun({ config, weights, method: 'full', optim: OPTIM, seed: 3, buckets: [16] });
    const x = tinyBatch(2, 16, config.vocab_size, 80);
    const adapted = await lora.logits(x);
    const base = await lora.logits(x, { adapters: false });
    const fullBase = await full.logits(x);
    await Promise.all([lora.close(), full.close()]);
    expect([...lora.state().params].filter(([n]) => n.includes('lora_B')).every(([, t]) => t.data.every((v) => v === 0))).toBe(true);
    expect(maxAbs(adapted, base)).toBe(0);
    expect(maxAbs(adapted, fullBase)).toBe(0);
  });

  it('frozen base weights as initializers train exactly like frozen weights fed as inputs (the default)', async () => {
    const options = { config, weights, method: 'lora', lora: LORA, optim: LORA_OPTIM, seed: 3, buckets: [16] } as const;
    const asInputs = await openRun(options);
    const asInitializers = await openRun({ ...options, frozenAs: 'initializers' });
    const a: number[] = [];
    const b: number[] = [];
    for (let t = 0; t < 3; t++) {
      const batch = tinyBatch(4, 16, config.vocab_size, 120 + t);
      a.push((await asInputs.step(batch, { lr: 2e-2 })).loss);
      b.push((await asInitializers.step(batch, { lr: 2e-2 })).loss);
    }
    const x = tinyBatch(2, 16, config.vocab_size, 130);
    const d = maxAbs(await asInputs.logits(x), await asInitializers.logits(x));
    await Promise.all([asInputs.close(), asInitializers.close()]);
    for (let t = 0; t < 3; t++) expect(Math.abs((a[t] as number) - (b[t] as number))).toBeLessThan(1e-5);
    expect(d).toBeLessThan(1e-5);
  });

  it('exports a PEFT adapter folder and a merged HF model that reproduces the adapter-applied logits', async () => {
    const run = await openRun({ config, weights, method: 'lora', lora: LORA, optim: LORA_OPTIM, seed: 3, buckets: [16] });
    for (let t = 0; t < 5; t++) await run.step(tinyBatch(4, 16, config.vocab_size, 90 + t), { lr: 5e-2 });
    const out = join(dir, 'adapter');
    const exported = await run.exportModel(out, { tokenizer, merged: true, baseModel: 'file:base' });
    expect(exported).toMatchObject({ adapterDir: out, modelDir: join(out, 'merged') });
    expect(exported.files).toEqual(expect.arrayContaining([ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, 'merged/config.json', 'merged/model.safetensors']));

    const adapterConfig = JSON.parse(await readFile(join(out, ADAPTER_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, lora_dropout: 0.05, bias: 'none', base_model_name_or_path: 'file:base' });
    expect(adapterConfig['target_modules']).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj']);
    const saved = decodeSafetensors(new Uint8Array(await readFile(join(out, ADAPTER_WEIGHTS_FILE))));
    expect(saved.metadata).toEqual({ format: 'pt' });
    const state = run.state().params;
    expect([...saved.tensors.keys()].sort()).toEqual([...state.keys()].sort());
    expect(saved.tensors.get('base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight')?.shape).toEqual([4, 32]);
    expect(saved.tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')?.shape).toEqual([32, 4]);
    for (const [name, t] of state) expect(saved.tensors.get(name)?.data).toEqual(t.data);

    const folder = await readModelFolder(join(out, 'merged'));
    const merged = await folder.checkpoint.readAll();
    await folder.close();
    const mergedRun = await openRun({ config: folder.config, weights: merged, method: 'full', optim: OPTIM, seed: 3, buckets: [16] });
    const x = tinyBatch(3, 16, config.vocab_size, 99);
    const want = await run.logits(x);
    const got = await mergedRun.logits(x);
    const base = await run.logits(x, { adapters: false });
    await Promise.all([run.close(), mergedRun.close()]);
    const d = maxAbs(got, want);
    if (process.env['ENGINE_REPORT'] !== undefined) console.log(`merged vs adapted logits: max |Δ| ${d.toExponential(2)} (adapters moved them by ${maxAbs(want, base).toExponential(2)})`);
    expect(maxAbs(want, base)).toBeGreaterThan(1e-2);
    expect(d).toBeLessThan(1e-4);
  });

  it('a full run exports an HF folder that reads back to the same weights and logits', async () => {
    const run = await openRun({ config, weights, method: 'full', optim: OPTIM, seed: 3, buckets: [16] });
    for (let t = 0; t < 3; t++) await run.step(tinyBatch(4, 16, config.vocab_size, 95 + t), { lr: 1e-2 });
    const out = join(dir, 'full');
    await expect(run.exportModel(out)).rejects.toThrow(/tokenizer/);
    const exported = await run.exportModel(out, { tokenizer });
    expect(exported).toMatchObject({ modelDir: out });
    expect(exported.adapterDir).toBeUndefined();
    const folder = await readModelFolder(out);
    const back = await folder.checkpoint.readAll();
    await folder.close();
    for (const [name, t] of run.mergedWeights()) expect(back.get(name)?.data).toEqual(t.data);
    const again = await openRun({ config: folder.config, weights: back, method: 'full', optim: OPTIM, seed: 3, buckets: [16] });
    const x = tinyBatch(2, 16, config.vocab_size, 7);
    expect(await again.logits(x)).toEqual(await run.logits(x));
    await Promise.all([run.close(), again.close()]);
  });
});
