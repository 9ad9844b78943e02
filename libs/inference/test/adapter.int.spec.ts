/**
 * A PEFT LoRA adapter folder (exported by libs/engine-ort) loaded on top of the base model equals the merged model,
 * and matches the training engine's adapted forward pass (adapters applied in the graph, not merged).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_LORA_TARGETS, openRun, type TrainingRun } from '@distillery/engine-ort';
import type { Tensor } from '@distillery/models';
import { AdapterError, loadModel, type InferenceModel } from '../src/index.js';
import { LLAMA_GQA, logSoftmaxAt, prng, QWEN2_MHA, tinyModelFolder, tinyTokenizer, type TinyModel } from './support/tiny-model.js';

const PROMPTS = [[40, 41, 42], [300, 5, 77, 123, 9, 400, 17]];
const LORA = { r: 4, alpha: 8, dropout: 0, target_modules: [...ENGINE_LORA_TARGETS] };

let base: TinyModel;
let run: TrainingRun;
let adapterDir: string;
let mergedDir: string;
const models: InferenceModel[] = [];
const open = async (dir: string, adapter?: string) => {
  const m = await loadModel(dir, adapter === undefined ? {} : { adapter });
  models.push(m);
  return m;
};

beforeAll(async () => {
  base = await tinyModelFolder(LLAMA_GQA());
  run = await openRun({ config: base.config, weights: base.weights, method: 'lora', lora: LORA, optim: { weight_decay: 0, max_grad_norm: 0, betas: [0.9, 0.999], eps: 1e-8 }, seed: 0, buckets: [256] });
  // Adapters as after training: A and B both non-zero (a fresh adapter has B = 0 and changes nothing).
  const rand = prng(11);
  const state = run.state();
  const params = new Map<string, Tensor>([...state.params].map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data, () => 0.4 * (2 * rand() - 1)) }]));
  run.restore({ ...state, params });
  adapterDir = mkdtempSync(join(tmpdir(), 'inference-adapter-'));
  const exported = await run.exportModel(adapterDir, { tokenizer: tinyTokenizer(), merged: true, baseModel: base.dir });
  mergedDir = exported.modelDir as string;
}, 60_000);

afterAll(async () => {
  for (const m of models) await m.close();
  await run.close();
});

describe('a LoRA adapter folder merged at load', () => {
  it("generates exactly the merged model's tokens, which differ from the base model's", async () => {
    const adapted = await open(base.dir, adapterDir);
    const merged = await open(mergedDir);
    const plain = await open(base.dir);
    expect(adapted.adapter).toMatchObject({ r: 4, alpha: 8, scale: 2, targets: [...ENGINE_LORA_TARGETS] });
    const options = { maxNewTokens: 12, ignoreEos: true };
    const a = await adapted.generateBatch(PROMPTS, options);
    const m = await merged.generateBatch(PROMPTS, options);
    const p = await plain.generateBatch(PROMPTS, options);
    expect(a.map((g) => g.tokenIds)).toEqual(m.map((g) => g.tokenIds));
    expect(a.map((g) => g.tokenIds)).not.toEqual(p.map((g) => g.tokenIds));
    a.forEach((g, i) => g.logprobs.forEach((lp, k) => expect(Math.abs(lp - (m[i]?.logprobs[k] as number))).toBeLessThan(1e-5)));
  });

  it("scores as the training engine's adapted forward pass (adapters in the graph) within 1e-4", async () => {
    const adapted = await open(base.dir, adapterDir);
    const ids = [300, 5, 77, 123, 9, 400, 17, 250, 33, 64];
    const [scored] = await adapted.score([{ prompt: ids.slice(0, 3), continuation: ids.slice(3) }]);
    const logits = await run.logits({ batch: 1, seq: ids.length, input_ids: ids });
    const v = base.config.vocab_size;
    const want = ids.slice(3).map((id, k) => logSoftmaxAt(logits.subarray((k + 2) * v, (k + 3) * v), id));
    want.forEach((w, k) => expect(Math.abs((scored?.tokenLogprobs[k] as number) - w)).toBeLessThan(1e-4));
    // …and not as the base model.
    const baseLogits = await run.logits({ batch: 1, seq: ids.length, input_ids: ids }, { adapters: false });
    const baseLp = logSoftmaxAt(baseLogits.subarray(2 * v, 3 * v), ids[3] as number);
    expect(Math.abs((scored?.tokenLogprobs[0] as number) - baseLp)).toBeGreaterThan(1e-3);
  });
});

describe('adapter folders that cannot be merged are refused', () => {
  const variant = (edit: (cfg: Record<string, unknown>) => void): string => {
    const dir = mkdtempSync(join(tmpdir(), 'inference-adapter-variant-'));
    cpSync(adapterDir, dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    edit(cfg);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(cfg));
    return dir;
  };

  it('names the field of an unmodelled variant', async () => {
    const err = await loadModel(base.dir, { adapter: variant((c) => (c['use_dora'] = true)) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).field).toBe('use_dora');
    await expect(loadModel(base.dir, { adapter: variant((c) => (c['target_modules'] = ['q_proj', 'lm_head'])) })).rejects.toThrow(/'lm_head' is not a linear layer/);
    await expect(loadModel(base.dir, { adapter: variant((c) => (c['peft_type'] = 'IA3')) })).rejects.toThrow(/peft_type "IA3" is not supported/);
  });

  it('refuses tensors that do not fit the config or the base model', async () => {
    await expect(loadModel(base.dir, { adapter: variant((c) => (c['r'] = 8)) })).rejects.toThrow(/is \[4, 32\], expected \[8, 32\]/);
    await expect(loadModel(base.dir, { adapter: variant((c) => (c['target_modules'] = ['q_proj'])) })).rejects.toThrow(/unexpected base_model\.model\.model\.layers\.0\.mlp\.down_proj\.lora_A\.weight, .* and 19 more/);
    const other = await tinyModelFolder(QWEN2_MHA());
    await expect(loadModel(other.dir, { adapter: adapterDir })).rejects.toThrow(/does not fit the base model/);
  });

  it('use_rslora scales by alpha / √r', async () => {
    const m = await open(base.dir, variant((c) => (c['use_rslora'] = true)));
    expect(m.adapter?.scale).toBeCloseTo(8 / 2, 12);
  });
});
