/** The SSE framing and chunk format of streamed completions, and the client's SSE parser that reads them back. */
import { describe, expect, it } from '@jest/globals';
import { sseEvents, sseFrames, SSE_DONE, type TokenChunk } from '../src/index.js';

const meta = { id: 'chatcmpl-1', created: 1_700_000_000, model: 'p/default@v2' };

async function* tokens(...chunks: TokenChunk[]): AsyncGenerator<TokenChunk> {
  yield* chunks;
}

const collect = async <T>(g: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

describe('SSE frames of a stream', () => {
  it('a chat stream: a role chunk, one chunk per piece of text, the finish reason on its own chunk, usage, [DONE]', async () => {
    let done: unknown;
    const frames = await collect(
      sseFrames(meta, tokens({ text: 'Hel', finishReason: null }, { text: '', finishReason: null }, { text: 'lo', finishReason: null }, { text: '', finishReason: 'stop' }), {
        kind: 'chat',
        promptTokens: 5,
        includeUsage: true,
        onDone: (text, finish, n) => (done = { text, finish, n }),
      }),
    );
    expect(frames.every((f) => /^data: .*\n\n$/s.test(f))).toBe(true);
    expect(frames.at(-1)).toBe('data: [DONE]\n\n');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice('data: '.length)) as Record<string, unknown>);
    expect(chunks).toEqual([
      { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'p/default@v2', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
      { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'p/default@v2', choices: [{ index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null }] },
      { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'p/default@v2', choices: [{ index: 0, delta: { content: 'lo' }, logprobs: null, finish_reason: null }] },
      { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'p/default@v2', choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
      { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'p/default@v2', choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } },
    ]);
    expect(done).toEqual({ text: 'Hello', finish: 'stop', n: 4 });
  });

  it('a text stream without usage: text_completion chunks, no role chunk, no usage chunk; a length stop', async () => {
    const frames = await collect(sseFrames(meta, tokens({ text: 'a', finishReason: null }, { text: 'b', finishReason: 'length' }), { kind: 'text', promptTokens: 2, includeUsage: false }));
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)) as { object: string; choices: Array<{ text: string; finish_reason: string | null }>; usage?: unknown });
    expect(chunks.map((c) => c.object)).toEqual(['text_completion', 'text_completion', 'text_completion']);
    expect(chunks.map((c) => [c.choices[0]?.text, c.choices[0]?.finish_reason])).toEqual([
      ['a', null],
      ['b', null],
      ['', 'length'],
    ]);
    expect(chunks.some((c) => c.usage !== undefined)).toBe(false);
    expect(frames.at(-1)).toBe(SSE_DONE);
  });

  it("the client's parser reads the frames back from any split of the bytes, CRLF line ends and comments included", async () => {
    const frames = await collect(sseFrames(meta, tokens({ text: 'x', finishReason: 'stop' }), { kind: 'chat', promptTokens: 1, includeUsage: false }));
    const body = `: a comment\r\n\r\n${frames.join('').replace(/\n/g, '\r\n')}`;
    const bytes = new TextEncoder().encode(body);
    async function* split(size: number): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    for (const size of [1, 3, 7, 1000]) {
      const events = await collect(sseEvents(split(size)));
      expect(events).toHaveLength(frames.length);
      expect(events.at(-1)).toBe('[DONE]');
      expect((JSON.parse(events[1]!) as { choices: Array<{ delta: { content: string } }> }).choices[0]!.delta.content).toBe('x');
    }
  });
});
