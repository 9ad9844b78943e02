import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { BpeTrainingError, CHATML_TEMPLATE, ModelTokenizer, preTokenize, toByteLevel, trainBpe, type TrainedBpe } from '../src/index.js';

const alice = readFileSync(new URL('./fixtures/alice/alice-body.txt', import.meta.url), 'utf8');
const paragraphs = alice.split('\n\n');

const tokenizerOf = (t: TrainedBpe) => new ModelTokenizer({ tokenizerJson: t.tokenizerJson, tokenizerConfig: t.tokenizerConfig });

/** Reference BPE, written independently of both the trainer and @huggingface/tokenizers: apply each merge, in order, left to right. */
function referenceSegment(piece: string, merges: readonly (readonly [string, string])[]): string[] {
  let symbols = Array.from(toByteLevel(piece));
  for (const [l, r] of merges) {
    if (symbols.length < 2) break;
    const next: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (i + 1 < symbols.length && symbols[i] === l && symbols[i + 1] === r) {
        next.push(l + r);
        i++;
      } else next.push(symbols[i] as string);
    }
    symbols = next;
  }
  return symbols;
}

const t0 = performance.now();
const trained = trainBpe(alice, { vocabSize: 2048 });
const trainMs = performance.now() - t0;
const tok = tokenizerOf(trained);

const SAMPLES = [
  'Hello, world!',
  'wörld — naïve café, Straße',
  '日本語のテキストと中文文本',
  'Привет, мир! Ελληνικά. עברית. العربية.',
  'हिन्दी और தமிழ்',
  'emoji: 😀🎉👩‍👩‍👧‍👦 🇫🇷 ❤️‍🔥',
  'combining: e\u0301 a\u0308 \u200d zero-width',
  'tabs\tand\r\nCRLF\n\n  leading and trailing spaces   ',
  '\u0000\u0001 control \u007f bytes and \uffff',
  "contractions: don't you'll we've I'm it's they'd",
  "spaces before punctuation , . ! ? and do n't 's 're (decoding must not clean them up)",
  'numbers 1234567890 3.14159 -42 1e10',
  'specials inline: <|im_start|>user\nhi<|im_end|><|endoftext|><pad>',
  '',
  ' ',
  '\n',
];

describe('trainBpe on Alice (144 KB)', () => {
  it('trains in well under the time budget', () => {
    expect(trainMs).toBeLessThan(5_000);
    expect(trained.stats.bytes).toBe(Buffer.byteLength(alice, 'utf8'));
    expect(trained.warnings).toEqual([]);
  });

  it('honours the vocabulary size: ids 0…n−1 with no gap, specials first, then the 256 bytes', () => {
    expect(trained.vocabSize).toBe(2048);
    expect(trained.vocab.size).toBe(2048);
    expect(Object.keys(trained.tokenizerJson['model'] as { vocab: object } & Record<string, unknown>)).toContain('vocab');
    const ids = [...trained.vocab.values()].sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 2048 }, (_, i) => i));
    expect(['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<pad>'].map((s) => trained.vocab.get(s))).toEqual([0, 1, 2, 3]);
    expect(trained.vocab.get('!')).toBe(4 + 0x21);
    expect(trained.vocab.get('Ġ')).toBe(4 + 0x20); // byte 0x20 (space) is Ġ
    expect(tok.vocabSize).toBe(2048);
    for (const size of [300, 777]) {
      const t = trainBpe(alice, { vocabSize: size });
      expect(t.vocabSize).toBe(size);
      expect(tokenizerOf(t).vocabSize).toBe(size);
    }
  });

  it('says when the corpus cannot fill the vocabulary', () => {
    const t = trainBpe('abc abc abc', { vocabSize: 400 });
    expect(t.vocabSize).toBeLessThan(400);
    expect(t.warnings[0]).toMatch(/the corpus supports only \d+ tokens at minFrequency 2 \(asked for 400\)/);
    expect(trainBpe('abc abc abc', { vocabSize: 400, minFrequency: 4 }).merges).toEqual([]);
  });

  it('is deterministic: the same corpus gives the same files, whatever the order of its documents', () => {
    const again = trainBpe(alice, { vocabSize: 2048 });
    expect(JSON.stringify(again.tokenizerJson)).toBe(JSON.stringify(trained.tokenizerJson));
    const forward = trainBpe(paragraphs, { vocabSize: 1500 });
    const backward = trainBpe([...paragraphs].reverse(), { vocabSize: 1500 });
    expect(backward.merges).toEqual(forward.merges);
    expect(JSON.stringify(backward.tokenizerJson)).toBe(JSON.stringify(forward.tokenizerJson));
    // A smaller vocabulary is a prefix of the larger one's merges; another corpus gives other merges.
    const smaller = trainBpe(paragraphs, { vocabSize: 1000 }).merges;
    expect(smaller).toEqual(forward.merges.slice(0, smaller.length));
    expect(trainBpe(paragraphs.slice(0, 300), { vocabSize: 1500 }).merges).not.toEqual(forward.merges);
  });

  it('learns the obvious first merges of English text, most frequent first', () => {
    // "Ġ" + "t" (as in " the") and "h" + "e" are the commonest pairs of English prose.
    expect(trained.merges.slice(0, 3).map(([l, r]) => l + r)).toEqual(expect.arrayContaining(['Ġt', 'he']));
    expect(trained.vocab.has('Ġthe')).toBe(true);
    expect(trained.vocab.has('ĠAlice')).toBe(true);
  });

  it('@huggingface/tokenizers applies the merges in the order learned (same segmentation as a reference BPE)', () => {
    const held = 'Alice was beginning to get very tired of sitting by her sister on the bank. Curiouser and curiouser!';
    for (const text of [alice.slice(0, 20_000), held]) {
      const expected = preTokenize(text).flatMap((p) => referenceSegment(p, trained.merges));
      expect(tok.tokenize(text)).toEqual(expected);
    }
    // And the trainer's own statistics agree with the library's encoding of the whole corpus.
    const ids = tok.encode(alice, { addSpecialTokens: false });
    expect(Buffer.byteLength(alice) / ids.length).toBeCloseTo(trained.stats.bytesPerToken, 10);
  });

  it.each(SAMPLES.map((s) => [JSON.stringify(s).slice(0, 40), s]))('round-trips %s', (_label, text) => {
    const ids = tok.encode(text, { addSpecialTokens: false });
    expect(tok.decode(ids)).toBe(text);
  });

  it('round-trips random UTF-8 (all planes, surrogate pairs)', () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let n = 0; n < 200; n++) {
      let s = '';
      const len = next() % 40;
      for (let i = 0; i < len; i++) {
        let cp = next() % 0x110000;
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x20;
        s += String.fromCodePoint(cp);
      }
      expect(tok.decode(tok.encode(s, { addSpecialTokens: false }))).toBe(s);
    }
  });

  it('special tokens are single ids in text and are never learned from', () => {
    const corpus = paragraphs.slice(0, 400).join('<|endoftext|>');
    const t = trainBpe(corpus, { vocabSize: 600 });
    expect([...t.vocab.keys()].filter((k) => k.includes('endoftext'))).toEqual(['<|endoftext|>']);
    const k = tokenizerOf(t);
    expect(k.encode('<|im_start|>user\nhello<|im_end|>', { addSpecialTokens: false }).filter((id) => id <= 3)).toEqual([1, 2]);
    expect((t.tokenizerJson['added_tokens'] as { content: string; special: boolean }[]).map((a) => [a.content, a.special])).toEqual([
      ['<|endoftext|>', true],
      ['<|im_start|>', true],
      ['<|im_end|>', true],
      ['<pad>', true],
    ]);
  });

  it('writes an HF tokenizer.json (BPE, byte-level pre-tokenizer and decoder) and a ChatML tokenizer_config.json', () => {
    const json = trained.tokenizerJson as { model: { type: string; merges: string[]; vocab: Record<string, number> }; pre_tokenizer: { type: string }; decoder: { type: string } };
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false, use_regex: true });
    expect(json.decoder.type).toBe('ByteLevel');
    expect(json.model.merges.length).toBe(trained.merges.length);
    expect(json.model.merges[0]).toBe(`${trained.merges[0]?.[0]} ${trained.merges[0]?.[1]}`);
    expect(trained.tokenizerConfig).toMatchObject({
      bos_token: '<|endoftext|>',
      eos_token: '<|im_end|>',
      pad_token: '<pad>',
      unk_token: null,
      chat_template: CHATML_TEMPLATE,
      clean_up_tokenization_spaces: false,
      additional_special_tokens: ['<|im_start|>'],
    });
    expect(tok.renderChat([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true })).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  it('refuses impossible settings', () => {
    expect(() => trainBpe(alice, { vocabSize: 259 })).toThrow(BpeTrainingError);
    expect(() => trainBpe(alice, { vocabSize: 259 })).toThrow(/vocabSize must be an integer from 260/);
    expect(() => trainBpe(alice, { vocabSize: 300, eosToken: '</s>' })).toThrow(/eosToken "<\/s>" is not one of the special tokens/);
    expect(() => trainBpe(alice, { vocabSize: 300, specialTokens: ['<s>'] })).toThrow(/the ChatML template needs <\|im_start\|>/);
    expect(() => trainBpe(alice, { vocabSize: 300, specialTokens: ['<s>', '<s>'] })).toThrow(/distinct/);
    expect(trainBpe(alice, { vocabSize: 300, specialTokens: ['<s>', '</s>'], bosToken: '<s>', eosToken: '</s>', chatTemplate: null }).tokenizerConfig).toMatchObject({
      bos_token: '<s>',
      eos_token: '</s>',
      pad_token: null,
    });
  });
});
