import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSourceRegistry,
  kaggleCredentials,
  LocatorError,
  type SourceContext,
  SourceIoError,
  SourceUnreachableError,
  UnsupportedFormatError,
} from '../src/index.js';
import { collect, collectWithWarnings, fixture, type Sandbox, sandbox } from './support/fixtures.js';
import { deadUrl, type HubServer, startHubServer } from './support/hub-server.js';
import { bankingParquet, bankingRecords } from './support/parquet.js';

const registry = createSourceRegistry();
const SHA = '0123456789abcdef0123456789abcdef01234567';
const HF_TOKEN = 'hf_test_token';
const KAGGLE = { username: 'tester', key: 'k3y' };
const banking = bankingRecords(fixture('banking77/test-first-1000-lines.csv'));
const spam = readFileSync(fixture('sms-spam/spam-first-300-lines.csv'));
const nq = readFileSync(fixture('nq-open/NQ-open.dev-first-200-lines.jsonl'));

let box: Sandbox;
let hub: HubServer;
let ctx: SourceContext;

beforeAll(async () => {
  box = sandbox();
  hub = await startHubServer({
    hfToken: HF_TOKEN,
    hf: {
      'acme/banking': {
        sha: SHA,
        files: {
          'README.md': Buffer.from('# banking\n'),
          'data/train-00000-of-00001.parquet': bankingParquet(banking.slice(0, 600)),
          'data/test-00000-of-00001.parquet': bankingParquet(banking.slice(600)),
        },
        cardData: { dataset_info: { splits: [{ name: 'train', num_examples: 600 }, { name: 'test', num_examples: 396 }] } },
      },
      'acme/csv-only': {
        sha: 'fedcba9876543210fedcba9876543210fedcba98',
        files: { 'train.csv': Buffer.from('text,category\nx,y\n') },
        converted: { default: { train: [bankingParquet(banking.slice(0, 250)), bankingParquet(banking.slice(250, 400))] } },
      },
      'acme/jsonl-only': { sha: '1111111111111111111111111111111111111111', files: { 'data/train.jsonl': nq } },
      'acme/gated': { sha: '2222222222222222222222222222222222222222', gated: true, files: { 'train.parquet': bankingParquet(banking.slice(0, 50)) } },
    },
    kaggle: {
      ...KAGGLE,
      competitions: {
        'sms-lite': { 'data_description.txt': Buffer.from('v1 = label, v2 = message\n'), 'train.csv': spam, 'test.jsonl': nq },
      },
      datasets: { 'someone/sms-spam': { 'spam.csv': spam }, 'someone/nq': { 'nq.jsonl': nq } },
      zipSingle: ['spam.csv'],
    },
  });
  ctx = box.context({ hf: { endpoint: hub.url, token: HF_TOKEN }, kaggle: { endpoint: hub.url, ...KAGGLE } });
});
afterAll(async () => {
  await hub.close();
  box.cleanup();
});

const requestsDuring = async <T>(fn: () => Promise<T>): Promise<{ result: T; paths: string[] }> => {
  const before = hub.requests.length;
  const result = await fn();
  return { result, paths: hub.requests.slice(before).map((r) => r.path) };
};

describe('hf: Hugging Face Hub', () => {
  it('reads a split from the repository parquet files, then again from the cache with no HTTP request', async () => {
    const first = await requestsDuring(async () => collect(await registry.resolve('hf:acme/banking', ctx)));
    expect(first.result).toHaveLength(600);
    expect(first.paths).toEqual(['/api/datasets/acme/banking?blobs=true', `/datasets/acme/banking/resolve/${SHA}/data/train-00000-of-00001.parquet`]);
    expect(first.result.map((r) => r.fields['text'])).toEqual(banking.slice(0, 600).map((b) => b.text));
    expect(first.result[0]?.source).toEqual({
      locator: 'hf:acme/banking',
      resolved: `hf://datasets/acme/banking@${SHA}`,
      position: 0,
      file: 'data/train-00000-of-00001.parquet',
    });
    const second = await requestsDuring(async () => collect(await registry.resolve('hf:acme/banking', ctx)));
    expect(second.paths).toEqual([]);
    expect(second.result.map((r) => r.row_id)).toEqual(first.result.map((r) => r.row_id));
  });

  it('sends the token, honours split and revision, and describes with the card row count', async () => {
    const { result, paths } = await requestsDuring(async () => collect(await registry.resolve(`hf:acme/banking:test:${SHA}`, ctx)));
    expect(result).toHaveLength(396);
    expect(paths[0]).toBe(`/api/datasets/acme/banking/revision/${SHA}?blobs=true`);
    expect(hub.requests.at(-1)?.authorization).toBe(`Bearer ${HF_TOKEN}`);
    const d = await (await registry.resolve('hf:acme/banking:test', ctx)).describe({ sampleSize: 3 });
    expect(d).toMatchObject({ resolved: `hf://datasets/acme/banking@${SHA}`, format: 'parquet', approx_rows: 396, columns: ['text', 'label', 'id', 'note'] });
    expect(d.sample).toHaveLength(3);
  });

  it('falls back to the auto-converted parquet listing, following its redirects', async () => {
    const { result, paths } = await requestsDuring(async () => collectWithWarnings(await registry.resolve('hf:acme/csv-only', ctx)));
    expect(result.rows).toHaveLength(400);
    expect(paths).toContain('/api/datasets/acme/csv-only/parquet');
    expect(paths).toContain('/api/datasets/acme/csv-only/parquet/default/train/1.parquet');
    expect(paths).toContain('/datasets/acme/csv-only/resolve/refs%2Fconvert%2Fparquet/default/train/0001.parquet');
    expect(result.rows[250]?.source).toMatchObject({ file: 'refs/convert/parquet/default/train/1.parquet', position: 0 });
    expect(result.rows.map((r) => r.fields['text'])).toEqual(banking.slice(0, 400).map((b) => b.text));
    await expect(registry.resolve('hf:acme/csv-only:validation', ctx).then(collect)).rejects.toThrow(/has no split "validation" \(available: default\/train\)/);
  });

  it('reads JSON Lines data files when the dataset has no parquet', async () => {
    const rows = await collect(await registry.resolve('hf:acme/jsonl-only', ctx));
    expect(rows).toHaveLength(200);
    expect(rows[0]?.source.file).toBe('data/train.jsonl');
    expect(rows[0]?.fields).toEqual(JSON.parse(nq.toString('utf8').split('\n')[0] as string));
  });

  it('401 without a token names HF_TOKEN and the host; with the token it reads', async () => {
    const anonymous = box.context({ hf: { endpoint: hub.url } });
    const err = await registry
      .resolve('hf:acme/gated', anonymous)
      .then(collect)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(SourceUnreachableError);
    const e = err as SourceUnreachableError;
    expect(e.status).toBe(401);
    expect(e.host).toBe(new URL(hub.url).host);
    expect(e.reasonCode).toBe('ingest_source_unreachable');
    expect(e.message).toMatch(/HTTP 401.*Set HF_TOKEN/);
    expect(await collect(await registry.resolve('hf:acme/gated', ctx))).toHaveLength(50);
  });

  it('unknown revision, unknown dataset and an unreachable host are SourceUnreachableErrors', async () => {
    await expect(registry.resolve('hf:acme/banking:train:nope', ctx).then(collect)).rejects.toThrow(/has no dataset info for acme\/banking@nope \(HTTP 404\): Invalid rev id: nope/);
    await expect(registry.resolve('hf:acme/missing', ctx).then(collect)).rejects.toThrow(SourceUnreachableError);
    const dead = await deadUrl();
    const err = await registry
      .resolve('hf:acme/other', box.context({ hf: { endpoint: dead } }))
      .then(collect)
      .then(
        () => undefined,
        (e: unknown) => e as SourceUnreachableError,
      );
    expect(err).toBeInstanceOf(SourceUnreachableError);
    expect(err?.host).toBe(new URL(dead).host);
    expect(err?.status).toBeUndefined();
    expect(err?.message).toMatch(/is unreachable .*ECONNREFUSED/);
  });

  it('refresh=true resolves again; bad hf locators are LocatorErrors', async () => {
    const { paths } = await requestsDuring(async () => collect(await registry.resolve('hf:acme/banking?refresh=true', ctx)));
    expect(paths).toEqual(['/api/datasets/acme/banking?blobs=true']); // the file itself is still cached
    await expect(registry.resolve('hf:not a valid id', ctx)).rejects.toThrow(LocatorError);
    await expect(registry.resolve('hf:acme/banking:train:main:extra', ctx)).rejects.toThrow(LocatorError);
    await expect(registry.resolve('hf:acme/banking?sheet=1', ctx)).rejects.toThrow(/unknown option "sheet"/);
  });
});

describe('kaggle: Kaggle API v1', () => {
  it('download-all zip: reads the first CSV with a warning, then from the cache with no HTTP request', async () => {
    const first = await requestsDuring(async () => collectWithWarnings(await registry.resolve('kaggle:competition:sms-lite', ctx)));
    expect(first.paths).toEqual(['/api/v1/competitions/data/download-all/sms-lite']);
    expect(first.result.rows).toHaveLength(299);
    expect(first.result.warnings).toContain('the archive holds 3 files (data_description.txt, train.csv, test.jsonl); reading train.csv (pass ?file=<name> to choose)');
    expect(first.result.rows[0]?.source).toEqual({ locator: 'kaggle:competition:sms-lite', resolved: 'kaggle://competitions/sms-lite', position: 0, file: 'train.csv' });
    expect(hub.requests.at(-1)?.authorization).toBe(`Basic ${Buffer.from('tester:k3y').toString('base64')}`);
    const second = await requestsDuring(async () => collect(await registry.resolve('kaggle:competition:sms-lite', ctx)));
    expect(second.paths).toEqual([]);
    expect(second.result.map((r) => r.row_id)).toEqual(first.result.rows.map((r) => r.row_id));
  });

  it('a single competition file, read by its extension', async () => {
    const { result, paths } = await requestsDuring(async () => collect(await registry.resolve('kaggle:competition:sms-lite?file=test.jsonl', ctx)));
    expect(paths).toEqual(['/api/v1/competitions/data/download/sms-lite/test.jsonl']);
    expect(result).toHaveLength(200);
  });

  it('a dataset file served zipped is detected by magic bytes and extracted; CSV options pass through', async () => {
    const { result, paths } = await requestsDuring(async () =>
      collectWithWarnings(await registry.resolve('kaggle:dataset:someone/sms-spam?file=spam.csv&encoding=windows-1252', ctx)),
    );
    expect(paths).toEqual(['/api/v1/datasets/download/someone/sms-spam/spam.csv']);
    expect(result.rows).toHaveLength(299);
    expect(result.warnings).toEqual([]);
    expect(Object.keys(result.rows[0]?.fields ?? {})).toEqual(['v1', 'v2', 'column_3', 'column_4', 'column_5']);
    expect(result.rows[0]?.source.resolved).toBe('kaggle://datasets/someone/sms-spam');
    const all = await collect(await registry.resolve('kaggle:dataset:someone/sms-spam?version=3', ctx));
    expect(all).toHaveLength(299);
    expect(hub.requests.at(-1)?.path).toBe('/api/v1/datasets/download/someone/sms-spam?datasetVersionNumber=3');
    expect(all[0]?.source.resolved).toBe('kaggle://datasets/someone/sms-spam@v3');
  });

  it('401 without credentials names KAGGLE_USERNAME / KAGGLE_KEY; bad locators fail at resolve', async () => {
    const anonymous = box.context({ kaggle: { endpoint: hub.url } });
    const err = await registry
      .resolve('kaggle:dataset:someone/nq?file=nq.jsonl', anonymous)
      .then(collect)
      .then(
        () => undefined,
        (e: unknown) => e as SourceUnreachableError,
      );
    expect(err).toBeInstanceOf(SourceUnreachableError);
    expect(err?.status).toBe(401);
    expect(err?.message).toMatch(/Kaggle at 127\.0\.0\.1:\d+ refused .* \(HTTP 401\): Unauthenticated\. Set KAGGLE_USERNAME and KAGGLE_KEY/);
    expect(await collect(await registry.resolve('kaggle:dataset:someone/nq?file=nq.jsonl', ctx))).toHaveLength(200);
    await expect(registry.resolve('kaggle:dataset:someone/nq?file=data.xlsx', ctx)).rejects.toThrow(UnsupportedFormatError);
    await expect(registry.resolve('kaggle:dataset:no-owner', ctx)).rejects.toThrow(LocatorError);
    await expect(registry.resolve('kaggle:competition:x?version=2', ctx)).rejects.toThrow(/version applies to kaggle:dataset only/);
    await expect(registry.resolve('kaggle:competition:sms-lite?file=missing.csv', ctx).then(collect)).rejects.toThrow(/HTTP 404/);
  });
});

describe('kaggleCredentials', () => {
  it('prefers KAGGLE_USERNAME / KAGGLE_KEY, then kaggle.json; rejects a malformed file', async () => {
    const path = join(box.outside, 'kaggle.json');
    expect(await kaggleCredentials({ KAGGLE_USERNAME: 'u', KAGGLE_KEY: 'k' }, path)).toEqual({ username: 'u', key: 'k', origin: 'env' });
    expect(await kaggleCredentials({}, path)).toBeUndefined();
    writeFileSync(path, JSON.stringify({ username: 'fileuser', key: 'filekey' }));
    expect(await kaggleCredentials({ KAGGLE_USERNAME: 'only-user' }, path)).toEqual({ username: 'fileuser', key: 'filekey', origin: path });
    expect(await kaggleCredentials({ KAGGLE_CONFIG_DIR: box.outside })).toEqual({ username: 'fileuser', key: 'filekey', origin: path });
    writeFileSync(path, '{"username": "x"}');
    await expect(kaggleCredentials({}, path)).rejects.toThrow(SourceIoError);
    writeFileSync(path, 'not json');
    await expect(kaggleCredentials({}, path)).rejects.toThrow(/is not valid JSON/);
  });
});
