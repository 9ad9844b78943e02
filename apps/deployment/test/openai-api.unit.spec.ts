/** The runner's OpenAI request validation: what it accepts, its defaults, and 400s that name the field at fault. */
import { describe, expect, it } from '@jest/globals';
import { OpenAiError, parseChatRequest, parseCompletionRequest } from '../src/index.js';

const refusal = (f: () => unknown): OpenAiError => {
  try {
    f();
  } catch (err) {
    if (err instanceof OpenAiError) return err;
    throw err;
  }
  throw new Error('expected an OpenAiError');
};

const chat = (over: Record<string, unknown> = {}) => ({ model: 'p/default', messages: [{ role: 'user', content: 'hi' }], ...over });

describe('chat completion requests', () => {
  it('takes the OpenAI fields, with OpenAI defaults (temperature 1, top_p 1, no stop, not streamed)', () => {
    expect(parseChatRequest(chat())).toEqual({ model: 'p/default', messages: [{ role: 'user', content: 'hi' }], params: { temperature: 1, topP: 1, stop: [] }, stream: false, includeUsage: false });
    const r = parseChatRequest(
      chat({
        messages: [
          { role: 'developer', content: 'be brief' },
          { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        ],
        max_tokens: 7,
        temperature: 0,
        top_p: 0.5,
        seed: 3,
        stop: '###',
        n: 1,
        stream: true,
        stream_options: { include_usage: true },
        frequency_penalty: 0,
        some_vendor_extension: { x: 1 },
      }),
    );
    expect(r.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'ab' },
    ]);
    expect(r.params).toEqual({ maxTokens: 7, temperature: 0, topP: 0.5, seed: 3, stop: ['###'] });
    expect(r.stream).toBe(true);
    expect(r.includeUsage).toBe(true);
    expect(parseChatRequest(chat({ max_completion_tokens: 9 })).params.maxTokens).toBe(9);
  });

  it.each([
    [{ model: undefined }, 'model', /model: required/],
    [{ messages: [] }, 'messages', /messages: must hold at least one message/],
    [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', /messages\[0\]\.role/],
    [{ messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', /string or a list of text parts/],
    [{ max_tokens: 0 }, 'max_tokens', /max_tokens/],
    [{ max_tokens: 2.5 }, 'max_tokens', /max_tokens/],
    [{ temperature: 2.5 }, 'temperature', /temperature/],
    [{ top_p: 0 }, 'top_p', /top_p/],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', /at most 4 stop sequences/],
    [{ stop: [''] }, 'stop', /must not be empty/],
    [{ stream: 'yes' }, 'stream', /stream/],
  ])('%j is a 400 naming %s', (over, param, message) => {
    const e = refusal(() => parseChatRequest(chat(over)));
    expect(e.status).toBe(400);
    expect(e.body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(e.body.error.message).toMatch(message);
  });

  it.each([
    [{ n: 2 }, 'n', /n=2 is not supported.*n=1/],
    [{ logprobs: true }, 'logprobs', /logprobs are not supported/],
    [{ presence_penalty: 0.5 }, 'presence_penalty', /only 0/],
    [{ tools: [{ type: 'function' }] }, 'tools', /tool calls/],
    [{ response_format: { type: 'json_object' } }, 'response_format', /json_object/],
    [{ logit_bias: { '5': 1 } }, 'logit_bias', /logit_bias/],
  ])('what the runner cannot honour, %j, is refused clearly: 400 naming %s', (over, param, message) => {
    const e = refusal(() => parseChatRequest(chat(over)));
    expect(e.body.error).toMatchObject({ param, code: 'unsupported_value', type: 'invalid_request_error' });
    expect(e.body.error.message).toMatch(message);
  });

  it('a body that is not an object is a 400 without a param', () => {
    for (const body of [null, 'x', [1]]) expect(refusal(() => parseChatRequest(body)).body.error).toMatchObject({ param: null, code: 'invalid_body' });
  });
});

describe('text completion requests', () => {
  it('takes a prompt as a string, a list of one string, or token ids', () => {
    expect(parseCompletionRequest({ model: 'm', prompt: 'Once' }).prompt).toBe('Once');
    expect(parseCompletionRequest({ model: 'm', prompt: ['Once'] }).prompt).toBe('Once');
    expect(parseCompletionRequest({ model: 'm', prompt: [1, 2, 3] }).prompt).toEqual([1, 2, 3]);
    expect(parseCompletionRequest({ model: 'm', prompt: [[4, 5]] }).prompt).toEqual([4, 5]);
    expect(parseCompletionRequest({ model: 'm', prompt: 'x', stop: ['a', 'b'] }).params.stop).toEqual(['a', 'b']);
  });

  it.each([
    [{ prompt: ['a', 'b'] }, 'prompt', /2 prompts in one request are not supported/],
    [{ prompt: '' }, 'prompt', /must not be empty/],
    [{ prompt: undefined }, 'prompt', /prompt: required/],
    [{ prompt: 'x', best_of: 3 }, 'best_of', /best_of=3/],
    [{ prompt: 'x', echo: true }, 'echo', /echo/],
    [{ prompt: 'x', suffix: 'end' }, 'suffix', /suffix/],
    [{ prompt: 'x', logprobs: 2 }, 'logprobs', /logprobs/],
    [{ prompt: 'x', n: 3 }, 'n', /n=3/],
  ])('%j is a 400 naming %s', (over, param, message) => {
    const e = refusal(() => parseCompletionRequest({ model: 'm', ...over }));
    expect(e.status).toBe(400);
    expect(e.body.error.param).toBe(param);
    expect(e.body.error.message).toMatch(message);
  });
});
