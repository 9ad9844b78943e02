/** Continuation scoring against log_softmax of engine-ort's logits (the training forward pass), batched. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TrainingRun } from '@distillery/engine-ort';
import { InferenceRequestError, loadModel, type InferenceModel, type ScoreRequest } from '../src/index.js';
import { LLAMA_GQA, logSoftmaxAt, referenceLogits, referenceRun, tinyModelFolder } from './support/tiny-model.js';

const report = process.env['INFERENCE_REPORT'] === '1';
let model: InferenceModel;
let run: TrainingRun;

beforeAll(async () => {
  const tiny = await tinyModelFolder(LLAMA_GQA());
  // maxBatch 4: the six requests below run as two batches (of different padded lengths).
  model = await loadModel(tiny.dir, { maxBatch: 4 });
  run = await referenceRun(tiny);
}, 60_000);

afterAll(async () => {
  await model.close();
  await run.close();
});

/** log p of each continuation token from the reference logits of the whole, unpadded sequence. */
async function reference(prompt: readonly number[], continuation: readonly number[]): Promise<number[]> {
  const ids = [...prompt, ...continuation];
  const logits = await referenceLogits(run, ids);
  const v = run.config.vocab_size;
  return continuation.map((id, k) => {
    const at = prompt.length + k - 1;
    return logSoftmaxAt(logits.subarray(at * v, (at + 1) * v), id);
  });
}

describe('score', () => {
  it('matches log_softmax of the reference logits within 1e-4, per token and summed, across batches', async () => {
    const requests: ScoreRequest[] = [
      { prompt: [5], continuation: [6] },
      { prompt: 'Alice was beginning', continuation: ' to get very tired' },
      { prompt: [300, 5, 77, 123, 9, 400, 17, 250, 33, 64, 128, 200, 201, 202, 203, 204, 205, 206], continuation: [7, 8, 9, 10, 11, 12, 13] },
      { prompt: 'The Queen', continuation: ' said' },
      { prompt: [40, 41], continuation: [42, 43, 44] },
      { prompt: 'Down the Rabbit-Hole', continuation: ' and what is the use of a book' },
    ];
    const out = await model.score(requests);
    let worst = 0;
    for (const [i, req] of requests.entries()) {
      const prompt = model.promptIds(req.prompt);
      const continuation = typeof req.continuation === 'string' ? model.promptIds(req.continuation, false) : [...req.continuation];
      const want = await reference(prompt, continuation);
      const got = out[i];
      expect(got?.tokenIds).toEqual(continuation);
      expect(got?.promptTokens).toBe(prompt.length);
      expect(got?.tokenLogprobs).toHaveLength(want.length);
      want.forEach((w, k) => {
        const err = Math.abs((got?.tokenLogprobs[k] as number) - w);
        worst = Math.max(worst, err);
        expect(err).toBeLessThan(1e-4);
      });
      expect(Math.abs((got?.logprob as number) - want.reduce((a, x) => a + x, 0))).toBeLessThan(1e-4);
    }
    if (report) console.log(`score: max |Δ| per token ${worst.toExponential(2)}`);
    expect(model.graphs.filter((g) => g.startsWith('score'))).toEqual(['score 4x16', 'score 2x32']);
  });

  it('ranks labels by likelihood as the reference does (classification by label likelihood)', async () => {
    const prompt = 'Alice said:';
    const labels = [' yes', ' no', ' maybe', ' the Queen'];
    const scored = await model.score(labels.map((continuation) => ({ prompt, continuation })));
    const ids = model.promptIds(prompt);
    const want = await Promise.all(labels.map(async (l) => (await reference(ids, model.promptIds(l, false))).reduce((a, x) => a + x, 0)));
    const rank = (xs: number[]) => xs.map((_, i) => i).sort((a, b) => (xs[b] as number) - (xs[a] as number));
    expect(rank(scored.map((s) => s.logprob))).toEqual(rank(want));
  });

  it("agrees with generation's per-token log-probs for the greedy continuation", async () => {
    const gen = await model.generate('Alice', { maxNewTokens: 10, ignoreEos: true });
    const [scored] = await model.score([{ prompt: 'Alice', continuation: gen.tokenIds }]);
    scored?.tokenLogprobs.forEach((lp, k) => expect(Math.abs(lp - (gen.logprobs[k] as number))).toBeLessThan(1e-4));
  });

  it('refuses an empty prompt or continuation', async () => {
    await expect(model.score([{ prompt: [], continuation: [5] }])).rejects.toBeInstanceOf(InferenceRequestError);
    await expect(model.score([{ prompt: [5], continuation: '' }])).rejects.toThrow(/continuation has no tokens/);
  });
});
