import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  HubUnreachableError,
  hubSettingsFromEnv,
  ModelIoError,
  ModelLocatorError,
  openModel,
  parseModelLocator,
  readModelFolder,
  resolveModel,
  writeModelFolder,
} from '../src/index.js';
import { deadUrl, folderFiles, type ModelHub, startModelHub } from './support/model-hub.js';
import { bitsOf, sandbox } from './support/sandbox.js';
import { tinyModel } from './support/tiny-model.js';

const TOKEN = 'hf_test_token';
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_V2 = 'ffffffffffffffffffffffffffffffffffff0002';
const box = sandbox('hub-');
const model = tinyModel();
let hub: ModelHub;
let single: Record<string, Buffer>;
let sharded: Record<string, Buffer>;

beforeAll(async () => {
  await writeModelFolder(box.path('src-single'), model);
  await writeModelFolder(box.path('src-sharded'), { ...model, maxShardBytes: 12_000 });
  single = folderFiles(box.path('src-single'));
  sharded = folderFiles(box.path('src-sharded'));
  hub = await startModelHub(
    {
      'acme/tiny': { sha: SHA, files: { ...single, 'README.md': Buffer.from('# tiny\n') }, refs: { v1: SHA }, lfs: ['model.safetensors'] },
      'acme/tiny-sharded': { sha: SHA_V2, files: sharded, lfs: Object.keys(sharded).filter((f) => f.endsWith('.safetensors')) },
      'acme/gated': { sha: SHA, files: single, gated: true },
      'acme/corrupt': { sha: SHA, files: single, wrongSize: { 'model.safetensors': 10 } },
      'acme/no-tokenizer': { sha: SHA, files: { 'config.json': single['config.json'] as Buffer, 'model.safetensors': single['model.safetensors'] as Buffer } },
      'acme/pytorch': {
        sha: SHA,
        files: { 'config.json': single['config.json'] as Buffer, 'tokenizer.json': single['tokenizer.json'] as Buffer, 'pytorch_model.bin': Buffer.from('pt') },
      },
    },
    TOKEN,
  );
});
afterAll(async () => {
  await hub.close();
  box.cleanup();
});

const opts = (extra: Record<string, unknown> = {}) => ({ endpoint: hub.url, token: TOKEN, cacheDir: box.path('cache'), ...extra });

async function requestsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; paths: string[] }> {
  const before = hub.requests.length;
  const result = await fn();
  return { result, paths: hub.requests.slice(before).map((r) => r.path) };
}

describe('hf: model locators against a local Hub', () => {
  it('downloads the files a model folder needs into a cache keyed by the commit, then reads it', async () => {
    const { result, paths } = await requestsDuring(() => resolveModel('hf:acme/tiny', opts()));
    expect(result).toMatchObject({ locator: 'hf:acme/tiny', resolved: `hf://acme/tiny@${SHA}`, sha: SHA });
    expect(result.dir).toBe(join(box.path('cache'), 'hf', 'models--acme--tiny', SHA));
    expect(paths).toEqual([
      '/api/models/acme/tiny/revision/main?blobs=true',
      `/acme/tiny/resolve/${SHA}/config.json`,
      `/acme/tiny/resolve/${SHA}/tokenizer.json`,
      `/acme/tiny/resolve/${SHA}/tokenizer_config.json`,
      `/acme/tiny/resolve/${SHA}/generation_config.json`,
      `/acme/tiny/resolve/${SHA}/model.safetensors`,
    ]);
    // README.md is not needed, so not fetched; no temporary file is left behind.
    expect(readdirSync(result.dir).sort()).toEqual(['.complete.json', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readFileSync(join(result.dir, 'model.safetensors')).equals(single['model.safetensors'] as Buffer)).toBe(true);
    const folder = await readModelFolder(result.dir);
    expect(folder.config).toEqual(model.config);
    expect(bitsOf(await folder.checkpoint.read('model.layers.1.mlp.down_proj.weight'))).toEqual(bitsOf(model.tensors.get('model.layers.1.mlp.down_proj.weight')?.data as Float32Array));
    await folder.close();
  });

  it('a second resolve is served from the cache: no HTTP request at all', async () => {
    const { result, paths } = await requestsDuring(() => resolveModel('hf:acme/tiny', opts()));
    expect(paths).toEqual([]);
    expect(result.sha).toBe(SHA);
    // A commit sha needs no request either, even when never used as a locator before.
    expect((await requestsDuring(() => resolveModel(`hf:acme/tiny@${SHA}`, opts()))).paths).toEqual([]);
  });

  it('another name for a cached commit costs one listing request, no download', async () => {
    const { result, paths } = await requestsDuring(() => resolveModel('hf:acme/tiny@v1', opts()));
    expect(paths).toEqual(['/api/models/acme/tiny/revision/v1?blobs=true']);
    expect(result.sha).toBe(SHA);
  });

  it('refresh asks again; an interrupted download resumes with only the missing file', async () => {
    const dir = join(box.path('cache'), 'hf', 'models--acme--tiny', SHA);
    rmSync(join(dir, 'model.safetensors'));
    // The cached snapshot is incomplete, so even without refresh the Hub is asked again.
    const { paths } = await requestsDuring(() => resolveModel('hf:acme/tiny', opts()));
    expect(paths).toEqual(['/api/models/acme/tiny/revision/main?blobs=true', `/acme/tiny/resolve/${SHA}/model.safetensors`]);
    expect((await requestsDuring(() => resolveModel('hf:acme/tiny', opts({ refresh: true })))).paths).toEqual(['/api/models/acme/tiny/revision/main?blobs=true']);
  });

  it('a sharded checkpoint: the index, then every shard it names', async () => {
    const shardNames = Object.keys(sharded).filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f)).sort();
    expect(shardNames.length).toBeGreaterThan(1);
    const { result, paths } = await requestsDuring(() => resolveModel('hf:acme/tiny-sharded', opts()));
    expect(paths.slice(-shardNames.length - 1)).toEqual([
      `/acme/tiny-sharded/resolve/${SHA_V2}/model.safetensors.index.json`,
      ...shardNames.map((s) => `/acme/tiny-sharded/resolve/${SHA_V2}/${s}`),
    ]);
    const folder = await readModelFolder(result.dir);
    expect(folder.checkpoint.sharded).toBe(true);
    expect(folder.checkpoint.files).toEqual(shardNames);
    const all = await folder.checkpoint.readAll();
    expect([...all.keys()].sort()).toEqual([...model.tensors.keys()].sort());
    for (const [name, t] of model.tensors) expect(bitsOf(all.get(name)?.data as Float32Array)).toEqual(bitsOf(t.data));
    await folder.close();
  });

  it('a gated model without a token: a clear 401 naming HF_TOKEN; with the token it downloads, sending it on every request', async () => {
    const err = await resolveModel('hf:acme/gated', opts({ token: undefined })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubUnreachableError);
    expect((err as HubUnreachableError).status).toBe(401);
    expect((err as Error).message).toMatch(/^Hugging Face Hub at 127\.0\.0\.1:\d+ refused the file listing of acme\/gated \(HTTP 401\): Access to model acme\/gated is restricted/);
    expect((err as Error).message).toContain('(no token was sent). Set HF_TOKEN');
    const { paths } = await requestsDuring(() => resolveModel('hf:acme/gated', opts()));
    expect(paths).toHaveLength(6);
    expect(hub.requests.slice(-6).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('follows redirects to a CDN on another origin, which never receives the token', async () => {
    const seen: { path: string; authorization?: string }[] = [];
    const cdn = createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      const data = single[decodeURIComponent((req.url ?? '/').slice(1))];
      if (!data) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': String(data.length) }).end(data);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
    // "localhost" vs the Hub's "127.0.0.1": another origin.
    hub.repos['acme/cdn'] = { sha: SHA, files: single, gated: true, cdn: `http://localhost:${(cdn.address() as AddressInfo).port}` };
    try {
      const { result } = await requestsDuring(() => resolveModel('hf:acme/cdn', opts()));
      expect(readFileSync(join(result.dir, 'model.safetensors')).equals(single['model.safetensors'] as Buffer)).toBe(true);
      expect(seen.map((s) => s.path)).toEqual(['/config.json', '/tokenizer.json', '/tokenizer_config.json', '/generation_config.json', '/model.safetensors']);
      expect(seen.every((s) => s.authorization === undefined)).toBe(true);
      expect(hub.requests.slice(-5).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    } finally {
      cdn.closeAllConnections();
      await new Promise<void>((r) => cdn.close(() => r()));
    }
  });

  it('verifies sizes: a file shorter than the Hub lists is refused and never lands under its name', async () => {
    const err = await resolveModel('hf:acme/corrupt', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelIoError);
    const size = (single['model.safetensors'] as Buffer).length;
    expect((err as Error).message).toContain(`downloading file model.safetensors of acme/corrupt@${SHA}`);
    expect((err as Error).message).toContain(`size mismatch: got ${size} bytes, the Hub lists ${size + 10}`);
    const dir = join(box.path('cache'), 'hf', 'models--acme--corrupt', SHA);
    expect(readdirSync(dir).filter((f) => f.includes('model.safetensors') || f.endsWith('.part') || f === '.complete.json')).toEqual([]);
    // Once the mirror is fixed, the next resolve fetches just the listing and the missing file.
    hub.repos['acme/corrupt'] = { sha: SHA, files: single };
    const { paths } = await requestsDuring(() => resolveModel('hf:acme/corrupt', opts()));
    expect(paths).toEqual(['/api/models/acme/corrupt/revision/main?blobs=true', `/acme/corrupt/resolve/${SHA}/model.safetensors`]);
  });

  it('verifies the sha256 of LFS files', async () => {
    const tampered = Buffer.from(single['model.safetensors'] as Buffer);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0xff;
    hub.repos['acme/tampered'] = { sha: SHA, files: { ...single, 'model.safetensors': tampered }, lfs: [] };
    // List the hash of the real file, serve the tampered one.
    const good = await startModelHub({ 'acme/tampered': { sha: SHA, files: single, lfs: ['model.safetensors'] } }, TOKEN);
    const listing = (await (await fetch(`${good.url}/api/models/acme/tampered?blobs=true`)).json()) as { siblings: unknown[] };
    await good.close();
    const realFetch = fetch;
    const mixed: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.includes('/api/models/')) return new Response(JSON.stringify({ sha: SHA, siblings: listing.siblings }), { status: 200 });
      return realFetch(input, init);
    };
    const err = await resolveModel('hf:acme/tampered', opts({ fetch: mixed })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelIoError);
    expect((err as Error).message).toMatch(/sha256 mismatch: got [0-9a-f]{64}, the Hub lists [0-9a-f]{64}/);
  });

  it('a repository without tokenizer.json, or with only PyTorch weights, is refused clearly', async () => {
    await expect(resolveModel('hf:acme/no-tokenizer', opts())).rejects.toThrow(`acme/no-tokenizer (commit ${SHA}) has no tokenizer.json (files: config.json, model.safetensors)`);
    await expect(resolveModel('hf:acme/pytorch', opts())).rejects.toThrow(/has neither model\.safetensors nor model\.safetensors\.index\.json \(found pytorch_model\.bin; only safetensors weights are read\)/);
  });

  it('an unknown repository or revision is a 404; an unreachable endpoint names the host', async () => {
    const missing = await resolveModel('hf:acme/nope', opts()).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404 });
    expect((missing as Error).message).toMatch(/could not find the file listing of acme\/nope \(HTTP 404\): Repository not found/);
    await expect(resolveModel('hf:acme/tiny@v9', opts({ refresh: true }))).rejects.toThrow(/the file listing of acme\/tiny@v9 \(HTTP 404\): Invalid rev id: v9/);
    const dead = await deadUrl();
    const err = await resolveModel('hf:acme/other', opts({ endpoint: dead })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubUnreachableError);
    expect((err as Error).message).toMatch(/^Hugging Face Hub at 127\.0\.0\.1:\d+ is unreachable while fetching the file listing of acme\/other \(ECONNREFUSED\)/);
  });

  it('openModel reads the whole model from a locator', async () => {
    const m = await openModel('hf:acme/tiny', opts());
    expect(m.source.resolved).toBe(`hf://acme/tiny@${SHA}`);
    expect(m.tokenizer.decode(m.tokenizer.encode('Alice', { addSpecialTokens: false }))).toBe('Alice');
    expect(m.weights.ok).toBe(true);
    await m.close();
  });
});

describe('locators and settings', () => {
  it('parses file: and hf: locators', () => {
    expect(parseModelLocator('hf:HuggingFaceTB/SmolLM2-135M')).toEqual({ kind: 'hf', locator: 'hf:HuggingFaceTB/SmolLM2-135M', id: 'HuggingFaceTB/SmolLM2-135M' });
    expect(parseModelLocator('hf:Qwen/Qwen2.5-0.5B@refs/pr/1')).toMatchObject({ id: 'Qwen/Qwen2.5-0.5B', revision: 'refs/pr/1' });
    expect(parseModelLocator('file:models/base')).toEqual({ kind: 'file', locator: 'file:models/base', path: 'models/base' });
    expect(parseModelLocator('file:///srv/models/a%20b')).toMatchObject({ path: '/srv/models/a b' });
  });

  it.each(['hf:', 'hf:acme/tiny@', 'hf:../etc', 'hf:a/b/c', 'file:', 's3:bucket/model', 'acme/tiny'])('refuses %p', (locator) => {
    expect(() => parseModelLocator(locator)).toThrow(ModelLocatorError);
  });

  it('file: resolves relative to baseDir and must be a folder; hf: needs a cache folder', async () => {
    await writeModelFolder(box.path('local'), model);
    await expect(resolveModel('file:local', { baseDir: box.dir })).resolves.toMatchObject({ dir: box.path('local'), resolved: `file://${box.path('local')}` });
    await expect(resolveModel('file:absent', { baseDir: box.dir })).rejects.toThrow(/file:absent: .*absent is not a folder/);
    await expect(resolveModel('hf:acme/tiny', {})).rejects.toThrow(/a cache folder is needed/);
    expect(existsSync(box.path('local', 'model.safetensors'))).toBe(true);
  });

  it('HF_ENDPOINT and HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) from the environment', () => {
    expect(hubSettingsFromEnv({})).toEqual({ endpoint: 'https://huggingface.co' });
    expect(hubSettingsFromEnv({ HF_ENDPOINT: 'http://mirror:8080', HF_TOKEN: 'hf_x' })).toEqual({ endpoint: 'http://mirror:8080', token: 'hf_x' });
    expect(hubSettingsFromEnv({ HUGGING_FACE_HUB_TOKEN: 'hf_old' })).toEqual({ endpoint: 'https://huggingface.co', token: 'hf_old' });
  });
});
