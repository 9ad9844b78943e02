// Child process of inference.bench.ts: one measurement of one engine on one model, then one JSON line on stdout.
// One process per measurement, so each engine's peak RSS is its own and one engine's threads, caches and allocator
// never warm or slow the other.
//
//   node dist/tools/bench/inference.runner.js SPEC.json
//
// Tasks (the spec's `task`):
// - latency, engine inference: libs/inference loadModel(dir, {threads, weightsAs}) and `stream` per prompt (the
//   runner's streaming path; `generate` runs the same decode loop), greedy, ignoreEos, maxNewTokens.
// - latency, engine llama: node-llama-cpp (prebuilt CPU binary) on a GGUF file, one context and sequence,
//   `sequence.evaluate(prompt, {temperature: 0, yieldEogToken: true})` per prompt (greedy, through end-of-generation
//   tokens), stopped after maxNewTokens; the history is cleared between prompts.
//   Both: one uncounted pass over every prompt first (graph builds, allocations), then the timed pass; per prompt the
//   time to the first token (prefill + first choice) and the total.
// - score: libs/inference loadModel(dir, {threads, maxBatch}) and `score` per chunk of rows, every label's
//   continuation one request (as apps/evaluation predict.ts does for label tasks); an uncounted pass first.
// - generate: libs/inference loadModel(dir, {threads, maxBatch}) and `generateBatch` per chunk of prompts (as
//   predict.ts does for generation tasks), greedy, ignoreEos; an uncounted warm-up on one batch of the shortest and one
//   of the longest prompts, and the timed pass run again (once) if it still built a graph.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadModel, type InferenceModel, type WeightsAs } from '@distillery/inference';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';

interface LatencyInference {
  readonly task: 'latency';
  readonly engine: 'inference';
  readonly dir: string;
  readonly weightsAs: WeightsAs;
  readonly threads: number;
  readonly prompts: readonly number[][];
  readonly maxNewTokens: number;
}

interface LatencyLlama {
  readonly task: 'latency';
  readonly engine: 'llama';
  readonly gguf: string;
  readonly kvType: 'F16' | 'F32';
  readonly threads: number;
  readonly prompts: readonly number[][];
  readonly maxNewTokens: number;
}

interface Score {
  readonly task: 'score';
  readonly dir: string;
  readonly threads: number;
  readonly maxBatch: number;
  readonly chunk: number;
  readonly rows: readonly { readonly prompt: number[]; readonly continuations: number[][] }[];
}

interface Generate {
  readonly task: 'generate';
  readonly dir: string;
  readonly threads: number;
  readonly maxBatch: number;
  readonly chunk: number;
  readonly prompts: readonly number[][];
  readonly maxNewTokens: number;
}

export type RunnerSpec = LatencyInference | LatencyLlama | Score | Generate;

export interface LatencyResult {
  readonly load_ms: number;
  /** Per prompt: time to the first generated token (prefill + choosing it). */
  readonly first_token_ms: number[];
  /** Per prompt: time to the last of maxNewTokens tokens. */
  readonly total_ms: number[];
  readonly tokens: number[][];
  /** Graphs libs/inference built during the timed pass (should be 0). */
  readonly graphs_built_timed?: number;
  /** CPU time (user + system, every thread of the process) of the timed pass. */
  readonly cpu_ms: number;
  readonly peak_rss_mb: number;
}

export interface BatchedResult {
  readonly load_ms: number;
  readonly ms: number;
  /** Timed passes run (a pass that built a graph is run again). */
  readonly passes: number;
  readonly graphs: readonly string[];
  readonly graphs_built_timed: number;
  /** score: Σ log p per request, in request order; generate: the generated ids per prompt. */
  readonly logprobs?: number[];
  readonly tokens?: number[][];
  /** CPU time (user + system, every thread of the process) of the last timed pass. */
  readonly cpu_ms: number;
  readonly peak_rss_mb: number;
}

const now = () => performance.now();
const rssMb = () => process.resourceUsage().maxRSS / 1024;

/** Runs f and adds the process' CPU time during it (µs → ms) to its result. */
async function withCpu<T extends object>(f: () => Promise<T>): Promise<T & { cpu_ms: number }> {
  const c0 = process.cpuUsage();
  const r = await f();
  const c = process.cpuUsage(c0);
  return { ...r, cpu_ms: (c.user + c.system) / 1000 };
}

async function timedLoad(dir: string, options: Parameters<typeof loadModel>[1]): Promise<[InferenceModel, number]> {
  const t0 = now();
  const model = await loadModel(dir, options);
  return [model, now() - t0];
}

async function latencyInference(spec: LatencyInference): Promise<LatencyResult> {
  const [model, loadMs] = await timedLoad(spec.dir, { threads: spec.threads, weightsAs: spec.weightsAs, maxBatch: 1 });
  const options = { maxNewTokens: spec.maxNewTokens, ignoreEos: true, temperature: 0 };
  const pass = async () => {
    const first: number[] = [];
    const total: number[] = [];
    const tokens: number[][] = [];
    for (const prompt of spec.prompts) {
      const ids: number[] = [];
      const t0 = now();
      let t1 = NaN;
      for await (const chunk of model.stream(prompt, options)) {
        if (ids.length === 0) t1 = now();
        ids.push(chunk.tokenId);
      }
      total.push(now() - t0);
      first.push(t1 - t0);
      tokens.push(ids);
    }
    return { first, total, tokens };
  };
  try {
    await pass();
    const built = model.graphs.length;
    const r = await withCpu(pass);
    return { load_ms: loadMs, first_token_ms: r.first, total_ms: r.total, tokens: r.tokens, graphs_built_timed: model.graphs.length - built, cpu_ms: r.cpu_ms, peak_rss_mb: rssMb() };
  } finally {
    await model.close();
  }
}

async function latencyLlama(spec: LatencyLlama): Promise<LatencyResult> {
  const t0 = now();
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: spec.gguf, gpuLayers: 0 });
  const longest = Math.max(...spec.prompts.map((p) => p.length));
  const context = await model.createContext({
    contextSize: 2 ** Math.ceil(Math.log2(longest + spec.maxNewTokens + 1)),
    batchSize: 2 ** Math.ceil(Math.log2(longest)),
    threads: spec.threads,
    sequences: 1,
    experimentalKvCacheKeyType: spec.kvType,
    experimentalKvCacheValueType: spec.kvType,
  });
  const loadMs = now() - t0;
  const sequence = context.getSequence();
  const pass = async () => {
    const first: number[] = [];
    const total: number[] = [];
    const tokens: number[][] = [];
    for (const prompt of spec.prompts) {
      await sequence.clearHistory();
      const ids: number[] = [];
      const s = now();
      let t1 = NaN;
      for await (const token of sequence.evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
        if (ids.length === 0) t1 = now();
        ids.push(Number(token));
        if (ids.length >= spec.maxNewTokens) break;
      }
      total.push(now() - s);
      first.push(t1 - s);
      tokens.push(ids);
    }
    return { first, total, tokens };
  };
  try {
    await pass();
    const r = await withCpu(pass);
    return { load_ms: loadMs, first_token_ms: r.first, total_ms: r.total, tokens: r.tokens, cpu_ms: r.cpu_ms, peak_rss_mb: rssMb() };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

async function score(spec: Score): Promise<BatchedResult> {
  const [model, loadMs] = await timedLoad(spec.dir, { threads: spec.threads, maxBatch: spec.maxBatch });
  const pass = async () => {
    const logprobs: number[] = [];
    const t0 = now();
    for (let start = 0; start < spec.rows.length; start += spec.chunk) {
      const requests = spec.rows.slice(start, start + spec.chunk).flatMap((row) => row.continuations.map((continuation) => ({ prompt: row.prompt, continuation })));
      for (const s of await model.score(requests)) logprobs.push(s.logprob);
    }
    return { ms: now() - t0, logprobs };
  };
  try {
    await pass();
    let passes = 0;
    let r: Awaited<ReturnType<typeof pass>> & { cpu_ms: number };
    let built: number;
    do {
      const before = model.graphs.length;
      r = await withCpu(pass);
      built = model.graphs.length - before;
      passes++;
    } while (built > 0 && passes < 2);
    return { load_ms: loadMs, ms: r.ms, passes, graphs: model.graphs, graphs_built_timed: built, logprobs: r.logprobs, cpu_ms: r.cpu_ms, peak_rss_mb: rssMb() };
  } finally {
    await model.close();
  }
}

async function generate(spec: Generate): Promise<BatchedResult> {
  const [model, loadMs] = await timedLoad(spec.dir, { threads: spec.threads, maxBatch: spec.maxBatch });
  const options = { maxNewTokens: spec.maxNewTokens, ignoreEos: true, temperature: 0 };
  const pass = async () => {
    const tokens: number[][] = [];
    const t0 = now();
    for (let start = 0; start < spec.prompts.length; start += spec.chunk) {
      for (const g of await model.generateBatch(spec.prompts.slice(start, start + spec.chunk), options)) tokens.push(g.tokenIds);
    }
    return { ms: now() - t0, tokens };
  };
  try {
    // Warm-up without a full pass (at batch 1 that would double the run): one batch of the shortest prompts and one
    // of the longest (the smallest and the largest prompt bucket); a timed pass that still builds a graph is
    // discarded and run again.
    const bySize = [...spec.prompts].sort((a, b) => a.length - b.length);
    await model.generateBatch(bySize.slice(0, spec.maxBatch), options);
    await model.generateBatch(bySize.slice(-spec.maxBatch), options);
    let passes = 0;
    let r: Awaited<ReturnType<typeof pass>> & { cpu_ms: number };
    let built: number;
    do {
      const before = model.graphs.length;
      r = await withCpu(pass);
      built = model.graphs.length - before;
      passes++;
    } while (built > 0 && passes < 2);
    return { load_ms: loadMs, ms: r.ms, passes, graphs: model.graphs, graphs_built_timed: built, tokens: r.tokens, cpu_ms: r.cpu_ms, peak_rss_mb: rssMb() };
  } finally {
    await model.close();
  }
}

async function run(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as RunnerSpec;
  let result: LatencyResult | BatchedResult;
  switch (spec.task) {
    case 'latency':
      result = spec.engine === 'inference' ? await latencyInference(spec) : await latencyLlama(spec);
      break;
    case 'score':
      result = await score(spec);
      break;
    case 'generate':
      result = await generate(spec);
      break;
  }
  console.log(JSON.stringify(result));
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
