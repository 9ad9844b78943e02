// Benchmark: training throughput of the ort engine (libs/engine-ort: one ONNX training-step graph per step, run by
// onnxruntime-node) against the plain PyTorch 1.13 reference (tools/bench/train_reference.py, Debian python3-torch),
// on the same model, weights, batches, AdamW settings and thread count.
//
//   node tools/build.mjs && node dist/tools/bench/train-ort.bench.js [--sizes 0.5M,4M,30M] [--methods lora,full]
//        [--threads 2] [--rounds 3] [--python /usr/bin/python3] [--keep]
//
// Per size (Llama, tied head, GQA) and method, each engine runs in its own child process (so peak RSS is per engine):
// ort = dist/tools/bench/train-ort.runner.js, torch = train_reference.py, on one spec file, for --rounds rounds
// (ort then torch, torch then ort, … so a burst of load on the shared VM does not always hit the same engine). Steps
// after the warm-up are timed; a round's figure is its median step; the table shows the median over rounds, the JSON
// line every round. tokens/s = batch × seq / that time. Peak RSS: getrusage maxrss of each process (weights, graphs
// or autograd, optimizer state, runtime), the largest over rounds. The losses of both engines are compared too
// (max |Δ| over all steps), and each engine's peak RSS with the preflight estimate (libs/recipes estimatePeakMemory,
// the figure preflight checks a plan against): est/measured − 1 per row.
// LoRA: r 16, alpha 32, q/k/v/o (the recipe defaults), dropout 0 (the reference does not model dropout).
// Goal: ort tokens/s ≥ 2 × PyTorch's, for each row.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configToJson, decoderConfig, encodeSafetensors, expectedTensorShapes, type DecoderConfig, type Tensor } from '@distillery/models';
import { openRun, type EngineLoraConfig, type EngineOptimConfig } from '@distillery/engine-ort';
import { estimatePeakMemory } from '@distillery/recipes';
import { flag, fmt, goal, machine, main, median, numberFlag, onCleanup, round, table } from './common.js';

interface Size {
  readonly name: string;
  readonly config: DecoderConfig;
  readonly batch: number;
  readonly seq: number;
  readonly warmup: number;
  readonly steps: number;
}

const llama = (vocab: number, hidden: number, inter: number, layers: number, heads: number, kv: number): DecoderConfig =>
  decoderConfig({
    model_type: 'llama',
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: inter,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kv,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: 1,
  });

const SIZES: readonly Size[] = [
  { name: '0.5M', config: llama(512, 96, 256, 4, 4, 2), batch: 8, seq: 64, warmup: 5, steps: 20 },
  { name: '4M', config: llama(2048, 256, 688, 5, 8, 4), batch: 16, seq: 128, warmup: 2, steps: 8 },
  { name: '30M', config: llama(8192, 512, 1408, 9, 8, 4), batch: 8, seq: 128, warmup: 1, steps: 3 },
];

const LORA: EngineLoraConfig = { r: 16, alpha: 32, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };
const OPTIM: EngineOptimConfig = { weight_decay: 0.01, max_grad_norm: 1, betas: [0.9, 0.999], eps: 1e-8 };
const LR = { full: 1e-4, lora: 1e-3 } as const;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Initial weights: linear layers and the embedding uniform with std 0.02, norms 1. */
function randomWeights(config: DecoderConfig, seed: number): Map<string, Tensor> {
  const rand = prng(seed);
  const bound = 0.02 * Math.sqrt(3);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = bound * (2 * rand() - 1);
    out.set(name, { shape, data });
  }
  return out;
}

/** Full rows of random tokens (every position trains), as the reference's JSON batches. */
function randomBatches(size: Size, n: number, seed: number) {
  const rand = prng(seed);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: size.batch * size.seq }, () => Math.floor(rand() * size.config.vocab_size));
    return { batch: size.batch, seq: size.seq, input_ids: ids, labels: ids, attention_mask: ids.map(() => 1) };
  });
}

interface EngineResult {
  readonly losses: number[];
  readonly ms_per_step: number[];
  readonly peak_rss_mb: number;
  readonly first_step_ms?: number;
  readonly params: number;
}

function runChild(cmd: string, args: string[], what: string): EngineResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as EngineResult;
}

await main(async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, '../../..');
  const runner = join(here, 'train-ort.runner.js');
  const reference = join(root, 'tools/bench/train_reference.py');
  const python = flag('python') ?? '/usr/bin/python3';
  const threads = numberFlag('threads', 2);
  const rounds = numberFlag('rounds', 3);
  const sizeNames = (flag('sizes') ?? SIZES.map((s) => s.name).join(',')).split(',');
  const methods = (flag('methods') ?? 'lora,full').split(',') as ('lora' | 'full')[];
  const torch = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (torch.status !== 0) throw new Error(`${python} cannot import torch: install python3-torch (apt-get install python3-torch)`);
  console.log(`machine ${JSON.stringify(machine())}, torch ${torch.stdout.trim()}, threads ${threads}`);

  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const size of SIZES.filter((s) => sizeNames.includes(s.name))) {
    const dir = mkdtempSync(join(tmpdir(), `train-bench-${size.name}-`));
    if (flag('keep') === undefined) onCleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
    const weights = randomWeights(size.config, 1);
    writeFileSync(join(dir, 'weights.safetensors'), encodeSafetensors(weights));
    const batches = randomBatches(size, 2, 2);
    const total = [...weights.values()].reduce((n, t) => n + t.data.length, 0);
    for (const method of methods) {
      const spec: Record<string, unknown> = {
        config: configToJson(size.config),
        weights: join(dir, 'weights.safetensors'),
        method,
        optim: OPTIM,
        lrs: Array.from({ length: size.warmup + size.steps }, () => LR[method]),
        batches,
        threads,
        warmup: size.warmup,
      };
      if (method === 'lora') {
        const run = await openRun({ config: size.config, weights, method, lora: LORA, optim: OPTIM, seed: 0, buckets: [size.seq] });
        writeFileSync(join(dir, 'adapters.safetensors'), encodeSafetensors(run.state().params));
        await run.close();
        Object.assign(spec, { lora: LORA, adapters: join(dir, 'adapters.safetensors') });
      }
      const specPath = join(dir, `spec-${method}.json`);
      writeFileSync(specPath, JSON.stringify(spec));
      const ortRuns: EngineResult[] = [];
      const refRuns: EngineResult[] = [];
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['ort', 'torch'] as const) : (['torch', 'ort'] as const);
        for (const engine of order) {
          console.error(`${size.name} ${method}: round ${round + 1}/${rounds} ${engine} …`);
          if (engine === 'ort') ortRuns.push(runChild(process.execPath, [runner, specPath], 'ort runner'));
          else refRuns.push(runChild(python, [reference, specPath], 'train_reference.py'));
        }
      }
      const tokens = size.batch * size.seq;
      const ortRounds = ortRuns.map((r) => median(r.ms_per_step));
      const refRounds = refRuns.map((r) => median(r.ms_per_step));
      const ortMs = median(ortRounds);
      const refMs = median(refRounds);
      const ratio = refMs / ortMs;
      const ort = { ...(ortRuns[0] as EngineResult), peak_rss_mb: Math.max(...ortRuns.map((r) => r.peak_rss_mb)) };
      const ref = { ...(refRuns[0] as EngineResult), peak_rss_mb: Math.max(...refRuns.map((r) => r.peak_rss_mb)) };
      const dLoss = Math.max(...ort.losses.map((l, i) => Math.abs(l - (ref.losses[i] as number))));
      const c = size.config;
      const estimate = (engine: 'ort' | 'torch') =>
        estimatePeakMemory({
          parameters: total,
          hidden_size: c.hidden_size,
          layers: c.num_hidden_layers,
          heads: c.num_attention_heads,
          vocab: c.vocab_size,
          intermediate_size: c.intermediate_size,
          kv_dim: c.num_key_value_heads * c.head_dim,
          method,
          ...(method === 'lora' ? { lora_r: LORA.r, lora_target_modules: LORA.target_modules } : {}),
          precision: 'fp32',
          batch: size.batch,
          seq_len: size.seq,
          engine,
          device: 'cpu',
        }).total_bytes / 2 ** 20;
      const ortEst = estimate('ort');
      const refEst = estimate('torch');
      const err = (est: number, measured: number) => `${est >= measured ? '+' : ''}${fmt((est / measured - 1) * 100, 0)}%`;
      rows.push([
        size.name,
        method,
        fmt(total),
        fmt(ort.params),
        `${size.batch}x${size.seq}`,
        fmt(ortMs, 1),
        fmt(tokens / (ortMs / 1000)),
        fmt(refMs, 1),
        fmt(tokens / (refMs / 1000)),
        `${fmt(ratio, 2)}x`,
        fmt(ort.peak_rss_mb),
        `${fmt(ortEst)} (${err(ortEst, ort.peak_rss_mb)})`,
        fmt(ref.peak_rss_mb),
        `${fmt(refEst)} (${err(refEst, ref.peak_rss_mb)})`,
        dLoss.toExponential(1),
        goal(ratio >= 2),
      ]);
      results.push({
        size: size.name,
        method,
        params: total,
        trainable: ort.params,
        batch: size.batch,
        seq: size.seq,
        steps: ort.ms_per_step.length,
        ort_ms: round(ortMs, 2),
        ort_ms_rounds: ortRounds.map((x) => round(x, 2)),
        torch_ms_rounds: refRounds.map((x) => round(x, 2)),
        ort_first_step_ms: round(ort.first_step_ms ?? NaN, 1),
        torch_ms: round(refMs, 2),
        ort_tok_s: round(tokens / (ortMs / 1000)),
        torch_tok_s: round(tokens / (refMs / 1000)),
        ratio: round(ratio, 2),
        ort_rss_mb: round(ort.peak_rss_mb),
        torch_rss_mb: round(ref.peak_rss_mb),
        ort_rss_estimate_mb: round(ortEst),
        torch_rss_estimate_mb: round(refEst),
        ort_rss_estimate_error: round(ortEst / ort.peak_rss_mb - 1, 3),
        torch_rss_estimate_error: round(refEst / ref.peak_rss_mb - 1, 3),
        max_abs_loss_diff: dLoss,
      });
    }
  }
  console.log(
    table(
      ['size', 'method', 'params', 'trainable', 'BxS', 'ort ms', 'ort tok/s', 'torch ms', 'torch tok/s', 'ratio', 'ort RSS MB', 'preflight est (err)', 'torch RSS MB', 'preflight est (err)', 'max|Δloss|', 'goal ≥2×'],
      rows,
    ),
  );
  console.log(JSON.stringify({ bench: 'train-ort', threads, rounds, machine: machine(), results }));
});
