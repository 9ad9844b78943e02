/** Sampling, stop sequences, end-of-turn ids, streaming and chat on a tiny random Llama. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InferenceRequestError, loadModel, type GenerationChunk, type InferenceModel } from '../src/index.js';
import { LLAMA_GQA, tinyModelFolder, type TinyModel } from './support/tiny-model.js';

const PROMPT = 'Alice was beginning to get very tired';
let tiny: TinyModel;
let model: InferenceModel;

beforeAll(async () => {
  tiny = await tinyModelFolder(LLAMA_GQA());
  model = await loadModel(tiny.dir);
}, 60_000);

afterAll(() => model.close());

async function collect(stream: AsyncIterable<GenerationChunk>): Promise<GenerationChunk[]> {
  const out: GenerationChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('sampling', () => {
  const sampled = { maxNewTokens: 24, temperature: 1.5, ignoreEos: true } as const;

  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await model.generate(PROMPT, { ...sampled, seed: 1 });
    const b = await model.generate(PROMPT, { ...sampled, seed: 1 });
    const c = await model.generate(PROMPT, { ...sampled, seed: 2 });
    const greedy = await model.generate(PROMPT, { maxNewTokens: 24, ignoreEos: true });
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(b.text).toBe(a.text);
    expect(c.tokenIds).not.toEqual(a.tokenIds);
    expect(a.tokenIds).not.toEqual(greedy.tokenIds);
  });

  it('a tiny top-p (or top-k 1) keeps only the most likely token: greedy', async () => {
    const greedy = await model.generate(PROMPT, { maxNewTokens: 24, ignoreEos: true });
    const nucleus = await model.generate(PROMPT, { ...sampled, topP: 1e-9, seed: 7 });
    const topK = await model.generate(PROMPT, { ...sampled, topK: 1, seed: 7 });
    expect(nucleus.tokenIds).toEqual(greedy.tokenIds);
    expect(topK.tokenIds).toEqual(greedy.tokenIds);
  });

  it('row i of a sampled batch draws from (seed, i): row 0 equals the single-prompt call', async () => {
    const [first] = await model.generateBatch([PROMPT, 'The Queen'], { ...sampled, seed: 3 });
    const alone = await model.generate(PROMPT, { ...sampled, seed: 3 });
    expect(first?.tokenIds).toEqual(alone.tokenIds);
  });

  it('refuses invalid settings', async () => {
    await expect(model.generate(PROMPT, { topP: 0 })).rejects.toBeInstanceOf(InferenceRequestError);
    await expect(model.generate(PROMPT, { temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(model.generate(PROMPT, { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
    await expect(model.generate([9999])).rejects.toThrow(/outside the vocabulary/);
  });
});

describe('ending a generation', () => {
  let full: Awaited<ReturnType<InferenceModel['generate']>>;

  beforeAll(async () => {
    full = await model.generate(PROMPT, { maxNewTokens: 30, ignoreEos: true });
  });

  it('a stop sequence ends it with finish_reason stop; the text ends before the stop', async () => {
    // A stop string that starts inside the text of a later token (not at a token boundary).
    const prefix = model.tokenizer.decode(full.tokenIds.slice(0, 8));
    const start = prefix.length + 1;
    const stop = full.text.slice(start, start + 3);
    expect(stop).toHaveLength(3);
    expect(stop).not.toContain('\ufffd');
    const cut = full.text.indexOf(stop);
    const out = await model.generate(PROMPT, { maxNewTokens: 30, ignoreEos: true, stop: ['zzzz-never', stop] });
    expect(out.finishReason).toBe('stop');
    expect(out.text).toBe(full.text.slice(0, cut));
    expect(out.tokenIds).toEqual(full.tokenIds.slice(0, out.tokenIds.length));
    expect(out.tokenIds.length).toBeLessThan(full.tokenIds.length);
    // The last token completed the stop: without it the decoded text does not contain the stop yet.
    expect(model.tokenizer.decode(out.tokenIds.slice(0, -1))).not.toContain(stop);
  });

  it('maxNewTokens ends it with finish_reason length', async () => {
    const out = await model.generate(PROMPT, { maxNewTokens: 5, ignoreEos: true });
    expect(out.finishReason).toBe('length');
    expect(out.tokenIds).toEqual(full.tokenIds.slice(0, 5));
    expect(out.logprobs).toHaveLength(5);
  });

  it("the model's EOS ids (generation_config.json) end it with finish_reason stop", async () => {
    // Make the 6th greedy token (one not seen before it) an end-of-turn id of a copy of the model.
    const k = full.tokenIds.findIndex((id, i) => i >= 5 && !full.tokenIds.slice(0, i).includes(id));
    const eos = full.tokenIds[k] as number;
    const copy = await tinyModelFolder(LLAMA_GQA(), 1, { bos_token_id: 0, eos_token_id: [2, eos] });
    const withEos = await loadModel(copy.dir);
    try {
      expect(withEos.eosTokenIds).toEqual([2, eos].sort((a, b) => a - b));
      const out = await withEos.generate(PROMPT, { maxNewTokens: 30 });
      expect(out.finishReason).toBe('stop');
      expect(out.tokenIds).toEqual(full.tokenIds.slice(0, k + 1));
      expect(out.text).toBe(withEos.tokenizer.decode(full.tokenIds.slice(0, k), { skipSpecialTokens: true }));
      // ignoreEos generates through it.
      expect((await withEos.generate(PROMPT, { maxNewTokens: 30, ignoreEos: true })).tokenIds).toEqual(full.tokenIds);
    } finally {
      await withEos.close();
    }
  });

  it('stopTokenIds end it too', async () => {
    const id = full.tokenIds[3] as number;
    const k = full.tokenIds.indexOf(id);
    const out = await model.generate(PROMPT, { maxNewTokens: 30, stopTokenIds: [id] });
    expect(out.finishReason).toBe('stop');
    expect(out.tokenIds).toEqual(full.tokenIds.slice(0, k + 1));
  });
});

describe('streaming', () => {
  let stop: string;
  let decoy: string;

  beforeAll(async () => {
    // A stop that spans a token boundary, and a decoy sharing its first two characters (held back, then released).
    const full = await model.generate(PROMPT, { maxNewTokens: 30, ignoreEos: true });
    const at = model.tokenizer.decode(full.tokenIds.slice(0, 3)).length - 1;
    stop = full.text.slice(at, at + 3);
    decoy = `${stop.slice(0, 2)}\u0000`;
  });

  it('chunks concatenate to the text, one per token, the finish reason on the last', async () => {
    for (const options of [{ maxNewTokens: 20, ignoreEos: true }, { maxNewTokens: 30, ignoreEos: true, stop: [decoy, stop] }]) {
      const chunks = await collect(model.stream(PROMPT, options));
      const whole = await model.generate(PROMPT, options);
      expect(chunks.map((c) => c.tokenId)).toEqual(whole.tokenIds);
      expect(chunks.map((c) => c.text).join('')).toBe(whole.text);
      expect(chunks.map((c) => c.logprob)).toEqual(whole.logprobs);
      expect(chunks.slice(0, -1).every((c) => c.finishReason === null)).toBe(true);
      expect(chunks[chunks.length - 1]?.finishReason).toBe(whole.finishReason);
    }
  });

  it('never streams the start of a stop sequence', async () => {
    const chunks = await collect(model.stream(PROMPT, { maxNewTokens: 30, ignoreEos: true, stop: [decoy, stop] }));
    expect(chunks[chunks.length - 1]?.finishReason).toBe('stop');
    expect(chunks.length).toBeLessThan(30);
    const streamed = chunks.map((c) => c.text).join('');
    expect(streamed).not.toContain(stop);
    // Text was held back while it could still begin the decoy or the stop: a token streamed less than its text.
    expect(chunks.slice(0, -1).some((c) => c.text.length < model.tokenizer.decode([c.tokenId]).length)).toBe(true);
  });
});

describe('chat', () => {
  const messages = [
    { role: 'system', content: 'You answer briefly.' },
    { role: 'user', content: 'Who is late?' },
  ];

  it('renders the chat template with the assistant turn opened, then generates', async () => {
    const ids = model.chatPromptIds(messages);
    expect(model.tokenizer.decode(ids)).toBe('<|im_start|>system\nYou answer briefly.<|im_end|>\n<|im_start|>user\nWho is late?<|im_end|>\n<|im_start|>assistant\n');
    const chat = await model.chat(messages, { maxNewTokens: 8, ignoreEos: true });
    const plain = await model.generate(ids, { maxNewTokens: 8, ignoreEos: true });
    expect(chat.tokenIds).toEqual(plain.tokenIds);
    expect(chat.promptTokens).toBe(ids.length);
    const streamed = await collect(model.chatStream(messages, { maxNewTokens: 8, ignoreEos: true }));
    expect(streamed.map((c) => c.text).join('')).toBe(chat.text);
  });

  it("ends at the template's end-of-turn token", async () => {
    // <|im_end|> is the tokenizer's eos (id 2): as a stop id of the model it ends the turn.
    expect(model.eosTokenIds).toContain(model.tokenizer.tokenToId('<|im_end|>'));
  });
});
