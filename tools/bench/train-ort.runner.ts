// Child process of train-ort.bench.ts: trains with the ort engine on a spec written for tools/bench/train_reference.py
// (same JSON: config, weights, method, lora, adapters, optim, lrs, batches, threads, warmup) and prints one JSON
// line {losses, grad_norms, ms_per_step, first_step_ms, peak_rss_mb}. One process per measurement, so the peak RSS
// is this engine's alone.
//
//   node dist/tools/bench/train-ort.runner.js SPEC.json
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseDecoderConfig, SafetensorsFile, type Tensor } from '@distillery/models';
import { openRun, type EngineLoraConfig, type EngineOptimConfig } from '@distillery/engine-ort';

interface Spec {
  readonly config: Record<string, unknown>;
  readonly weights: string;
  readonly method: 'full' | 'lora';
  readonly lora?: EngineLoraConfig;
  readonly adapters?: string;
  readonly optim: EngineOptimConfig;
  readonly lrs: readonly number[];
  readonly batches: readonly { batch: number; seq: number; input_ids: number[]; labels: number[]; attention_mask: number[] }[];
  readonly threads?: number;
  readonly warmup?: number;
  readonly seed?: number;
}

async function readTensors(path: string): Promise<Map<string, Tensor>> {
  const file = await SafetensorsFile.open(path);
  try {
    return await file.readAll();
  } finally {
    await file.close();
  }
}

async function run(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Spec;
  const config = parseDecoderConfig(spec.config, 'spec.config');
  const weights = await readTensors(spec.weights);
  const batches = spec.batches.map((b) => ({
    batch: b.batch,
    seq: b.seq,
    input_ids: Int32Array.from(b.input_ids),
    labels: Int32Array.from(b.labels),
    attention_mask: Uint8Array.from(b.attention_mask),
    trained_tokens: b.labels.filter((l) => l !== -100).length,
  }));
  const buckets = [...new Set(batches.map((b) => b.seq))];
  const training = await openRun({
    config,
    weights,
    method: spec.method,
    ...(spec.lora === undefined ? {} : { lora: spec.lora }),
    optim: spec.optim,
    seed: spec.seed ?? 0,
    buckets,
    threads: spec.threads ?? 2,
  });
  if (spec.adapters !== undefined) {
    const s = training.state();
    training.restore({ ...s, params: await readTensors(spec.adapters) });
  }
  const losses: number[] = [];
  const norms: number[] = [];
  const times: number[] = [];
  for (const [t, lr] of spec.lrs.entries()) {
    const start = performance.now();
    const r = await training.step(batches[t % batches.length]!, { lr });
    times.push(performance.now() - start);
    losses.push(r.loss);
    norms.push(r.grad_norm);
  }
  await training.close();
  const warmup = spec.warmup ?? 0;
  console.log(
    JSON.stringify({
      losses,
      grad_norms: norms,
      ms_per_step: times.slice(warmup),
      first_step_ms: times[0],
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      params: [...training.trainable.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0),
    }),
  );
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
