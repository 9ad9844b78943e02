// The written GGUF files opened by a real llama.cpp (node-llama-cpp's prebuilt CPU binary, offline): llama.cpp's
// tokenizer against ModelTokenizer, greedy generation against engine-ort's reference (repeated full forward passes),
// and teacher-forced next-token agreement per file type. GGUF_REPORT=1 prints the measured figures.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openRun, type TrainingRun } from '@distillery/engine-ort';
import { ModelTokenizer, writeModelFolder, type DecoderConfig, type Tensor, type TokenizerFiles } from '@distillery/models';
import { getLlama, LlamaLogLevel, TokenBias, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { convertModelFolder, GgufFile, PRE_TOKENIZER_REGEX, readLlamaWeights, writeLlamaGguf, type GgufFileType } from '../src/index.js';
import { argmax, referenceGreedy, referenceLogProbs } from './support/reference.js';
import { aliceTokenizer, aliceText, OPTIM, randomWeights, tinyLlamaConfig, trainBriefly } from './support/tiny-llama.js';

const REPORT = process.env['GGUF_REPORT'] !== undefined;
const SEQ = 64;
const MAX_NEW = 24;
const EOS = 2;
const PAD = 3;

/**
 * Tolerances, each set from measured values with headroom (the measured figures are in the lib README):
 * - F32: identical greedy tokens and top-1 everywhere; |Δ log p| of the reference's top token ≤ 2e-3 (llama.cpp sums
 *   in another order and runs its own exp/rope; the KV cache is F32 here).
 * - F16: identical greedy tokens on these prompts; top-1 everywhere; |Δ log p| ≤ 2e-2.
 * - Q8_0 / Q4_0: teacher-forced top-1 agreement (llama.cpp's argmax = the reference's, at every position of the
 *   prompts, their reference continuations and held-out passages).
 */
const TOP1_MIN: Readonly<Record<GgufFileType, number>> = { F32: 1, F16: 1, Q8_0: 0.97, Q4_0: 0.85, Q4_K_M: 0.8 };
const LOGP_MAX: Readonly<Partial<Record<GgufFileType, number>>> = { F32: 2e-3, F16: 2e-2 };

const PROMPTS = [
  'Alice was beginning to get very tired of sitting',
  'The Queen turned crimson with fury, and',
  '"What a curious feeling!" said Alice;',
  "'I can't explain MYSELF, I'm afraid, sir,' said Alice,",
];
const CHAT = [{ role: 'user', content: 'Who stole the tarts?' }];
/** Tokenizer-only probes: digits, contractions in both cases, runs of spaces/newlines/tabs, non-ASCII, special-token text. */
const TOKENIZER_PROBES = [
  'In 1865, 42 cats—and a Cheshire one—grinned.   Twice!\n\n\n',
  "DON'T you'LL we'd; they've — «quoted» naïve café 🐇 兔子 مرحبا",
  '\t\tindented\r\n  trailing spaces   ',
  '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
  ' leading space and  double  spaces',
];

interface Measured {
  positions: number;
  top1: number;
  maxDlogp: number;
  meanDlogp: number;
  greedyEqual: number;
  bytes: number;
}

let dir: string;
let tokenizer: TokenizerFiles;
let mt: ModelTokenizer;
let config: DecoderConfig;
let weights: Map<string, Tensor>;
let run: TrainingRun;
let llama: Llama;
let promptIds: number[][];
let greedy: { continuations: number[][]; stoppedOnEos: boolean[] };
/** Teacher-forced rows: prompt + reference continuation, then held-out passages; `from` = first predicted position. */
let tfRows: number[][];
let tfFrom: number[];
let tfRef: Float64Array[][];
const files = new Map<GgufFileType, string>();
const measured = new Map<GgufFileType, Measured>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gguf-llama-'));
  tokenizer = aliceTokenizer(512);
  mt = new ModelTokenizer(tokenizer);
  config = tinyLlamaConfig();
  const trained = await trainBriefly(config, randomWeights(config, 11), (s) => mt.encode(s), { steps: 150 });
  weights = trained.weights;
  if (REPORT) console.log(`training loss ${trained.losses[0]?.toFixed(3)} → ${trained.losses.at(-1)?.toFixed(3)}`);
  // Through a real HF folder, as a deployment would (config.json, model.safetensors, tokenizer files).
  await writeModelFolder(join(dir, 'hf'), { config, tensors: weights, tokenizer });
  for (const type of ['F32', 'F16', 'Q8_0', 'Q4_0'] as const) {
    const path = join(dir, `tiny-${type}.gguf`);
    await convertModelFolder(join(dir, 'hf'), path, { fileType: type, name: 'tiny-alice' });
    files.set(type, path);
  }

  run = await openRun({ config, weights, method: 'full', optim: { ...OPTIM, betas: [...OPTIM.betas] as [number, number] }, seed: 1, buckets: [SEQ] });
  const chat = mt.renderChat(CHAT, { addGenerationPrompt: true });
  promptIds = [...PROMPTS, chat].map((p) => mt.encode(p, { addSpecialTokens: false }));
  greedy = await referenceGreedy(run, promptIds, { maxNew: MAX_NEW, seq: SEQ, pad: PAD, eos: EOS, vocab: config.vocab_size });
  const heldOut = mt.encode(aliceText().slice(100_000, 110_000), { addSpecialTokens: false });
  const passages = [0, 1, 2, 3].map((i) => heldOut.slice(i * SEQ, (i + 1) * SEQ - 1));
  tfRows = [...promptIds.map((p, i) => [...p, ...(greedy.continuations[i] as number[])]), ...passages];
  tfFrom = [...promptIds.map((p) => p.length), ...passages.map(() => 1)];
  tfRef = await referenceLogProbs(run, tfRows, tfFrom, { seq: SEQ, pad: PAD, vocab: config.vocab_size });
  llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
}, 300_000);

afterAll(async () => {
  if (REPORT) {
    console.log(
      ['type  | file bytes | greedy = ref | top-1 agreement | max |Δ log p| | mean |Δ log p|', ...[...measured].map(([t, m]) => `${t.padEnd(5)} | ${String(m.bytes).padStart(10)} | ${m.greedyEqual}/${PROMPTS.length + 1} | ${m.top1}/${m.positions} (${((100 * m.top1) / m.positions).toFixed(1)}%) | ${m.maxDlogp.toExponential(2)} | ${m.meanDlogp.toExponential(2)}`)].join('\n'),
    );
  }
  await run?.close();
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function withModel<T>(path: string, fn: (model: LlamaModel) => Promise<T>): Promise<T> {
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    return await fn(model);
  } finally {
    await model.dispose();
  }
}

/** llama.cpp's next-token distribution (as log-probabilities) at every position from `from − 1` on, teacher-forced. */
async function llamaLogProbs(model: LlamaModel, rows: readonly number[][], from: readonly number[]): Promise<Map<number, number>[][]> {
  // F32 KV cache: the comparison is about the file's weights, not llama.cpp's default F16 cache.
  const context = await model.createContext({ contextSize: 128, batchSize: 128, threads: 1, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  try {
    const seq = context.getSequence();
    const out: Map<number, number>[][] = [];
    for (const [r, row] of rows.entries()) {
      await seq.clearHistory();
      const first = Math.max(0, (from[r] as number) - 1);
      const input = row.map((id, t) => (t >= first ? ([id as Token, { generateNext: { probabilities: true } }] as const) : (id as Token)));
      const result = await seq.controlledEvaluate(input as never);
      const positions: Map<number, number>[] = [];
      for (let t = first; t < row.length; t++) {
        const probs = result[t]?.next.probabilities;
        if (!probs) throw new Error(`no probabilities at position ${t}`);
        positions.push(new Map([...probs].map(([id, p]) => [Number(id), Math.log(p)])));
      }
      out.push(positions);
    }
    return out;
  } finally {
    await context.dispose();
  }
}

async function llamaGreedy(model: LlamaModel, prompt: readonly number[]): Promise<number[]> {
  const context = await model.createContext({ contextSize: 128, batchSize: 128, threads: 1, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  try {
    const out: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt as Token[], { temperature: 0 })) {
      out.push(Number(token));
      if (out.length >= MAX_NEW) break;
    }
    return out;
  } finally {
    await context.dispose();
  }
}

describe('llama.cpp loads the files', () => {
  it('metadata and tokenizer as llama.cpp sees them: architecture, sizes, eos/bos, chat template', async () => {
    await withModel(files.get('Q4_0') as string, async (model) => {
      const meta = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown>>;
      expect(meta['general']?.['architecture']).toBe('llama');
      expect(meta['general']?.['file_type']).toBe(2);
      expect(model.trainContextSize).toBe(256);
      expect(model.tokens.bos).toBe(0);
      expect(model.tokens.eos).toBe(EOS);
      expect(model.isEogToken(EOS as Token)).toBe(true);
      expect(model.isEogToken(1 as Token)).toBe(false);
      expect(model.fileInsights.totalLayers).toBeGreaterThanOrEqual(config.num_hidden_layers);
      expect((meta['tokenizer'] as Record<string, unknown>)['chat_template']).toBe(mt.chatTemplate);
    });
  });

  it("llama.cpp's tokenizer gives ModelTokenizer's ids, special tokens included", async () => {
    await withModel(files.get('F32') as string, async (model) => {
      for (const text of [...PROMPTS, mt.renderChat(CHAT, { addGenerationPrompt: true }), ...TOKENIZER_PROBES]) {
        expect({ text, ids: model.tokenize(text, true).map(Number) }).toEqual({ text, ids: mt.encode(text, { addSpecialTokens: false }) });
        expect(model.detokenize(model.tokenize(text, true), true)).toBe(text.replace(/\r\n/g, '\r\n'));
      }
    });
  });

  it('generation stops on the eos token (<|im_end|>), and not on an ordinary special token', async () => {
    await withModel(files.get('F32') as string, async (model) => {
      const context = await model.createContext({ contextSize: 64, threads: 1 });
      try {
        const seq = context.getSequence();
        const prompt = promptIds[0] as Token[];
        const all = Array.from({ length: config.vocab_size }, (_, i) => i as Token);
        const generate = async (bias: TokenBias, yieldEogToken: boolean) => {
          await seq.clearHistory();
          const got: number[] = [];
          for await (const t of seq.evaluate(prompt, { temperature: 0, tokenBias: bias, yieldEogToken })) {
            got.push(Number(t));
            if (got.length >= 3) break;
          }
          return got;
        };
        // node-llama-cpp never biases end-of-generation tokens, so "never" on every token leaves only those: with
        // <|im_end|> as llama.cpp's eos, generation ends at once (nothing yielded), or yields the eos when asked to.
        const onlyEog = new TokenBias(model.tokenizer).set(all, 'never');
        expect(await generate(onlyEog, false)).toEqual([]);
        const eog = await generate(onlyEog, true);
        expect(eog.length).toBeGreaterThan(0);
        expect(eog.every((t) => model.isEogToken(t as Token))).toBe(true);
        // <|im_start|> (id 1) is special but not an end of generation: it is generated again and again.
        expect(await generate(new TokenBias(model.tokenizer).set(1 as Token, { logit: 100 }), false)).toEqual([1, 1, 1]);
      } finally {
        await context.dispose();
      }
    });
  });
});

describe('parity with the engine-ort reference', () => {
  it('the reference itself has learnt something (held-out NLL well below uniform) and generates full continuations', () => {
    // Held-out passages are the last 4 teacher-forced rows; position t predicts token t + 1.
    let nll = 0;
    let n = 0;
    tfRows.slice(-4).forEach((row, i) => {
      const lp = tfRef[tfRef.length - 4 + i] as Float64Array[];
      for (let t = 0; t + 1 < row.length; t++) {
        nll -= (lp[t] as Float64Array)[row[t + 1] as number] as number;
        n++;
      }
    });
    const margins = tfRef.flat().map((lp) => {
      const sorted = [...lp].sort((a, b) => b - a);
      return (sorted[0] as number) - (sorted[1] as number);
    });
    const median = [...margins].sort((a, b) => a - b)[Math.floor(margins.length / 2)] as number;
    if (REPORT) console.log(`reference: held-out NLL ${(nll / n).toFixed(3)} (uniform ${Math.log(config.vocab_size).toFixed(3)}), median top-1 − top-2 log-prob margin ${median.toFixed(3)}; continuations ${greedy.continuations.map((c) => c.length).join(', ')}`);
    expect(nll / n).toBeLessThan(Math.log(config.vocab_size) - 1);
    expect(greedy.continuations.every((c) => c.length === MAX_NEW)).toBe(true);
  });

  for (const type of ['F32', 'F16', 'Q8_0', 'Q4_0'] as const) {
    it(`${type}: teacher-forced top-1 agreement ≥ ${TOP1_MIN[type] * 100}%${LOGP_MAX[type] !== undefined ? `, |Δ log p| ≤ ${LOGP_MAX[type]}, identical greedy tokens` : ''}`, async () => {
      const path = files.get(type) as string;
      const file = await GgufFile.open(path);
      const types = new Set(file.tensors.filter((t) => t.dims.length === 2).map((t) => t.type));
      await file.close();
      expect(types).toEqual(new Set(type === 'Q4_0' ? ['Q4_0', 'Q8_0'] : [type]));

      await withModel(path, async (model) => {
        const got = await llamaLogProbs(model, tfRows, tfFrom);
        let positions = 0;
        let top1 = 0;
        let maxD = 0;
        let sumD = 0;
        tfRef.forEach((rowRef, r) =>
          rowRef.forEach((ref, t) => {
            const mine = got[r]?.[t] as Map<number, number>;
            const refTop = argmax(ref);
            const llamaTop = [...mine.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
            const d = Math.abs((mine.get(refTop) ?? -Infinity) - (ref[refTop] as number));
            positions++;
            if (llamaTop === refTop) top1++;
            maxD = Math.max(maxD, d);
            sumD += d;
          }),
        );
        let greedyEqual = 0;
        const generations: number[][] = [];
        for (const [i, prompt] of promptIds.entries()) {
          const mine = await llamaGreedy(model, prompt);
          generations.push(mine);
          if (JSON.stringify(mine) === JSON.stringify(greedy.continuations[i])) greedyEqual++;
        }
        measured.set(type, { positions, top1, maxDlogp: maxD, meanDlogp: sumD / positions, greedyEqual, bytes: (await stat(path)).size });
        expect(positions).toBeGreaterThan(300);
        expect(top1 / positions).toBeGreaterThanOrEqual(TOP1_MIN[type]);
        const logpMax = LOGP_MAX[type];
        if (logpMax !== undefined) {
          expect(maxD).toBeLessThanOrEqual(logpMax);
          expect(generations).toEqual(greedy.continuations);
        }
      });
    });
  }
});

describe('Q4_K_M on a model whose rows are whole K-quant super-blocks (hidden 256, intermediate 512)', () => {
  it('llama.cpp decodes the Q4_K / Q6_K bytes as libs/gguf does, and the file tracks the trained model', async () => {
    const big = tinyLlamaConfig({ hidden_size: 256, intermediate_size: 512, num_hidden_layers: 2, tie_word_embeddings: false });
    const { weights: w } = await trainBriefly(big, randomWeights(big, 9, 0.06), (s) => mt.encode(s), { steps: 60 });
    const path = join(dir, 'big-q4_k_m.gguf');
    const written = await writeLlamaGguf(path, { config: big, weights: { read: (n) => (w.get(n) as Tensor).data }, tokenizer }, { fileType: 'Q4_K_M', name: 'tiny-k' });
    const typeOf = (name: string) => written.plan.find((p) => p.name === name)?.type;
    // llama-quantize's mix for 2 layers (integer eighths: only layer 1 is in the "last eighth"); the head is Q6_K.
    expect([typeOf('output.weight'), typeOf('blk.1.attn_v.weight'), typeOf('blk.1.ffn_down.weight'), typeOf('blk.0.attn_v.weight'), typeOf('blk.0.attn_q.weight'), typeOf('blk.1.ffn_up.weight'), typeOf('token_embd.weight')]).toEqual(['Q6_K', 'Q6_K', 'Q6_K', 'Q4_K', 'Q4_K', 'Q4_K', 'Q4_K']);
    const file = await GgufFile.open(path);
    const dequantized = await readLlamaWeights(file);
    expect(file.value('general.file_type')).toBe(15);
    await file.close();
    const rows = promptIds.map((p, i) => [...p, ...(greedy.continuations[i] as number[])]);
    const from = promptIds.map((p) => p.length);
    const logProbsOf = async (weights: Map<string, Tensor>) => {
      const ref = await openRun({ config: big, weights, method: 'full', optim: { ...OPTIM, betas: [...OPTIM.betas] as [number, number] }, seed: 1, buckets: [SEQ] });
      try {
        return await referenceLogProbs(ref, rows, from, { seq: SEQ, pad: PAD, vocab: big.vocab_size });
      } finally {
        await ref.close();
      }
    };
    const [trained, decoded] = [await logProbsOf(w), await logProbsOf(dequantized)];
    // The same model as Q4_0 (4.5 bits per weight too, one scale per 32): what the K-quant mix buys.
    const q40Path = join(dir, 'big-q4_0.gguf');
    await writeLlamaGguf(q40Path, { config: big, weights: { read: (n) => (w.get(n) as Tensor).data }, tokenizer }, { fileType: 'Q4_0', name: 'tiny-k' });
    const q40 = await withModel(q40Path, (model) => llamaLogProbs(model, rows, from));
    await withModel(path, async (model) => {
      const got = await llamaLogProbs(model, rows, from);
      const agree = (ref: Float64Array[][], llamaOut = got) => {
        let n = 0;
        let top1 = 0;
        let sumD = 0;
        ref.forEach((rowRef, r) =>
          rowRef.forEach((refRow, t) => {
            const mine = llamaOut[r]?.[t] as Map<number, number>;
            const top = argmax(refRow);
            n++;
            if ([...mine.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0] === top) top1++;
            sumD += Math.abs((mine.get(top) ?? -Infinity) - (refRow[top] as number));
          }),
        );
        return { n, top1: top1 / n, meanD: sumD / n };
      };
      const same = agree(decoded);
      const vsTrained = agree(trained);
      const q40VsTrained = agree(trained, q40);
      if (REPORT) console.log(`Q4_K_M (hidden 256): llama.cpp vs libs/gguf's own decoding top-1 ${(100 * same.top1).toFixed(1)}% mean |Δ log p| ${same.meanD.toExponential(2)}; vs the trained F32 model top-1 ${(100 * vsTrained.top1).toFixed(1)}% mean |Δ log p| ${vsTrained.meanD.toExponential(2)} (${vsTrained.n} positions, ${(await stat(path)).size} bytes); Q4_0 of the same model vs trained: top-1 ${(100 * q40VsTrained.top1).toFixed(1)}% mean |Δ log p| ${q40VsTrained.meanD.toExponential(2)} (${(await stat(q40Path)).size} bytes)`);
      expect(same.n).toBeGreaterThan(60);
      // Same weights on both sides; llama.cpp rounds activations to 8 bits for its K-quant dot products, which moves
      // log-probs by ~3e-2 and flips near-ties. Measured: 93.6 % / 2.8e-2; with the nibble halves swapped (a layout
      // read differently) 4.8 % / 5.0.
      expect(same.top1).toBeGreaterThanOrEqual(0.85);
      expect(same.meanD).toBeLessThan(0.1);
      expect(vsTrained.top1).toBeGreaterThanOrEqual(TOP1_MIN.Q4_K_M);
    });
  }, 240_000);
});

describe('a Qwen2-style model exported as llama (q/k/v biases, tied head, MHA)', () => {
  it('F32 through llama.cpp: identical greedy tokens and top-1, |Δ log p| ≤ 2e-3', async () => {
    const qwen = tinyLlamaConfig({ model_type: 'qwen2', tie_word_embeddings: true, num_key_value_heads: 4, rope_theta: 1e6 });
    const { weights: w } = await trainBriefly(qwen, randomWeights(qwen, 5), (s) => mt.encode(s), { steps: 60 });
    const path = join(dir, 'qwen-f32.gguf');
    const written = await writeLlamaGguf(path, { config: qwen, weights: { read: (n) => (w.get(n) as Tensor).data }, tokenizer }, { fileType: 'F32', name: 'qwen-tiny' });
    expect(written.plan.some((p) => p.name === 'blk.1.attn_k.bias' && p.permuteHeads === 4)).toBe(true);
    expect(written.plan.some((p) => p.name === 'output.weight')).toBe(false);
    const ref = await openRun({ config: qwen, weights: w, method: 'full', optim: { ...OPTIM, betas: [...OPTIM.betas] as [number, number] }, seed: 1, buckets: [SEQ] });
    try {
      const g = await referenceGreedy(ref, promptIds, { maxNew: 12, seq: SEQ, pad: PAD, eos: EOS, vocab: qwen.vocab_size });
      const rows = promptIds.map((p, i) => [...p, ...(g.continuations[i] as number[])]);
      const from = promptIds.map((p) => p.length);
      const lp = await referenceLogProbs(ref, rows, from, { seq: SEQ, pad: PAD, vocab: qwen.vocab_size });
      await withModel(path, async (model) => {
        const got = await llamaLogProbs(model, rows, from);
        let maxD = 0;
        lp.forEach((rowRef, r) =>
          rowRef.forEach((refRow, t) => {
            const top = argmax(refRow);
            const mine = got[r]?.[t] as Map<number, number>;
            expect([...mine.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0]).toBe(top);
            maxD = Math.max(maxD, Math.abs((mine.get(top) ?? -Infinity) - (refRow[top] as number)));
          }),
        );
        if (REPORT) console.log(`qwen2-style F32: max |Δ log p| ${maxD.toExponential(2)}`);
        expect(maxD).toBeLessThanOrEqual(2e-3);
        for (const [i, prompt] of promptIds.entries()) expect((await llamaGreedy(model, prompt)).slice(0, 12)).toEqual(g.continuations[i]);
      });
    } finally {
      await ref.close();
    }
  });
});

describe('the other pre-tokenizers the writer recognises, checked against llama.cpp', () => {
  const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
  const split = (regex: string) => ({ type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }, byteLevel(false)] });
  const variants = {
    'smollm': { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] },
    'qwen2': split(PRE_TOKENIZER_REGEX.qwen2),
    'llama-bpe': split(PRE_TOKENIZER_REGEX['llama-bpe']),
  };
  for (const [pre, preTokenizer] of Object.entries(variants)) {
    it(`${pre}: llama.cpp's ids equal the HF tokenizer's (same vocabulary and merges, that pre-tokenizer)`, async () => {
      const files: TokenizerFiles = { ...tokenizer, tokenizerJson: { ...tokenizer.tokenizerJson, pre_tokenizer: preTokenizer } };
      const hf = new ModelTokenizer(files);
      const path = join(dir, `pre-${pre}.gguf`);
      await writeLlamaGguf(path, { config, weights: { read: (n) => (weights.get(n) as Tensor).data }, tokenizer: files }, { fileType: 'F16', name: pre });
      const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
      try {
        for (const text of [...PROMPTS, ...TOKENIZER_PROBES]) {
          expect({ text, ids: model.tokenize(text, true).map(Number) }).toEqual({ text, ids: hf.encode(text, { addSpecialTokens: false }) });
        }
      } finally {
        await model.dispose();
      }
    });
  }
});
