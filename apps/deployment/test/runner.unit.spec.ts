/**
 * The runner's registry without a real model: leases, the atomic alias swap that lets in-flight requests finish on
 * the old model before it is closed, 404s in OpenAI's shape, and the ring buffer of recent prompts.
 */
import { describe, expect, it } from '@jest/globals';
import type { InferenceModel } from '@distillery/inference';
import { OpenAiError, Ring, Runner } from '../src/index.js';

/** A stand-in model: generation waits until the test releases it; it records whether it was closed. */
function fakeModel(name: string) {
  const waiting: Array<() => void> = [];
  const state = { closed: false, calls: 0 };
  const model = {
    config: { max_position_embeddings: 64 },
    promptIds: (p: string) => [...p].map((c) => c.charCodeAt(0) % 50),
    chatPromptIds: (m: Array<{ content: string }>) => [...m.map((x) => x.content).join('')].map((c) => c.charCodeAt(0) % 50),
    generate: async () => {
      state.calls++;
      if (state.closed) throw new Error(`${name} used after close`);
      await new Promise<void>((resolve) => waiting.push(resolve));
      return { text: `${name} says hi`, tokenIds: [1, 2, 3], logprobs: [0, 0, 0], finishReason: 'stop' as const, promptTokens: 2 };
    },
    close: async () => {
      state.closed = true;
    },
  };
  return { model: model as unknown as InferenceModel, state, finishAll: () => waiting.splice(0).forEach((r) => r()), pending: () => waiting.length };
}

const opts = { defaultMaxTokens: 16, maxTokensLimit: 100, recentCapacity: 3 };
const chat = (model: string, content = 'hello') => ({ model, messages: [{ role: 'user' as const, content }], params: { temperature: 0, topP: 1, stop: [] }, stream: false, includeUsage: false });
const tick = () => new Promise((r) => setImmediate(r));

describe('the runner registry', () => {
  it('a swap serves new requests from the new model at once, and closes the old one only after its in-flight requests finished', async () => {
    const runner = new Runner(opts);
    const v1 = fakeModel('v1');
    const v2 = fakeModel('v2');
    await runner.swap('p/default', 'p/default@v1', v1.model);
    const inflight = runner.complete('chat', chat('p/default'), { probe: false });
    await tick();
    expect(v1.pending()).toBe(1);
    let swapped = false;
    const swap = runner.swap('p/default', 'p/default@v2', v2.model).then(() => (swapped = true));
    await tick();
    expect(runner.routeOf('p/default')).toBe('p/default@v2');
    expect(v1.state.closed).toBe(false);
    expect(swapped).toBe(false);
    const next = runner.complete('chat', chat('p/default'), { probe: false });
    await tick();
    expect(v2.pending()).toBe(1);
    v1.finishAll();
    expect((await inflight).model).toBe('p/default@v1');
    await swap;
    expect(v1.state.closed).toBe(true);
    v2.finishAll();
    const r = await next;
    expect(r.model).toBe('p/default@v2');
    expect(r.choices[0]!.message.content).toBe('v2 says hi');
    expect(r.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it('an unknown model is a 404 model_not_found listing what is served; a retired version id is gone too', async () => {
    const runner = new Runner(opts);
    const v1 = fakeModel('v1');
    await runner.swap('p/default', 'p/default@v1', v1.model);
    const e = (() => {
      try {
        runner.acquire('p/other');
      } catch (err) {
        return err as OpenAiError;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(OpenAiError);
    expect(e!.status).toBe(404);
    expect(e!.body.error).toMatchObject({ param: 'model', code: 'model_not_found' });
    expect(e!.message).toMatch(/served: p\/default, p\/default@v1/);
    await runner.swap('p/default', 'p/default@v2', fakeModel('v2').model);
    expect(() => runner.acquire('p/default@v1')).toThrow(/does not exist/);
    expect(runner.list().data.map((m) => [m.id, m.root])).toEqual([
      ['p/default', 'p/default@v2'],
      ['p/default@v2', 'p/default@v2'],
    ]);
  });

  it('max_tokens beyond the limit and prompts beyond the context are 400s naming the field', async () => {
    const runner = new Runner(opts);
    const v1 = fakeModel('v1');
    await runner.swap('p/s', 'p/s@v1', v1.model);
    await expect(runner.complete('chat', { ...chat('p/s'), params: { temperature: 0, topP: 1, stop: [], maxTokens: 101 } }, { probe: false })).rejects.toMatchObject({ status: 400, param: 'max_tokens' });
    await expect(runner.complete('chat', chat('p/s', 'x'.repeat(64)), { probe: false })).rejects.toMatchObject({ status: 400, param: 'messages', errorCode: 'context_length_exceeded' });
    expect(v1.state.calls).toBe(0);
  });

  it('records the last user prompt and the answer of served requests behind the alias, not probes', async () => {
    const runner = new Runner(opts);
    const v1 = fakeModel('v1');
    await runner.swap('p/s', 'p/s@v1', v1.model);
    const served = Promise.all([runner.complete('chat', chat('p/s', 'one'), { probe: false }), runner.complete('chat', chat('p/s@v1', 'two'), { probe: false }), runner.complete('chat', chat('p/s', 'probe'), { probe: true })]);
    await tick();
    v1.finishAll();
    await served;
    expect(runner.recentOf('p/s').map((r) => [r.prompt, r.answer])).toEqual([
      ['one', 'v1 says hi'],
      ['two', 'v1 says hi'],
    ]);
  });
});

describe('the ring buffer', () => {
  it('keeps the newest entries, oldest first', () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 2; i++) ring.push(i);
    expect(ring.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.size).toBe(3);
  });
});
