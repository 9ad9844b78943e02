import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { type ChatMessage, ModelTokenizer, TokenizerError, trainBpe } from '../src/index.js';

const alice = readFileSync(new URL('./fixtures/alice/alice-body.txt', import.meta.url), 'utf8');
const trained = trainBpe(alice.slice(0, 60_000), { vocabSize: 800 });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const chatml = new ModelTokenizer({ tokenizerJson: trained.tokenizerJson, tokenizerConfig: trained.tokenizerConfig }, 'chatml');

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You answer in one sentence.' },
  { role: 'user', content: 'Who is the Cheshire Cat? 🐱' },
  { role: 'assistant', content: 'A grinning cat — « il sourit » — that fades away.' },
];

/** A Llama-2 style template: bos_token, eos_token and raise_exception. */
const LLAMA2_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] | trim + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}";

describe('special tokens', () => {
  it('come from tokenizer_config.json, with their ids', () => {
    expect(chatml.bos).toEqual({ content: '<|endoftext|>', id: 0 });
    expect(chatml.eos).toEqual({ content: '<|im_end|>', id: 2 });
    expect(chatml.pad).toEqual({ content: '<pad>', id: 3 });
    expect(chatml.unk).toBeNull();
    expect(chatml.addedTokens.map((t) => t.id)).toEqual([0, 1, 2, 3]);
    expect(chatml.specialTokenContents().sort()).toEqual(['<pad>', '<|endoftext|>', '<|im_end|>', '<|im_start|>']);
  });

  it('accept AddedToken objects, and fall back to special_tokens_map.json', () => {
    const config = { ...trained.tokenizerConfig, eos_token: { __type: 'AddedToken', content: '<|endoftext|>', special: true } };
    delete (config as Record<string, unknown>)['bos_token'];
    const t = new ModelTokenizer({ tokenizerJson: trained.tokenizerJson, tokenizerConfig: config, specialTokensMap: { bos_token: '<|im_start|>' } });
    expect(t.eos).toEqual({ content: '<|endoftext|>', id: 0 });
    expect(t.bos).toEqual({ content: '<|im_start|>', id: 1 });
  });

  it('a special token missing from the vocabulary is an error naming it', () => {
    expect(() => new ModelTokenizer({ tokenizerJson: trained.tokenizerJson, tokenizerConfig: { ...trained.tokenizerConfig, eos_token: '</s>' } }, 'm/')).toThrow(
      /m\/: eos_token "<\/s>" is not in the vocabulary of tokenizer\.json/,
    );
  });

  it('encode applies the post-processor only when asked', () => {
    const json = clone(trained.tokenizerJson);
    json['post_processor'] = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [0], tokens: ['<|endoftext|>'] } },
    };
    const t = new ModelTokenizer({ tokenizerJson: json, tokenizerConfig: trained.tokenizerConfig });
    const plain = t.encode('Alice', { addSpecialTokens: false });
    expect(t.encode('Alice')).toEqual([0, ...plain]);
    expect(t.decode([0, ...plain], { skipSpecialTokens: true })).toBe('Alice');
    expect(t.decode([0, ...plain])).toBe('<|endoftext|>Alice');
  });

  it('decode keeps spaces before punctuation unless tokenizer_config.json asks for clean-up (transformers ≥ 4.45)', () => {
    const { clean_up_tokenization_spaces: _c, ...unset } = trained.tokenizerConfig;
    const text = 'Curiouser , and curiouser ! she cried .';
    const t = new ModelTokenizer({ tokenizerJson: trained.tokenizerJson, tokenizerConfig: unset });
    expect(t.decode(t.encode(text))).toBe(text);
    const cleaning = new ModelTokenizer({ tokenizerJson: trained.tokenizerJson, tokenizerConfig: { ...unset, clean_up_tokenization_spaces: true } });
    expect(cleaning.decode(cleaning.encode(text))).toBe('Curiouser, and curiouser! she cried.');
  });

  it('decode: empty input, ids out of range', () => {
    expect(chatml.decode([])).toBe('');
    expect(() => chatml.decode([800])).toThrow(/token id 800 is outside the vocabulary \(0…799\)/);
    expect(() => chatml.decode([-1])).toThrow(TokenizerError);
  });

  it('a broken tokenizer.json is a TokenizerError', () => {
    expect(() => new ModelTokenizer({ tokenizerJson: { model: { type: 'Nope' } } }, 'bad/')).toThrow(/bad\/: tokenizer\.json cannot be loaded/);
  });
});

describe('chat templates', () => {
  it('ChatML renders each turn and the generation prompt', () => {
    expect(chatml.renderChat(conversation)).toBe(
      '<|im_start|>system\nYou answer in one sentence.<|im_end|>\n' +
        '<|im_start|>user\nWho is the Cheshire Cat? 🐱<|im_end|>\n' +
        '<|im_start|>assistant\nA grinning cat — « il sourit » — that fades away.<|im_end|>\n',
    );
    expect(chatml.renderChat(conversation.slice(0, 2), { addGenerationPrompt: true }).endsWith('<|im_end|>\n<|im_start|>assistant\n')).toBe(true);
  });

  it('round trip: render → encode → decode gives the rendered text, specials as single ids', () => {
    const report = chatml.roundTrip(conversation, { addGenerationPrompt: true });
    expect(report.ok).toBe(true);
    expect(report.decoded).toBe(report.rendered);
    expect(report.problem).toBeUndefined();
    expect(report.ids.filter((id) => id === 1)).toHaveLength(4); // <|im_start|> × 3 turns + the prompt
    expect(report.ids.filter((id) => id === 2)).toHaveLength(3);
  });

  it('bos_token / eos_token variables and raise_exception (a Llama-2 style template)', () => {
    const t = new ModelTokenizer({
      tokenizerJson: trained.tokenizerJson,
      tokenizerConfig: { ...trained.tokenizerConfig, bos_token: '<|im_start|>', eos_token: '<|endoftext|>', chat_template: LLAMA2_TEMPLATE },
    });
    const messages = [
      { role: 'user', content: ' Hello ' },
      { role: 'assistant', content: 'Hi there.' },
      { role: 'user', content: 'Bye' },
    ];
    expect(t.renderChat(messages)).toBe('<|im_start|>[INST] Hello [/INST] Hi there. <|endoftext|>[INST] Bye [/INST]');
    expect(t.roundTrip(messages).ok).toBe(true);
    expect(() => t.renderChat([{ role: 'assistant', content: 'x' }])).toThrow(/rendering the chat template failed \(Conversation roles must alternate/);
  });

  it('extra variables reach the template; a list of named templates uses "default"', () => {
    const t = new ModelTokenizer({
      tokenizerJson: trained.tokenizerJson,
      tokenizerConfig: {
        ...trained.tokenizerConfig,
        chat_template: [
          { name: 'tool_use', template: 'TOOLS {{ tools | length }}' },
          { name: 'default', template: '{{ greeting }}, {{ messages[0].content }}' },
        ],
      },
    });
    expect(t.renderChat([{ role: 'user', content: 'Alice' }], { variables: { greeting: 'Hello' } })).toBe('Hello, Alice');
  });

  it('a tokenizer without a template, or with a broken one, says so', () => {
    const none = new ModelTokenizer({ tokenizerJson: trained.tokenizerJson, tokenizerConfig: { ...trained.tokenizerConfig, chat_template: undefined } }, 'plain/');
    expect(() => none.renderChat(conversation)).toThrow(/plain\/: the tokenizer has no chat template/);
    const broken = new ModelTokenizer({ tokenizerJson: trained.tokenizerJson, tokenizerConfig: { ...trained.tokenizerConfig, chat_template: '{% for m in messages %}' } });
    expect(() => broken.renderChat(conversation)).toThrow(TokenizerError);
  });

  it('reports where decode(encode(rendered)) differs (a lossy normalizer)', () => {
    const json = clone(trained.tokenizerJson);
    json['normalizer'] = { type: 'Lowercase' };
    const lossy = new ModelTokenizer({ tokenizerJson: json, tokenizerConfig: trained.tokenizerConfig }, 'lossy/');
    const report = lossy.roundTrip([{ role: 'user', content: 'down the Rabbit-hole' }]);
    expect(report.ok).toBe(false);
    const at = '<|im_start|>user\ndown the '.length;
    expect(report.mismatch?.index).toBe(at);
    // 20 characters either side of the difference.
    expect(report.mismatch?.expected).toBe('tart|>user\ndown the Rabbit-hole<|im_end|');
    expect(report.mismatch?.actual).toBe('tart|>user\ndown the rabbit-hole<|im_end|');
    expect(report.problem).toContain('lossy/: decode(encode(rendered)) differs from the rendered text at index 26');
  });

  it('reports special tokens the tokenizer splits into pieces (a marker missing from added_tokens)', () => {
    const json = clone(trained.tokenizerJson);
    json['added_tokens'] = (json['added_tokens'] as { content: string }[]).filter((t) => t.content !== '<|im_start|>');
    const t = new ModelTokenizer({ tokenizerJson: json, tokenizerConfig: trained.tokenizerConfig });
    const report = t.roundTrip(conversation);
    expect(report.decoded).toBe(report.rendered); // byte-level BPE is lossless…
    expect(report.splitSpecialTokens).toEqual(['<|im_start|>']); // …but the marker is no longer one token
    expect(report.ok).toBe(false);
    expect(report.problem).toMatch(/special tokens not encoded as their own id: <\|im_start\|>/);
  });
});
