/**
 * The decoder-with-past ONNX export (transformers.js layout, dynamic axes) run by onnxruntime-node: an empty past on
 * the first call, then its own presents fed back, with a left-padded batch. Checked against the training engine's
 * logits and against the inference graphs' greedy tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingRun } from '@distillery/engine-ort';
import * as ort from 'onnxruntime-node';
import { loadModel, type InferenceModel } from '../src/index.js';
import { argmax, LLAMA_GQA, QWEN2_MHA, referenceLogits, referenceRun, tinyModelFolder } from './support/tiny-model.js';

const report = process.env['INFERENCE_REPORT'] === '1';
const PROMPTS = [
  [300, 5, 77, 123, 9, 400, 17],
  [40, 41, 42],
];

describe.each([
  ['llama GQA, tied head', LLAMA_GQA],
  ['qwen2 MHA, biases, untied head, rope ×2', QWEN2_MHA],
])('exportOnnx: %s', (_name, makeConfig) => {
  let model: InferenceModel;
  let run: TrainingRun;
  let session: ort.InferenceSession;
  let dir: string;

  beforeAll(async () => {
    const tiny = await tinyModelFolder(makeConfig());
    model = await loadModel(tiny.dir);
    run = await referenceRun(tiny);
    dir = mkdtempSync(join(tmpdir(), 'inference-onnx-'));
    const written = await model.exportOnnx(dir);
    expect(written.files).toEqual(expect.arrayContaining(['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']));
    session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), { intraOpNumThreads: 2, logSeverityLevel: 4 });
  }, 60_000);

  afterAll(async () => {
    await session.release();
    await model.close();
    await run.close();
  });

  it('has the I/O names transformers.js feeds and reads', () => {
    const layers = Array.from({ length: model.config.num_hidden_layers }, (_, l) => l);
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', ...layers.flatMap((l) => [`past_key_values.${l}.key`, `past_key_values.${l}.value`])]);
    expect(session.outputNames).toEqual(['logits', ...layers.flatMap((l) => [`present.${l}.key`, `present.${l}.value`])]);
    expect(existsSync(join(dir, 'config.json'))).toBe(true);
  });

  it('prefill from an empty past, then its presents fed back: reference logits and the greedy tokens', async () => {
    const { num_hidden_layers: layers, num_key_value_heads: hkv, head_dim: dh, vocab_size: v } = model.config;
    const b = PROMPTS.length;
    const s = Math.max(...PROMPTS.map((p) => p.length));
    const rows = PROMPTS.map((p) => ({ ids: [...p], pad: s - p.length }));
    let feeds: Record<string, ort.Tensor> = {};
    const empty = new ort.Tensor('float32', new Float32Array(0), [b, hkv, 0, dh]);
    for (let l = 0; l < layers; l++) {
      feeds[`past_key_values.${l}.key`] = empty;
      feeds[`past_key_values.${l}.value`] = empty;
    }
    // Left padding; attention_mask covers past + new; positions count real tokens.
    let mask = rows.flatMap((r) => [...Array<number>(r.pad).fill(0), ...Array<number>(s - r.pad).fill(1)]);
    let input = rows.flatMap((r) => [...Array<number>(r.pad).fill(0), ...r.ids]);
    let positions = rows.flatMap((r) => Array.from({ length: s }, (_, i) => Math.max(0, i - r.pad)));
    let seq = s;
    const generated: number[][] = rows.map(() => []);
    let worst = 0;
    for (let step = 0; step < 8; step++) {
      const i64 = (xs: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), dims);
      const out = await session.run({ ...feeds, input_ids: i64(input, [b, seq]), attention_mask: i64(mask, [b, mask.length / b]), position_ids: i64(positions, [b, seq]) });
      expect(out['logits']?.dims).toEqual([b, seq, v]);
      const logits = out['logits']?.data as Float32Array;
      for (const [r, row] of rows.entries()) {
        const last = logits.subarray((r * seq + seq - 1) * v, (r * seq + seq) * v);
        // The reference: the training engine's forward pass over the whole, unpadded sequence so far.
        const ids = [...row.ids, ...(generated[r] as number[])];
        const ref = await referenceLogits(run, ids);
        const want = ref.subarray((ids.length - 1) * v, ids.length * v);
        worst = Math.max(worst, ...last.map((x, i) => Math.abs(x - (want[i] as number))));
        (generated[r] as number[]).push(argmax(last));
      }
      feeds = {};
      for (let l = 0; l < layers; l++) {
        feeds[`past_key_values.${l}.key`] = out[`present.${l}.key`] as ort.Tensor;
        feeds[`past_key_values.${l}.value`] = out[`present.${l}.value`] as ort.Tensor;
      }
      expect(out['present.0.key']?.dims).toEqual([b, hkv, mask.length / b, dh]);
      input = generated.map((g) => g[g.length - 1] as number);
      mask = rows.flatMap((_, r) => [...mask.slice((r * mask.length) / b, ((r + 1) * mask.length) / b), 1]);
      positions = rows.map((row, r) => row.ids.length + (generated[r] as number[]).length - 1);
      seq = 1;
    }
    if (report) console.log(`onnx export: max |Δ logits| vs reference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    const greedy = await model.generateBatch(PROMPTS, { maxNewTokens: 8, ignoreEos: true });
    expect(generated).toEqual(greedy.map((g) => g.tokenIds));
  });
});
