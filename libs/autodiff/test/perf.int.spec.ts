// Timing of the graph builder, the serializer and onnxruntime-node's session creation for a model of ~1k nodes.
// Bounds are loose (CI machines vary and share cores); set AUTODIFF_REPORT=1 to print the measurements.
import { describe, expect, it } from '@jest/globals';
import type * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { adamwInputs, serialize } from '../src/index.js';
import { session } from './harness.js';
import { buildTiny, fixedBatch, initialState, scalars, TINY, type TinyConfig } from './tiny-model.js';

const THREE_LAYERS: TinyConfig = { ...TINY, vocab: 512, dModel: 64, heads: 4, kvHeads: 2, ffn: 176, layers: 3, batch: 8, seq: 64 };

const ms = (x: number): string => `${x.toFixed(1)} ms`;

describe('build + serialize + session timing', () => {
  it('a 3-layer decoder step (~1.1k nodes) builds, serializes and loads in well under a few seconds', async () => {
    const t0 = performance.now();
    buildTiny(THREE_LAYERS); // cold: includes JIT warm-up of the builder
    const t1 = performance.now();
    const model = buildTiny(THREE_LAYERS);
    const t2 = performance.now();
    const bytes = serialize(model.graph);
    const t3 = performance.now();
    const s = await session(bytes);
    const t4 = performance.now();
    const nodes = onnxProto.onnx.ModelProto.decode(bytes).graph?.node?.length ?? 0;

    const state: Record<string, ort.Tensor> = { ...fixedBatch(THREE_LAYERS), ...initialState(model) };
    const times: number[] = [];
    for (let t = 1; t <= 12; t++) {
      const a = performance.now();
      const out = await s.run({ ...state, ...scalars(adamwInputs(t, { lr: 1e-3 })) });
      times.push(performance.now() - a);
      for (const { from, to } of model.step.feedback) state[to] = out[from] as ort.Tensor;
    }
    await s.release();
    const step = times.slice(2).sort((a, b) => a - b)[5] as number;
    if (process.env['AUTODIFF_REPORT'] !== undefined) {
      console.log(
        `${nodes} nodes, ${(bytes.length / 1024).toFixed(0)} KiB, ${model.step.params.length} params: build+grad+AdamW ${ms(t1 - t0)} cold / ${ms(t2 - t1)} warm, ` +
          `serialize ${ms(t3 - t2)}, session ${ms(t4 - t3)}; step B8×S64 median ${ms(step)}`,
      );
    }
    expect(nodes).toBeGreaterThan(900);
    expect(t4 - t1).toBeLessThan(5_000);
  });
});
