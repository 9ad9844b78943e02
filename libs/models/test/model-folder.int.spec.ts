import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  Checkpoint,
  configToJson,
  f16BitsToF32,
  f32ToF16Bits,
  ModelConfigError,
  ModelIoError,
  readModelFolder,
  SafetensorsError,
  WeightsMismatchError,
  writeCheckpoint,
  writeModelFolder,
} from '../src/index.js';
import { bitsOf, sandbox } from './support/sandbox.js';
import { tinyModel } from './support/tiny-model.js';

const box = sandbox('folder-');
afterAll(() => box.cleanup());
const model = tinyModel();

describe('writeModelFolder → readModelFolder', () => {
  it('writes the HF layout and reads back identical config, weights, tokenizer and generation config', async () => {
    const dir = box.path('tiny');
    const written = await writeModelFolder(dir, model);
    expect(written.files).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const configJson = JSON.parse(readFileSync(box.path('tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(configJson).toMatchObject({ architectures: ['LlamaForCausalLM'], model_type: 'llama', torch_dtype: 'float32', num_key_value_heads: 2, tie_word_embeddings: true });

    const folder = await readModelFolder(dir);
    expect(folder.config).toEqual(model.config);
    expect(folder.generationConfig).toEqual({ bos_token_id: 0, eos_token_id: 2, pad_token_id: 3 });
    expect(folder.tokenizerFiles.tokenizerJson).toEqual(model.tokenizer.tokenizerJson);
    expect(folder.tokenizerFiles.tokenizerConfig).toEqual(model.tokenizer.tokenizerConfig);
    expect(folder.weights).toMatchObject({ ok: true, problems: [] });
    expect(folder.warnings).toEqual([]);
    expect(folder.checkpoint.sharded).toBe(false);
    expect(folder.checkpoint.metadata).toEqual({ format: 'pt' });
    const tensors = await folder.checkpoint.readAll();
    expect([...tensors.keys()].sort()).toEqual([...model.tensors.keys()].sort());
    for (const [name, t] of model.tensors) {
      expect(tensors.get(name)?.shape).toEqual(t.shape);
      expect(bitsOf(tensors.get(name)?.data as Float32Array)).toEqual(bitsOf(t.data));
    }
    expect(folder.tokenizer.eos).toEqual({ content: '<|im_end|>', id: 2 });
    expect(folder.tokenizer.roundTrip([{ role: 'user', content: 'Off with her head!' }]).ok).toBe(true);
    await folder.close();
  });

  it('F16 weights: config says float16 and every value is the F16 rounding of the original', async () => {
    const dir = box.path('tiny-f16');
    await writeModelFolder(dir, { ...model, dtype: 'F16' });
    const folder = await readModelFolder(dir);
    expect(folder.configJson['torch_dtype']).toBe('float16');
    expect(folder.checkpoint.info('model.norm.weight').dtype).toBe('F16');
    const original = model.tensors.get('model.layers.0.self_attn.q_proj.weight')?.data as Float32Array;
    const back = await folder.checkpoint.read('model.layers.0.self_attn.q_proj.weight');
    expect(Array.from(back)).toEqual(Array.from(original, (v) => f16BitsToF32(f32ToF16Bits(v))));
    expect(Array.from(back)).not.toEqual(Array.from(original));
    await folder.close();
  });

  it('sharded: shards + index read back identical; a later unsharded write removes the stale shards', async () => {
    const dir = box.path('tiny-sharded');
    const written = await writeModelFolder(dir, { ...model, maxShardBytes: 12_000 });
    const shards = written.files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(2);
    expect(written.files).toContain('model.safetensors.index.json');
    const index = JSON.parse(readFileSync(box.path('tiny-sharded', 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    const totalBytes = [...model.tensors.values()].reduce((n, t) => n + t.data.length * 4, 0);
    expect(index.metadata.total_size).toBe(totalBytes);
    expect(Object.keys(index.weight_map).sort()).toEqual([...model.tensors.keys()].sort());
    const folder = await readModelFolder(dir);
    expect(folder.checkpoint.files).toEqual(shards);
    for (const [name, t] of model.tensors) expect(bitsOf(await folder.checkpoint.read(name))).toEqual(bitsOf(t.data));
    await folder.close();

    await writeModelFolder(dir, model);
    expect(readdirSync(dir).filter((f) => f.includes('safetensors'))).toEqual(['model.safetensors']);
  });

  it('a chat_template.jinja file is written and used when tokenizer_config.json has no template', async () => {
    const dir = box.path('jinja');
    const { chat_template: _t, ...config } = model.tokenizer.tokenizerConfig as Record<string, unknown>;
    await writeModelFolder(dir, { ...model, tokenizer: { ...model.tokenizer, tokenizerConfig: config, chatTemplateJinja: '{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}' } });
    expect(existsSync(box.path('jinja', 'chat_template.jinja'))).toBe(true);
    const folder = await readModelFolder(dir);
    expect(folder.tokenizer.renderChat([{ role: 'user', content: 'Hi' }])).toBe('[user] Hi\n');
    await folder.close();
  });

  it('refuses to write tensors that do not match the config, before writing anything', async () => {
    const tensors = new Map(model.tensors);
    tensors.delete('model.layers.1.mlp.gate_proj.weight');
    tensors.set('lm_head.weight', { shape: [384, 8], data: new Float32Array(384 * 8) });
    const err = await writeModelFolder(box.path('bad'), { ...model, tensors }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsMismatchError);
    expect((err as WeightsMismatchError).problems).toEqual(['missing model.layers.1.mlp.gate_proj.weight [40, 16]', 'unexpected lm_head.weight [384, 8]']);
    expect(existsSync(box.path('bad'))).toBe(false);
  });

  it('refuses a tokenizer with more tokens than the config has embeddings', async () => {
    const small = tinyModel({ vocab_size: 300 });
    await expect(writeModelFolder(box.path('small-vocab'), small)).rejects.toThrow(ModelConfigError);
    await expect(writeModelFolder(box.path('small-vocab'), small)).rejects.toThrow(/the tokenizer has 384 tokens but the config's vocab_size is 300/);
  });
});

describe('readModelFolder on damaged folders', () => {
  it('weights that do not match config.json: an error listing them, or a report', async () => {
    const dir = box.path('mismatch');
    await writeModelFolder(dir, model);
    writeFileSync(box.path('mismatch', 'config.json'), JSON.stringify(configToJson({ ...model.config, num_hidden_layers: 3, intermediate_size: 48 })));
    const err = await readModelFolder(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsMismatchError);
    expect((err as Error).message).toContain(`the weights in ${dir} do not match the llama config`);
    expect((err as WeightsMismatchError).problems).toContain('missing model.layers.2.input_layernorm.weight [16]');
    expect((err as WeightsMismatchError).problems).toContain('model.layers.0.mlp.up_proj.weight has shape [40, 16], expected [48, 16]');
    const report = await readModelFolder(dir, { weights: 'report' });
    expect(report.weights.ok).toBe(false);
    expect(report.weights.missing).toHaveLength(9);
    await report.close();
  });

  it('missing config.json, weights or tokenizer.json; an unsupported config', async () => {
    const dir = box.path('parts');
    await writeModelFolder(dir, model);
    rmSync(box.path('parts', 'model.safetensors'));
    writeFileSync(box.path('parts', 'pytorch_model.bin'), 'x');
    await expect(readModelFolder(dir)).rejects.toThrow(/has neither model\.safetensors nor model\.safetensors\.index\.json \(found pytorch_model\.bin; only safetensors weights are read\)/);
    rmSync(box.path('parts', 'tokenizer.json'));
    await expect(readModelFolder(dir)).rejects.toThrow(/has no tokenizer\.json/);
    writeFileSync(box.path('parts', 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    await expect(readModelFolder(dir)).rejects.toThrow(/config\.json: model_type 'gpt2' is not supported: supported are llama, mistral, qwen2/);
    rmSync(box.path('parts', 'config.json'));
    await expect(readModelFolder(dir)).rejects.toThrow(ModelIoError);
  });

  it('sharded checkpoints: a missing shard, or an index naming a tensor its shard lacks, is named', async () => {
    const dir = box.path('shards');
    const written = await writeCheckpoint(dir, model.tensors, { maxShardBytes: 12_000 });
    const indexPath = box.path('shards', 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    index.weight_map['model.norm.weight'] = written.files[0] as string;
    writeFileSync(indexPath, JSON.stringify(index));
    const wrong = await Checkpoint.open(dir).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SafetensorsError);
    expect(wrong).toMatchObject({ tensor: 'model.norm.weight' });
    expect((wrong as Error).message).toContain(`maps tensor "model.norm.weight" to ${written.files[0]}, which has no such tensor`);

    rmSync(box.path('shards', written.files[1] as string));
    const missing = await Checkpoint.open(dir).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(new RegExp(`names shard ${(written.files[1] as string).replace(/\./g, '\\.')} \\(for tensor "model\\.layers\\.[^"]+"\\), which does not exist`));

    writeFileSync(indexPath, JSON.stringify({ weight_map: { 'model.norm.weight': '../outside.safetensors' } }));
    await expect(Checkpoint.open(dir)).rejects.toThrow(/shard file name "\.\.\/outside\.safetensors" leaves the model folder/);
    writeFileSync(indexPath, '{"metadata": {}}');
    await expect(Checkpoint.open(dir)).rejects.toThrow(/model\.safetensors\.index\.json has no weight_map object/);
  });

  it('the same tensor in two shards is refused', async () => {
    const dir = box.path('dupes');
    const t = { shape: [2], data: new Float32Array([1, 2]) };
    await writeCheckpoint(box.path('dupes-a'), { a: t, b: t });
    await writeCheckpoint(dir, { a: t, c: t });
    writeFileSync(box.path('dupes', 'model-00001-of-00002.safetensors'), readFileSync(box.path('dupes-a', 'model.safetensors')));
    writeFileSync(box.path('dupes', 'model-00002-of-00002.safetensors'), readFileSync(box.path('dupes', 'model.safetensors')));
    writeFileSync(box.path('dupes', 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } }));
    await expect(Checkpoint.open(dir)).rejects.toThrow(/tensor "a" is in two shards: model-00001-of-00002\.safetensors and model-00002-of-00002\.safetensors/);
  });
});
