// Benchmark: inference speed of libs/inference (the engine of the built-in OpenAI-compatible runner, onnxruntime-node)
// against llama.cpp (node-llama-cpp's prebuilt CPU binary) on the same model, and libs/inference's batched throughput
// against batch 1, at 2–3 model sizes, all in one invocation.
//
//   node tools/build.mjs && node dist/tools/bench/inference.bench.js [--sizes tiny,4M,30M] [--rounds 3] [--threads 2]
//        [--latency-threads 2,1] [--parts latency,batched] [--max-new 64] [--weights inputs,initializers]
//        [--gguf F32,F16] [--llama-kv F16] [--prompts 8] [--score-rows 64] [--score-batch 16] [--gen-prompts 32]
//        [--gen-batch 8] [--tiny-dir DIR] [--keep]
//
// Models (Llama, tied head, GQA): `tiny` is make-tiny's model (makeTinyModel from @distillery/app-trainer: BPE 512
// trained on the bundled Alice text, hidden 64, 4 layers, pre-trained 300 steps) — --tiny-dir, else
// $DISTILLERY_DATA_DIR/models/tiny (default .distillery) when it holds a model, else made in a temp folder; `4M` and
// `30M` are random-weight models (uniform, std 0.02; train-ort's shapes) written with libs/models writeModelFolder with
// a trainBpe tokenizer (Alice, ChatML). Each is converted to GGUF with libs/gguf convertModelFolder (F32 and F16).
// Prompts are token ids, identical for every engine: chats (one user turn from Alice passages) rendered by the model's
// chat template with the assistant turn opened, 30–60 tokens.
//
// 1. latency (batch 1, greedy, --max-new tokens, EOS ignored on both so every run has the same length): libs/inference
//    loadModel(dir, {threads, weightsAs}) — 'inputs' is what the runner loads (its default); 'initializers'
//    informational, at --threads only — streaming each prompt, vs llama.cpp on the F32 and the F16 GGUF (KV cache
//    type --llama-kv, default F16 = llama.cpp's default; flash attention off = its default), `sequence.evaluate`
//    stopped after N tokens. Both engines at --threads (the goal) and at every --latency-threads count
//    (informational: llama.cpp's threads spin-wait, which on a loaded 2-vCPU machine makes 2 threads far slower than
//    1). Prefill ms = time to the first token; decode tokens/s = (N − 1) / (total − first), summed over prompts; end to
//    end = N / total; CPU ms per token and cores busy (CPU time / wall time) of the timed pass. Ratios runner /
//    llama.cpp at the same thread count (higher = runner faster). Goal: decode ≥ 1× at --threads.
// 2. batched (--threads): label-likelihood scoring as apps/evaluation predict.ts does it (two labels per row, one
//    `score` call per 16 rows) of --score-rows rows with maxBatch 1 vs --score-batch (goal ≥ 10× rows/s); greedy
//    generation of --gen-prompts prompts (one `generateBatch` call per 16) with maxBatch 1 vs --gen-batch (tokens/s,
//    informational).
//
// Every measurement is its own child process (dist/tools/bench/inference.runner.js, one JSON spec), after an
// uncounted warm-up pass in that process; per size, the children run in one order on even rounds and reversed on odd
// ones (a burst of load on the shared machine does not always hit the same engine). Table: medians over rounds; JSON
// line (last line of stdout): every round. The 1-minute load average is sampled before every child.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTinyModel, stripGutenberg } from '@distillery/app-trainer';
import { convertModelFolder, type GgufFileType } from '@distillery/gguf';
import { decoderConfig, expectedTensorShapes, readModelFolder, trainBpe, writeModelFolder, type DecoderConfig, type ModelTokenizer, type Tensor } from '@distillery/models';
import { flag, fmt, goal, listFlag, machine, main, median, numberFlag, onCleanup, round, table } from './common.js';
import type { BatchedResult, LatencyResult, RunnerSpec } from './inference.runner.js';

const llama = (vocab: number, hidden: number, inter: number, layers: number, heads: number, kv: number, eos: number): DecoderConfig =>
  decoderConfig({
    model_type: 'llama',
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: inter,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kv,
    max_position_embeddings: 1024,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: eos,
  });

/** Random-weight sizes: train-ort's 4M and 30M shapes (vocab, hidden, intermediate, layers, heads, kv heads). */
const RANDOM: Readonly<Record<string, readonly [number, number, number, number, number, number]>> = {
  '4M': [2048, 256, 688, 5, 8, 4],
  '30M': [8192, 512, 1408, 9, 8, 4],
};
const SIZE_NAMES = ['tiny', ...Object.keys(RANDOM)];
/** Rows / prompts per `score` / `generateBatch` call, as predict.ts's default chunk. */
const CHUNK = 16;
const LABELS = ['happy', 'sad'] as const;

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

/** Linear layers and the embedding uniform with std 0.02, norms 1 (as train-ort.bench.ts). */
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

const parameters = (config: DecoderConfig): number => [...expectedTensorShapes(config).values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

/** A one-turn chat from the corpus' words at `start`, grown word by word until the rendered prompt has ≥ target tokens. */
function chatPrompt(tokenizer: ModelTokenizer, instruction: string, words: readonly string[], start: number, target: number): { ids: number[]; user: string } {
  for (let k = 1; start + k <= words.length; k++) {
    const user = `${instruction}${words.slice(start, start + k).join(' ')}`;
    const ids = tokenizer.encode(tokenizer.renderChat([{ role: 'user', content: user }], { addGenerationPrompt: true }), { addSpecialTokens: false });
    if (ids.length >= target) return { ids, user };
  }
  throw new Error(`the corpus ran out of words for a ${target}-token prompt`);
}

/** The label's ids as the assistant's answer to the prompt, end-of-turn included (predict.ts `answerIds`). */
function answerIds(tokenizer: ModelTokenizer, user: string, label: string, prompt: readonly number[]): number[] {
  const text = tokenizer.renderChat([{ role: 'user', content: user }, { role: 'assistant', content: label }], { addGenerationPrompt: false });
  const full = tokenizer.encode(text, { addSpecialTokens: false });
  const prefix = prompt.every((id, i) => full[i] === id);
  return prefix && full.length > prompt.length ? full.slice(prompt.length) : tokenizer.encode(label, { addSpecialTokens: false });
}

interface Workload {
  readonly latencyPrompts: number[][];
  readonly genPrompts: number[][];
  readonly scoreRows: { prompt: number[]; continuations: number[][] }[];
}

function workload(tokenizer: ModelTokenizer, words: readonly string[], n: { prompts: number; gen: number; score: number }): Workload {
  const at = (i: number) => (i * 997) % (words.length - 400);
  const story = 'Continue the story:\n\n';
  const mood = 'Is the mood of this passage happy or sad? Answer with one word.\n\n';
  const latencyPrompts = Array.from({ length: n.prompts }, (_, i) => chatPrompt(tokenizer, story, words, at(i), 30 + Math.round((30 * i) / Math.max(1, n.prompts - 1))).ids);
  const genPrompts = Array.from({ length: n.gen }, (_, i) => chatPrompt(tokenizer, story, words, at(100 + i), 30 + ((i * 7) % 31)).ids);
  const scoreRows = Array.from({ length: n.score }, (_, i) => {
    const { ids, user } = chatPrompt(tokenizer, mood, words, at(300 + i), 30 + ((i * 11) % 31));
    return { prompt: ids, continuations: LABELS.map((label) => answerIds(tokenizer, user, label, ids)) };
  });
  return { latencyPrompts, genPrompts, scoreRows };
}

const runnerKey = (weightsAs: 'inputs' | 'initializers', threads: number) => `runner ${weightsAs} t${threads}`;
const llamaKey = (type: GgufFileType, threads: number) => `llama.cpp ${type} t${threads}`;

interface Child {
  readonly key: string;
  readonly spec: RunnerSpec;
}

const loads: number[] = [];

function runChild(runner: string, dir: string, child: Child): LatencyResult | BatchedResult {
  const path = join(dir, `spec-${child.key.replace(/[^a-z0-9]+/gi, '-')}.json`);
  writeFileSync(path, JSON.stringify(child.spec));
  loads.push(loadavg()[0] as number);
  const r = spawnSync(process.execPath, [runner, path], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${child.key} failed (exit ${r.status}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as LatencyResult | BatchedResult;
}

interface LatencyFigures {
  readonly prefill_ms: number;
  readonly prefill_tok_s: number;
  readonly decode_tok_s: number;
  readonly e2e_tok_s: number;
  /** CPU time of the timed pass per generated token (prefill included). */
  readonly cpu_ms_per_token: number;
  /** CPU time / wall time of the timed pass: how many cores the engine kept busy. */
  readonly cores_busy: number;
}

function latencyFigures(r: LatencyResult, prompts: readonly number[][], maxNew: number, what: string): LatencyFigures {
  r.tokens.forEach((t, i) => {
    if (t.length !== maxNew) throw new Error(`${what}: prompt ${i} generated ${t.length} tokens, expected ${maxNew}`);
  });
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const first = sum(r.first_token_ms);
  const total = sum(r.total_ms);
  return {
    prefill_ms: first / prompts.length,
    prefill_tok_s: (sum(prompts.map((p) => p.length)) / first) * 1000,
    decode_tok_s: ((prompts.length * (maxNew - 1)) / (total - first)) * 1000,
    e2e_tok_s: ((prompts.length * maxNew) / total) * 1000,
    cpu_ms_per_token: r.cpu_ms / (prompts.length * maxNew),
    cores_busy: r.cpu_ms / total,
  };
}

const medianOf = <T>(rs: readonly T[], f: (r: T) => number): number => median(rs.map(f));

/** Prompts whose greedy tokens are identical, and the mean length of the common prefix. */
function agreement(a: readonly number[][], b: readonly number[][]): { same: number; prefix: number } {
  let same = 0;
  let prefix = 0;
  a.forEach((x, i) => {
    const y = b[i] as number[];
    let k = 0;
    while (k < x.length && x[k] === y[k]) k++;
    prefix += k;
    if (k === x.length && x.length === y.length) same++;
  });
  return { same, prefix: prefix / a.length };
}

await main(async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, '../../..');
  const runner = join(here, 'inference.runner.js');
  const threads = numberFlag('threads', 2);
  const rounds = numberFlag('rounds', 3);
  const maxNew = numberFlag('max-new', 64);
  const nPrompts = numberFlag('prompts', 8);
  const scoreRows = numberFlag('score-rows', 64);
  const scoreBatch = numberFlag('score-batch', 16);
  const genPrompts = numberFlag('gen-prompts', 32);
  const genBatch = numberFlag('gen-batch', 8);
  const sizeNames = (flag('sizes') ?? SIZE_NAMES.join(',')).split(',');
  const parts = (flag('parts') ?? 'latency,batched').split(',');
  const weightsAs = (flag('weights') ?? 'inputs,initializers').split(',') as ('inputs' | 'initializers')[];
  const latencyThreads = [...new Set([threads, ...listFlag('latency-threads', [threads, 1])])];
  const ggufTypes = (flag('gguf') ?? 'F32,F16').split(',') as GgufFileType[];
  const kvType = (flag('llama-kv') ?? 'F16').toUpperCase() as 'F16' | 'F32';
  for (const s of sizeNames) if (!SIZE_NAMES.includes(s)) throw new Error(`--sizes: unknown size '${s}' (${SIZE_NAMES.join(', ')})`);
  for (const t of ggufTypes) if (!['F32', 'F16', 'Q8_0', 'Q4_0'].includes(t)) throw new Error(`--gguf: unknown file type '${t}'`);
  if (!weightsAs.includes('inputs')) throw new Error("--weights must include 'inputs' (what the runner loads)");
  const llamaVersion = (JSON.parse(readFileSync(join(root, 'node_modules/node-llama-cpp/package.json'), 'utf8')) as { version: string }).version;
  const start = machine();
  console.log(`machine ${JSON.stringify(start)}, node-llama-cpp ${llamaVersion}, threads ${threads}, max new tokens ${maxNew}, llama.cpp KV cache ${kvType}`);

  const work = mkdtempSync(join(tmpdir(), 'inference-bench-'));
  if (flag('keep') === undefined) onCleanup(`remove ${work}`, async () => rmSync(work, { recursive: true, force: true }));
  else console.error(`keeping ${work}`);
  const corpusPath = join(root, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt');
  const text = stripGutenberg(readFileSync(corpusPath, 'utf8'));
  const words = text.split(/\s+/).filter(Boolean);

  const latencyRows: (string | number)[][] = [];
  const ratioRows: (string | number)[][] = [];
  const batchedRows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];

  for (const sizeName of sizeNames) {
    // The model folder.
    let dir: string;
    let origin: string;
    if (sizeName === 'tiny') {
      const data = join(resolve(process.env['DISTILLERY_DATA_DIR'] ?? '.distillery'), 'models', 'tiny');
      const given = flag('tiny-dir');
      const existing = given ?? data;
      if (existsSync(join(existing, 'config.json'))) {
        dir = existing;
        origin = `make-tiny model at ${dir}`;
      } else {
        dir = given ?? join(work, 'tiny');
        console.error(`tiny: making the make-tiny model in ${dir} …`);
        const made = await makeTinyModel({ corpusPath, outDir: dir, threads });
        origin = `make-tiny model made in ${made.seconds.toFixed(0)} s (loss ${made.first_loss.toFixed(2)} → ${made.final_loss.toFixed(2)})`;
      }
    } else {
      const [vocab, hidden, inter, layers, heads, kv] = RANDOM[sizeName] as readonly [number, number, number, number, number, number];
      const bpe = trainBpe(text, { vocabSize: vocab });
      const tokenizer = { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig };
      const eos = (bpe.tokenizerJson['added_tokens'] as { id: number; content: string }[] | undefined)?.find((t) => t.content === '<|im_end|>')?.id ?? 2;
      const config = llama(vocab, hidden, inter, layers, heads, kv, eos);
      dir = join(work, sizeName);
      await writeModelFolder(dir, { config, tensors: randomWeights(config, 1), tokenizer });
      origin = 'random weights (std 0.02), trainBpe tokenizer';
    }
    const folder = await readModelFolder(dir);
    const config = folder.config;
    const tokenizer = folder.tokenizer;
    await folder.close();
    const params = parameters(config);
    const ggufs = new Map<GgufFileType, string>();
    if (parts.includes('latency')) {
      for (const type of ggufTypes) {
        const path = join(work, `${sizeName}-${type}.gguf`);
        await convertModelFolder(dir, path, { fileType: type, name: `bench-${sizeName}` });
        ggufs.set(type, path);
      }
    }
    const w = workload(tokenizer, words, { prompts: nPrompts, gen: genPrompts, score: scoreRows });
    const promptTokens = w.latencyPrompts.map((p) => p.length);
    console.error(
      `${sizeName}: ${fmt(params)} parameters (vocab ${config.vocab_size}, tokenizer ${tokenizer.vocabSize}, hidden ${config.hidden_size}, ${config.num_hidden_layers} layers), ${origin}; prompts ${promptTokens.join(',')} tokens`,
    );

    const children: Child[] = [];
    if (parts.includes('latency')) {
      for (const t of latencyThreads) {
        // 'initializers' only at the main thread count (informational).
        for (const wa of t === threads ? weightsAs : ['inputs' as const]) {
          children.push({ key: runnerKey(wa, t), spec: { task: 'latency', engine: 'inference', dir, weightsAs: wa, threads: t, prompts: w.latencyPrompts, maxNewTokens: maxNew } });
        }
        for (const [type, gguf] of ggufs) children.push({ key: llamaKey(type, t), spec: { task: 'latency', engine: 'llama', gguf, kvType, threads: t, prompts: w.latencyPrompts, maxNewTokens: maxNew } });
      }
    }
    if (parts.includes('batched')) {
      for (const mb of [1, scoreBatch]) children.push({ key: `score b${mb}`, spec: { task: 'score', dir, threads, maxBatch: mb, chunk: CHUNK, rows: w.scoreRows } });
      for (const mb of [1, genBatch]) children.push({ key: `generate b${mb}`, spec: { task: 'generate', dir, threads, maxBatch: mb, chunk: CHUNK, prompts: w.genPrompts, maxNewTokens: maxNew } });
    }
    const runs = new Map<string, (LatencyResult | BatchedResult)[]>(children.map((c) => [c.key, []]));
    for (let r = 0; r < rounds; r++) {
      for (const child of r % 2 === 0 ? children : [...children].reverse()) {
        const t0 = Date.now();
        const out = runChild(runner, work, child);
        runs.get(child.key)?.push(out);
        const what =
          child.spec.task === 'latency'
            ? (() => {
                const f = latencyFigures(out as LatencyResult, w.latencyPrompts, maxNew, `${sizeName} ${child.key}`);
                return `prefill ${fmt(f.prefill_ms, 1)} ms, decode ${fmt(f.decode_tok_s)} tok/s`;
              })()
            : `${fmt((out as BatchedResult).ms)} ms`;
        console.error(`${sizeName} round ${r + 1}/${rounds} ${child.key}: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s, load ${loadavg()[0]?.toFixed(2)})`);
      }
    }

    const sizeResult: Record<string, unknown> = {
      size: sizeName,
      params,
      vocab: config.vocab_size,
      hidden: config.hidden_size,
      layers: config.num_hidden_layers,
      origin,
      prompt_tokens: promptTokens,
    };
    if (parts.includes('latency')) {
      const figures = new Map<string, { threads: number; rounds: LatencyFigures[]; median: LatencyFigures; rss: number; tokens: number[][]; load_ms: number }>();
      for (const c of children.filter((c) => c.spec.task === 'latency')) {
        const rs = runs.get(c.key) as LatencyResult[];
        const fs = rs.map((r) => latencyFigures(r, w.latencyPrompts, maxNew, c.key));
        for (const r of rs) if ((r.graphs_built_timed ?? 0) > 0) console.error(`warning: ${sizeName} ${c.key} built ${r.graphs_built_timed} graph(s) during the timed pass`);
        figures.set(c.key, {
          threads: (c.spec as { threads: number }).threads,
          rounds: fs,
          median: {
            prefill_ms: medianOf(fs, (f) => f.prefill_ms),
            prefill_tok_s: medianOf(fs, (f) => f.prefill_tok_s),
            decode_tok_s: medianOf(fs, (f) => f.decode_tok_s),
            e2e_tok_s: medianOf(fs, (f) => f.e2e_tok_s),
            cpu_ms_per_token: medianOf(fs, (f) => f.cpu_ms_per_token),
            cores_busy: medianOf(fs, (f) => f.cores_busy),
          },
          rss: Math.max(...rs.map((r) => r.peak_rss_mb)),
          tokens: (rs[0] as LatencyResult).tokens,
          load_ms: medianOf(rs, (r) => r.load_ms),
        });
      }
      const baseKey = runnerKey('inputs', threads);
      const base = figures.get(baseKey);
      const meanPrompt = promptTokens.reduce((a, b) => a + b, 0) / promptTokens.length;
      for (const [key, f] of figures) {
        const agree = base && key !== baseKey ? agreement(base.tokens, f.tokens) : undefined;
        latencyRows.push([
          sizeName,
          fmt(params),
          key,
          fmt(meanPrompt, 1),
          fmt(f.median.prefill_ms, 1),
          fmt(f.median.prefill_tok_s),
          fmt(f.median.decode_tok_s),
          fmt(f.median.e2e_tok_s),
          fmt(f.median.cpu_ms_per_token, 2),
          fmt(f.median.cores_busy, 2),
          fmt(f.rss),
          agree ? `${agree.same}/${w.latencyPrompts.length} (${fmt(agree.prefix, 0)})` : '–',
        ]);
      }
      // Same thread count on both sides: the runner as it serves ('inputs') against each llama.cpp file.
      const ratios: Record<string, unknown>[] = [];
      for (const t of latencyThreads) {
        const mine = figures.get(runnerKey('inputs', t));
        for (const type of ggufTypes) {
          const theirs = figures.get(llamaKey(type, t));
          if (!mine || !theirs) continue;
          const prefill = theirs.median.prefill_ms / mine.median.prefill_ms;
          const decode = mine.median.decode_tok_s / theirs.median.decode_tok_s;
          const e2e = mine.median.e2e_tok_s / theirs.median.e2e_tok_s;
          const cpu = theirs.median.cpu_ms_per_token / mine.median.cpu_ms_per_token;
          ratioRows.push([sizeName, String(t), `llama.cpp ${type}`, `${fmt(prefill, 2)}x`, `${fmt(decode, 2)}x`, `${fmt(e2e, 2)}x`, `${fmt(cpu, 2)}x`, `${goal(decode >= 1)}${t === threads ? '' : ' (info)'}`]);
          ratios.push({ threads: t, llama: type, prefill: round(prefill, 3), decode: round(decode, 3), e2e: round(e2e, 3), cpu_per_token: round(cpu, 3) });
        }
      }
      sizeResult['latency'] = Object.fromEntries(
        [...figures].map(([key, f]) => [
          key,
          {
            prefill_ms: round(f.median.prefill_ms, 2),
            prefill_tok_s: round(f.median.prefill_tok_s),
            decode_tok_s: round(f.median.decode_tok_s, 1),
            e2e_tok_s: round(f.median.e2e_tok_s, 1),
            cpu_ms_per_token: round(f.median.cpu_ms_per_token, 3),
            cores_busy: round(f.median.cores_busy, 2),
            decode_tok_s_rounds: f.rounds.map((x) => round(x.decode_tok_s, 1)),
            prefill_ms_rounds: f.rounds.map((x) => round(x.prefill_ms, 2)),
            load_ms: round(f.load_ms),
            peak_rss_mb: round(f.rss),
            ...(base && key !== baseKey ? { same_tokens_as_runner: agreement(base.tokens, f.tokens).same } : {}),
          },
        ]),
      );
      sizeResult['ratios'] = ratios;
    }
    if (parts.includes('batched')) {
      const get = (key: string) => runs.get(key) as BatchedResult[];
      const ms = (key: string) => medianOf(get(key), (r) => r.ms);
      for (const [key, rs] of runs) for (const r of rs as BatchedResult[]) if ((r.graphs_built_timed ?? 0) > 0) console.error(`warning: ${sizeName} ${key} built ${r.graphs_built_timed} graph(s) in its last timed pass`);
      const s1 = get('score b1');
      const sN = get(`score b${scoreBatch}`);
      const rowsS1 = (scoreRows / ms('score b1')) * 1000;
      const rowsSN = (scoreRows / ms(`score b${scoreBatch}`)) * 1000;
      const lp1 = (s1[0] as BatchedResult).logprobs ?? [];
      const lpN = (sN[0] as BatchedResult).logprobs ?? [];
      const dLogp = Math.max(...lp1.map((x, i) => Math.abs(x - (lpN[i] as number))));
      const g1 = get('generate b1');
      const gN = get(`generate b${genBatch}`);
      const tokS1 = ((genPrompts * maxNew) / ms('generate b1')) * 1000;
      const tokSN = ((genPrompts * maxNew) / ms(`generate b${genBatch}`)) * 1000;
      const genAgree = agreement((g1[0] as BatchedResult).tokens ?? [], (gN[0] as BatchedResult).tokens ?? []);
      batchedRows.push(
        [sizeName, `score ${scoreRows} rows x ${LABELS.length} labels, rows/s`, `1 vs ${scoreBatch}`, fmt(rowsS1, 1), fmt(rowsSN, 1), `${fmt(rowsSN / rowsS1, 2)}x`, `max|Δlogp| ${dLogp.toExponential(1)}`, goal(rowsSN / rowsS1 >= 10)],
        [sizeName, `generate ${genPrompts} x ${maxNew} tokens, tok/s`, `1 vs ${genBatch}`, fmt(tokS1, 1), fmt(tokSN, 1), `${fmt(tokSN / tokS1, 2)}x`, `same tokens ${genAgree.same}/${genPrompts}`, '–'],
      );
      sizeResult['batched'] = {
        score: {
          rows: scoreRows,
          requests: scoreRows * LABELS.length,
          max_batch: [1, scoreBatch],
          rows_s: [round(rowsS1, 1), round(rowsSN, 1)],
          ratio: round(rowsSN / rowsS1, 2),
          ms_rounds: [s1.map((r) => round(r.ms)), sN.map((r) => round(r.ms))],
          max_abs_logprob_diff: dLogp,
          graphs: [(s1[0] as BatchedResult).graphs, (sN[0] as BatchedResult).graphs],
        },
        generate: {
          prompts: genPrompts,
          max_new_tokens: maxNew,
          max_batch: [1, genBatch],
          tok_s: [round(tokS1, 1), round(tokSN, 1)],
          ratio: round(tokSN / tokS1, 2),
          ms_rounds: [g1.map((r) => round(r.ms)), gN.map((r) => round(r.ms))],
          same_tokens: genAgree.same,
          graphs: [(g1[0] as BatchedResult).graphs, (gN[0] as BatchedResult).graphs],
        },
      };
    }
    results.push(sizeResult);
  }

  const end = machine();
  const loadRange = loads.length ? `${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)}` : '–';
  console.log(`load average (1 min) before each child: ${loadRange}; at the end: ${end['loadavg_1m']}`);
  if (latencyRows.length) {
    console.log(`\nbatch-1 greedy generation, ${nPrompts} chat prompts, ${maxNew} new tokens each (EOS ignored), ${threads} threads; medians of ${rounds} rounds`);
    console.log(
      table(
        ['size', 'params', 'engine', 'prompt tok', 'prefill ms', 'prefill tok/s', 'decode tok/s', 'e2e tok/s', 'CPU ms/tok', 'cores busy', 'peak RSS MB', `same tokens as ${runnerKey('inputs', threads)} (mean prefix)`],
        latencyRows,
      ),
    );
    console.log(
      `\nrunner (weightsAs inputs, as served) / llama.cpp at the same thread count (higher = runner better; prefill and CPU per token: llama.cpp's / the runner's)`,
    );
    console.log(table(['size', 'threads', 'vs', 'prefill', 'decode', 'end to end', 'CPU per token', `goal decode ≥1× (at ${threads} threads)`], ratioRows));
  }
  if (batchedRows.length) {
    console.log(`\nbatched vs batch 1 (libs/inference, maxBatch), ${threads} threads; medians of ${rounds} rounds`);
    console.log(table(['size', 'workload', 'maxBatch', 'batch 1', 'batched', 'ratio', 'check', 'goal ≥10×'], batchedRows));
  }
  console.log(
    JSON.stringify({
      bench: 'inference',
      threads,
      rounds,
      max_new_tokens: maxNew,
      llama_kv_cache: kvType,
      node_llama_cpp: llamaVersion,
      machine_start: start,
      machine: end,
      loadavg_1m_range: loads.length ? [round(Math.min(...loads), 2), round(Math.max(...loads), 2)] : null,
      results,
    }),
  );
});
