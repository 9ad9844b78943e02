/**
 * The ONNX export loaded by transformers.js itself (@huggingface/transformers v3, a dev dependency; its onnxruntime-node
 * is deduplicated to the repo's by an npm override). Its tokenizer must give the model tokenizer's ids, and its greedy
 * `generate` (its own KV-cache loop over onnx/model.onnx: empty pasts first, presents fed back, position ids from the
 * attention mask, EOS from generation_config.json) must give libs/inference's greedy tokens: single prompts, a
 * left-padded batch, and an early stop on an extra EOS id.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { DecoderConfig } from '@distillery/models';
import { loadModel, type InferenceModel } from '../src/index.js';
import { LLAMA_GQA, QWEN2_MHA, tinyModelFolder } from './support/tiny-model.js';

const NEW_TOKENS = 12;
const PROMPTS = ['Alice was beginning to get very tired', 'Hello', 'the Queen said, "Off with her head!"', '<|im_start|>user\nWho are you?<|im_end|>\n<|im_start|>assistant\n'];

// Local files only: nothing is fetched from the Hub and nothing is written to transformers.js' cache folder.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useFSCache = false;

interface Exported {
  readonly model: InferenceModel;
  readonly tokenizer: PreTrainedTokenizer;
  readonly causalLm: PreTrainedModel;
}

/** A tiny model folder, loaded by libs/inference, exported to ONNX and loaded back by transformers.js. */
async function exported(config: DecoderConfig, generationConfig?: Record<string, unknown>): Promise<Exported> {
  const tiny = await tinyModelFolder(config, 1, generationConfig);
  const model = await loadModel(tiny.dir);
  const dir = mkdtempSync(join(tmpdir(), 'inference-tjs-'));
  await model.exportOnnx(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(dir);
  const causalLm = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' });
  return { model, tokenizer, causalLm };
}

/** transformers.js' greedy generation: one row of ids (prompt + new tokens) per input row. */
async function greedy(causalLm: PreTrainedModel, inputs: Record<string, unknown>, maxNewTokens = NEW_TOKENS): Promise<number[][]> {
  // generate's declared parameters leave out the generation_config fields it also takes as keyword arguments.
  const params: Record<string, unknown> = { ...inputs, max_new_tokens: maxNewTokens, do_sample: false };
  const out = await causalLm.generate(params);
  if (!(out instanceof Tensor)) throw new Error('generate returned no tensor of ids');
  return (out.tolist() as bigint[][]).map((row) => row.map(Number));
}

const idsOf = (t: unknown): number[][] => ((t as Tensor).tolist() as bigint[][]).map((row) => row.map(Number));

describe.each([
  ['llama GQA, tied head', LLAMA_GQA],
  ['qwen2 MHA, biases, untied head, rope ×2', QWEN2_MHA],
])('transformers.js on the ONNX export: %s', (_name, makeConfig) => {
  let ex: Exported;

  beforeAll(async () => {
    ex = await exported(makeConfig());
  }, 60_000);

  afterAll(async () => {
    await ex.causalLm.dispose();
    await ex.model.close();
  });

  it("its tokenizer gives the model tokenizer's ids (special tokens, chat template)", () => {
    for (const prompt of PROMPTS) expect(idsOf(ex.tokenizer(prompt).input_ids)).toEqual([ex.model.promptIds(prompt)]);
    const messages = [
      { role: 'system', content: 'You are Alice.' },
      { role: 'user', content: 'Where does the rabbit hole go?' },
    ];
    const chat = ex.tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: true, return_tensor: false });
    expect(chat).toEqual(ex.model.chatPromptIds(messages));
  });

  it('greedy generate = libs/inference greedy tokens, prompt by prompt', async () => {
    for (const prompt of PROMPTS) {
      const ids = ex.model.promptIds(prompt);
      const want = await ex.model.generate(ids, { maxNewTokens: NEW_TOKENS });
      const [row] = await greedy(ex.causalLm, ex.tokenizer(prompt));
      expect(row?.slice(0, ids.length)).toEqual(ids);
      expect(row?.slice(ids.length)).toEqual(want.tokenIds);
    }
  });

  it('a left-padded batch gives every row its own greedy tokens', async () => {
    ex.tokenizer.padding_side = 'left';
    const inputs = ex.tokenizer(PROMPTS, { padding: true });
    const masks = idsOf(inputs.attention_mask);
    const rows = await greedy(ex.causalLm, inputs);
    const want = await ex.model.generateBatch(PROMPTS, { maxNewTokens: NEW_TOKENS });
    expect(masks.some((m) => m[0] === 0)).toBe(true); // some rows are padded
    for (const [r, prompt] of PROMPTS.entries()) {
      const ids = ex.model.promptIds(prompt);
      const pad = (masks[r] as number[]).filter((m) => m === 0).length;
      const row = (rows[r] as number[]).slice(pad);
      const tokens = want[r]?.tokenIds ?? [];
      expect(row.slice(0, ids.length)).toEqual(ids);
      // A row that stopped early is padded to the batch's length after its EOS.
      expect(row.slice(ids.length, ids.length + tokens.length)).toEqual(tokens);
    }
  });
});

it("an EOS id from generation_config.json ends transformers.js' generation where libs/inference stops", async () => {
  const free = await exported(LLAMA_GQA());
  const prompt = PROMPTS[0] as string;
  const tokens = (await free.model.generate(prompt, { maxNewTokens: NEW_TOKENS, ignoreEos: true })).tokenIds;
  await free.causalLm.dispose();
  await free.model.close();
  const stopId = tokens[3] as number;
  const stopped = await exported(LLAMA_GQA(), { eos_token_id: [2, stopId] });
  try {
    const ids = stopped.model.promptIds(prompt);
    const want = await stopped.model.generate(ids, { maxNewTokens: NEW_TOKENS });
    expect(want.finishReason).toBe('stop');
    expect(want.tokenIds).toEqual(tokens.slice(0, tokens.indexOf(stopId) + 1));
    const [row] = await greedy(stopped.causalLm, stopped.tokenizer(prompt));
    expect(row?.slice(ids.length)).toEqual(want.tokenIds);
  } finally {
    await stopped.causalLm.dispose();
    await stopped.model.close();
  }
}, 60_000);
