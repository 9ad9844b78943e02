import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore, materializeBundle, putDirectory, readBundle } from '../src/index.js';

describe('bundles (a directory as one artifact)', () => {
  const store = new FileArtifactStore(mkdtempSync(join(tmpdir(), 'bundle-store-')));
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-src-'));
    writeFileSync(join(dir, 'config.json'), '{"model_type":"llama"}');
    mkdirSync(join(dir, 'adapter'));
    writeFileSync(join(dir, 'adapter', 'adapter_model.safetensors'), Buffer.from([1, 2, 3, 4]));
    return dir;
  };

  it('stores every file, indexes them by relative path, and gives the same ref for the same content', async () => {
    const a = await putDirectory(store, folder(), 'hf-model', { step: 3 });
    const b = await putDirectory(store, folder(), 'hf-model', { step: 3 });
    expect(b.sha256).toBe(a.sha256);
    const index = await readBundle(store, a);
    expect(Object.keys(index.files)).toEqual(['adapter/adapter_model.safetensors', 'config.json']);
    expect(index.files['config.json']!.media_type).toBe('application/json');
    expect(index).toMatchObject({ kind: 'hf-model', metadata: { step: 3 } });
  });

  it('materializes a bundle byte for byte, and refuses a corrupted file', async () => {
    const ref = await putDirectory(store, folder(), 'hf-model');
    const out = mkdtempSync(join(tmpdir(), 'bundle-out-'));
    await materializeBundle(store, ref, out);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    expect([...readFileSync(join(out, 'adapter', 'adapter_model.safetensors'))]).toEqual([1, 2, 3, 4]);
    const index = await readBundle(store, ref);
    writeFileSync(store.pathFor(index.files['config.json']!), '{"model_type":"gpt2"}');
    await expect(materializeBundle(store, ref, mkdtempSync(join(tmpdir(), 'bundle-out-')))).rejects.toThrow(/does not match its digest/);
  });
});
