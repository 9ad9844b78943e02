import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openRun } from '@distillery/engine-ort';
import { decoderConfig, expectedTensorShapes, ModelTokenizer, trainBpe, writeModelFolder, type DecoderConfig, type Tensor } from '@distillery/models';
import { lrAt } from '@distillery/recipes';
import { batchSchedule, padBatch, type TokenizedExample } from '@distillery/tasks';

export interface MakeTinyOptions {
  /** A plain-text corpus (the bundled Gutenberg text); Project Gutenberg headers and licences are stripped. */
  readonly corpusPath: string;
  readonly outDir: string;
  readonly seed?: number;
  readonly vocabSize?: number;
  readonly steps?: number;
  readonly seqLen?: number;
  readonly batch?: number;
  readonly threads?: number;
  /** Rebuild even when a model made with the same settings is there. */
  readonly force?: boolean;
  readonly onProgress?: (p: { step: number; total: number; loss: number }) => void;
}

export interface MadeTiny {
  readonly dir: string;
  readonly cached: boolean;
  readonly parameters: number;
  readonly vocab: number;
  readonly steps: number;
  readonly first_loss: number;
  readonly final_loss: number;
  readonly seconds: number;
}

/** The version of the recipe below: a change to it makes cached tiny models stale. */
const MAKE_TINY_VERSION = 2;
const STAMP = 'distillery-make-tiny.json';

/** The book itself: between Project Gutenberg's START and END markers, line endings normalised. */
export function stripGutenberg(text: string): string {
  const t = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const start = t.search(/^\*\*\* ?START OF (THIS|THE) PROJECT GUTENBERG.*$/m);
  const end = t.search(/^\*\*\* ?END OF (THIS|THE) PROJECT GUTENBERG.*$/m);
  const from = start >= 0 ? t.indexOf('\n', start) + 1 : 0;
  return t.slice(from, end >= 0 ? end : undefined).trim();
}

/** Deterministic normal-ish init (sum of uniforms), Llama-style: N(0, 0.02) matrices, ones for norms. */
function initWeights(config: DecoderConfig, seed: number): Map<string, Tensor> {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => (u() + u() + u() + u() - 2) * Math.sqrt(3);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < n; i++) data[i] = normal() * 0.02;
    out.set(name, { shape: [...shape], data });
  }
  return out;
}

/**
 * `distillery models make-tiny`: the small base model the demo and the tests use, made by the project's own code —
 * a byte-level BPE tokenizer trained on a public-domain book, a Llama-architecture decoder initialised from a seed and
 * pre-trained on the same book with the ort engine (full training, cosine schedule), written as an HF-layout folder.
 * Deterministic from the seed; cached (a stamp file records the settings).
 */
export async function makeTinyModel(opts: MakeTinyOptions): Promise<MadeTiny> {
  const settings = { version: MAKE_TINY_VERSION, seed: opts.seed ?? 42, vocab: opts.vocabSize ?? 512, steps: opts.steps ?? 300, seq: opts.seqLen ?? 128, batch: opts.batch ?? 8 };
  const stampPath = join(opts.outDir, STAMP);
  if (!opts.force && existsSync(stampPath)) {
    const stamp = JSON.parse(await readFile(stampPath, 'utf8')) as { settings: typeof settings; result: Omit<MadeTiny, 'dir' | 'cached'> };
    if (JSON.stringify(stamp.settings) === JSON.stringify(settings)) return { ...stamp.result, dir: opts.outDir, cached: true };
  }
  const started = Date.now();
  const text = stripGutenberg(await readFile(opts.corpusPath, 'utf8'));
  const bpe = trainBpe(text, { vocabSize: settings.vocab });
  const tokenizer = new ModelTokenizer({ tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig }, 'make-tiny');
  const eos = tokenizer.eos?.id ?? 0;
  const config = decoderConfig({
    model_type: 'llama',
    vocab_size: tokenizer.vocabSize,
    hidden_size: 64,
    intermediate_size: 176,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 1024,
    tie_word_embeddings: true,
    rope_theta: 10_000,
    bos_token_id: tokenizer.bos?.id ?? null,
    eos_token_id: eos,
    pad_token_id: tokenizer.pad?.id ?? null,
  });

  // Language modeling on the book: paragraphs joined with the end token, cut into windows of seq tokens. Every
  // third paragraph is a chat instead, rendered by the model's own chat template, so the template's tokens and short
  // answers (a next sentence, a word count) are trained too: without them a fine-tune with frozen embeddings (LoRA)
  // cannot learn to answer in the template, a toy model's blind spot real base models do not have.
  const ids: number[] = [];
  const paragraphs = text.split(/\n{2,}/).map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean);
  paragraphs.forEach((p, i) => {
    if (i % 3 !== 2) {
      ids.push(...tokenizer.encode(p, { addSpecialTokens: false }), eos);
      return;
    }
    const sentences = p.split(/(?<=[.!?])\s+/).filter((x) => x.length > 0);
    const first = sentences[0] ?? p;
    const answer = i % 2 === 0 && sentences.length > 1 ? (sentences[1] as string) : String(first.split(' ').length);
    const question = answer === sentences[1] ? first : `How many words? ${first}`;
    ids.push(...tokenizer.encode(tokenizer.renderChat([{ role: 'user', content: question }, { role: 'assistant', content: answer }], { addGenerationPrompt: false }), { addSpecialTokens: false }));
  });
  const windows: TokenizedExample[] = [];
  for (let i = 0; i + settings.seq <= ids.length; i += settings.seq) {
    const w = ids.slice(i, i + settings.seq);
    windows.push({ row_id: `w${i}`, input_ids: w, labels: w, original_length: settings.seq, truncated: false });
  }
  const weights = initWeights(config, settings.seed);
  const run = await openRun({
    config,
    weights,
    method: 'full',
    optim: { weight_decay: 0.01, max_grad_norm: 1, betas: [0.9, 0.95], eps: 1e-8 },
    seed: settings.seed,
    buckets: [settings.seq],
    ...(opts.threads ? { threads: opts.threads } : {}),
  });
  const schedule = batchSchedule(windows.length, { batch: settings.batch, epochs: Math.ceil((settings.steps * settings.batch) / windows.length) + 1, seed: settings.seed, max_steps: settings.steps });
  const optim = { learning_rate: 3e-3, scheduler: 'cosine' as const, warmup_ratio: 0.05 };
  let first = NaN;
  let last = NaN;
  try {
    for (let step = 0; step < schedule.total_steps; step++) {
      const r = await run.step(padBatch(schedule.indicesAt(step).map((i) => windows[i]!), settings.seq, eos), { lr: lrAt(step, schedule.total_steps, optim) });
      if (step === 0) first = r.loss;
      last = r.loss;
      opts.onProgress?.({ step: step + 1, total: schedule.total_steps, loss: r.loss });
    }
    const tmp = `${opts.outDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await writeModelFolder(tmp, { config, tensors: run.mergedWeights(), tokenizer: { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig } });
    const parameters = [...expectedTensorShapes(config).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    const result = { parameters, vocab: tokenizer.vocabSize, steps: schedule.total_steps, first_loss: first, final_loss: last, seconds: (Date.now() - started) / 1000 };
    await writeFile(join(tmp, STAMP), `${JSON.stringify({ settings, result, corpus: opts.corpusPath.split('/').slice(-2).join('/') }, null, 2)}\n`);
    await mkdir(dirname(opts.outDir), { recursive: true });
    await rm(opts.outDir, { recursive: true, force: true });
    await rename(tmp, opts.outDir);
    return { ...result, dir: opts.outDir, cached: false };
  } finally {
    await run.close();
  }
}
