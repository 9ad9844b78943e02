/**
 * The pieces of an export that need no event log: request targets, stop tokens, the smoke and parity rules, and a
 * quantization refused because no tensor of the model can take it.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore, putDirectory } from '@distillery/artifacts';
import { decoderConfig, expectedTensorShapes, ModelTokenizer, trainBpe, writeModelFolder } from '@distillery/models';
import { repoRoot } from '@distillery/testing';
import { endOfTurnId, exactParity, ExportQuantizationError, ExportRequestError, exportTarget, runExport, smokeCheck, stopTokenIds, type Decoded } from '../src/index.js';

const bpe = trainBpe(readFileSync(join(repoRoot, 'examples', 'corpora', 'gutenberg-alice', 'pg11.txt'), 'utf8').slice(2_000, 40_000), { vocabSize: 320 });
const tokenizer = new ModelTokenizer({ tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig });
const decoded = (tokenIds: number[], text: string, finishReason: Decoded['finishReason'] = 'stop'): Decoded => ({ tokenIds, logprobs: tokenIds.map(() => -0.5), text, finishReason });

describe('export targets', () => {
  it('gguf defaults to f16; other formats hold f32 and refuse a quantization; unknown formats and types are refused', () => {
    expect(exportTarget('gguf', undefined)).toEqual({ format: 'gguf', quantization: 'f16' });
    expect(exportTarget('gguf', 'Q4_0')).toEqual({ format: 'gguf', quantization: 'q4_0' });
    expect(exportTarget('gguf', 'Q4_K_M')).toEqual({ format: 'gguf', quantization: 'q4_k_m' });
    expect(exportTarget('onnx', undefined)).toEqual({ format: 'onnx', quantization: 'f32' });
    expect(() => exportTarget('onnx', 'f16')).toThrow(ExportQuantizationError);
    expect(() => exportTarget('gguf', 'bf16')).toThrow(/quantization 'bf16' is not supported/);
    expect(() => exportTarget('safetensors', undefined)).toThrow(ExportRequestError);
  });
});

describe('stop tokens', () => {
  it("the ChatML template's end-of-turn token is <|im_end|>, and it joins config and tokenizer eos ids", () => {
    expect(endOfTurnId(tokenizer)).toBe(tokenizer.tokenToId('<|im_end|>'));
    const config = decoderConfig({ model_type: 'llama', vocab_size: 320, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, eos_token_id: 0 });
    // config eos <|endoftext|> (0), tokenizer eos and end-of-turn <|im_end|> (2), generation_config 3.
    expect(stopTokenIds(config, tokenizer, { eos_token_id: [3] })).toEqual([0, 2, 3]);
  });
});

describe('smoke and parity rules', () => {
  it('smoke fails when no prompt stops or an answer is empty, and passes otherwise', () => {
    expect(smokeCheck([decoded([5, 2], 'a'), decoded([6, 7], 'bc', 'length')], 2, 'rt')).toMatchObject({ passed: true, rows: 2, stopped: 1, empty: 0 });
    const never = smokeCheck([decoded([5, 6], 'ab', 'length'), decoded([6, 7], 'bc', 'length')], 2, 'rt');
    expect(never).toMatchObject({ passed: false, stopped: 0 });
    expect(never.detail).toMatch(/^generation never stops: all 2 prompts reached the 2-token limit/);
    expect(smokeCheck([decoded([2], ''), decoded([5, 2], 'a')], 8, 'rt')).toMatchObject({ passed: false, empty: 1, detail: expect.stringMatching(/^1\/2 answers are empty/) });
  });

  it('exact parity names the first prompt whose tokens or prompt ids differ', () => {
    const prompts = [0, 1, 2].map((i) => ({ row_id: `r${i}`, messages: [{ role: 'user', content: `question ${i}` }] }));
    const ids = [[1, 2], [1, 3], [1, 4]];
    const reference = [decoded([5, 2], 'a'), decoded([6, 2], 'b'), decoded([7, 2], 'c')];
    expect(exactParity({ prompts, referenceIds: ids, exportIds: ids, reference, exported: reference }).result).toMatchObject({ passed: true, token_agreement: 1, max_abs_diff: 0 });
    const off = exactParity({ prompts, referenceIds: ids, exportIds: ids, reference, exported: [reference[0]!, decoded([9, 2], 'z'), decoded([8, 2], 'y')] });
    expect(off.result).toMatchObject({ passed: false, token_agreement: 1 / 3 });
    expect(off.mismatch).toEqual({ prompt_index: 1, row_id: 'r1', prompt: 'question 1', expected: '"b" [6 2] (stop)', actual: '"z" [9 2] (stop)' });
    const template = exactParity({ prompts, referenceIds: ids, exportIds: [[1, 2], [1, 3], [1, 5]], reference, exported: reference });
    expect(template.mismatch).toMatchObject({ prompt_index: 2, expected: 'prompt tokens [1 4]', actual: expect.stringMatching(/^prompt tokens \[1 5\] \(the bundle's tokenizer or chat template renders it differently\)/) });
  });
});

describe('quantization that cannot apply', () => {
  it('Q8_0 of a model whose rows (hidden 48, intermediate 80) are not multiples of 32 is refused, naming them', async () => {
    const config = decoderConfig({ model_type: 'llama', vocab_size: 320, hidden_size: 48, intermediate_size: 80, num_hidden_layers: 1, num_attention_heads: 2, tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 2 });
    const weights = new Map([...expectedTensorShapes(config)].map(([name, shape]) => [name, { shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.01) }]));
    const dir = mkdtempSync(join(tmpdir(), 'export-q-'));
    await writeModelFolder(dir, { config, tensors: weights, tokenizer: { tokenizerJson: bpe.tokenizerJson, tokenizerConfig: bpe.tokenizerConfig } });
    const store = new FileArtifactStore(mkdtempSync(join(tmpdir(), 'export-q-store-')));
    const model_ref = await putDirectory(store, dir, 'hf-model');
    const run = (quantization: string) =>
      runExport({ store, models: {} }, { export_run_id: 'x', created_at: '2026-01-01T00:00:00.000Z', target: exportTarget('gguf', quantization), model_ref, base_model: 'file:/unused' });
    const err = await run('q8_0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportQuantizationError);
    expect((err as Error).message).toBe('no tensor of this model can be stored as Q8_0: its row lengths (hidden 48, intermediate 80) are not multiples of 32');
    const k = await run('q4_k_m').catch((e: unknown) => e);
    expect((k as Error).message).toBe('no tensor of this model can be stored as Q4_K: its row lengths (hidden 48, intermediate 80) are not multiples of 256');
  });
});
