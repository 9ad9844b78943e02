/**
 * POST /api/support-bundles and GET /api/support-bundles/:id/download against real NATS and PostgreSQL: events
 * published to the log, projected by the projector, bundled and served by the API; the token only works in its header.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@distillery/testing';
import type { IsolatedSpine } from '@distillery/testing-spine';
import { startApiStack, type ApiStack } from './support/api-stack.js';

type Json = Record<string, unknown>;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const repeatTo = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
/** A fake GitHub token, built at run time. */
const GH_TOKEN = `ghp_${repeatTo('a1B2c3D4e5F6', 36)}`;

describe('support bundles over HTTP', () => {
  let stack: ApiStack;
  let spine: IsolatedSpine;
  let base = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'support-bundles-api-'));

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const download = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    const data = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, data, json: () => JSON.parse(data.toString('utf8')) as Json };
  };

  beforeAll(async () => {
    stack = await startApiStack('sbapi', { DISTILLERY_DATA_DIR: dataDir });
    ({ spine, base } = stack);
    const pub = spine.log.publisher({ app: 'test', version: '1' });
    await pub.publish({ reason_code: 'training_started', project_id: 'acme', run_id: 'train-1', summary: 'started on ort', payload: { engine: 'ort' } });
    await pub.publish({
      reason_code: 'training_runtime_error',
      project_id: 'acme',
      run_id: 'train-1',
      summary: 'trainer crashed',
      payload: { step: 2, failure: { error_class: 'RuntimeError', message: `git push with ${GH_TOKEN} refused` } },
    });
    await waitFor('events projected', async () => {
      const res = await fetch(`${base}/api/runs/train-1?project_id=acme`);
      return res.status === 200 && ((await res.json()) as Json)['event_count'] === 2 ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let bundle: Json = {};

  it('creates a bundle: 201 with its id, sha256, size, expiry and a one-time download token', async () => {
    const r = await post('/api/support-bundles', { project_id: 'acme', run_id: 'train-1' });
    expect(r.status).toBe(201);
    bundle = r.body;
    expect(bundle['bundle_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(bundle['sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle['size']).toEqual(expect.any(Number));
    expect(bundle['download_token']).toMatch(/^dsb_[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(bundle['expires_at'] as string);
    expect(expires - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
  });

  it('downloads with the token in the header: the zip whose sha256 was announced, redacted', async () => {
    const r = await download(`/api/support-bundles/${bundle['bundle_id']}/download`, { 'x-distillery-bundle-token': bundle['download_token'] as string });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/zip');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="distillery-support-acme-[0-9a-f-]{36}\.zip"$/);
    expect(sha256(r.data)).toBe(bundle['sha256']);
    expect(r.data.length).toBe(bundle['size']);
    const file = join(dataDir, 'downloaded.zip');
    writeFileSync(file, r.data);
    const names = JSON.parse(
      execFileSync('python3', ['-c', 'import json,sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps(z.namelist()))', file], { encoding: 'utf8' }),
    ) as string[];
    expect(names).toContain('manifest.json');
    expect(names).toContain('events.jsonl');
    expect(r.data.includes(Buffer.from(GH_TOKEN))).toBe(false);
  });

  it('announces the bundle with support_bundle_created (artifact, sha256, size, expiry, section counts)', async () => {
    const events = await waitFor('support_bundle_created projected', async () => {
      const res = await fetch(`${base}/api/events?project_id=acme&reason_code=support_bundle_created`);
      const body = (await res.json()) as { items: Json[] };
      return body.items.length === 1 ? body.items : undefined;
    });
    expect(events[0]!['payload']).toMatchObject({
      bundle_id: bundle['bundle_id'],
      sha256: bundle['sha256'],
      bytes: bundle['size'],
      expires_at: bundle['expires_at'],
      artifact: { sha256: bundle['sha256'], media_type: 'application/zip' },
      sections: { runs: 1, events: 2, failure_clusters: 1 },
    });
    expect(JSON.stringify(events[0])).not.toContain(bundle['download_token'] as string);
  });

  it('refuses a missing or wrong token with 403', async () => {
    const path = `/api/support-bundles/${bundle['bundle_id']}/download`;
    const missing = await download(path);
    expect(missing.status).toBe(403);
    expect(missing.json()['message']).toMatch(/x-distillery-bundle-token/);
    const wrong = await download(path, { 'x-distillery-bundle-token': `${bundle['download_token']}x` });
    expect(wrong.status).toBe(403);
    expect(wrong.data.includes(Buffer.from('PK\u0003\u0004'))).toBe(false);
  });

  it('refuses a token in the query string with 403, and says to use the header', async () => {
    const r = await download(`/api/support-bundles/${bundle['bundle_id']}/download?token=${bundle['download_token']}`);
    expect(r.status).toBe(403);
    expect(r.json()['message']).toMatch(/query string.*x-distillery-bundle-token header/);
    // Even together with the right header: a token in a URL is refused, not ignored.
    const both = await download(`/api/support-bundles/${bundle['bundle_id']}/download?download_token=${bundle['download_token']}`, { 'x-distillery-bundle-token': bundle['download_token'] as string });
    expect(both.status).toBe(403);
  });

  it('answers 410 once the bundle expired', async () => {
    const created = await post('/api/support-bundles', { project_id: 'acme', ttl_seconds: 1 });
    expect(created.status).toBe(201);
    const path = `/api/support-bundles/${created.body['bundle_id']}/download`;
    const headers = { 'x-distillery-bundle-token': created.body['download_token'] as string };
    expect((await download(path, headers)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_200));
    const r = await download(path, headers);
    expect(r.status).toBe(410);
    expect(r.json()['message']).toMatch(/expired/);
  });

  it('answers 404 for an unknown bundle and an unknown scope, 400 naming the bad field', async () => {
    const unknown = await download('/api/support-bundles/01890a5d-ac96-774b-bcce-b302099a8057/download', { 'x-distillery-bundle-token': bundle['download_token'] as string });
    expect(unknown.status).toBe(404);
    expect((await post('/api/support-bundles', { project_id: 'acme', run_id: 'no-such-run' })).status).toBe(404);
    expect((await post('/api/support-bundles', { project_id: 'nobody' })).status).toBe(404);
    const bad = await post('/api/support-bundles', { project_id: 'acme', ttl_seconds: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body['message']).toMatch(/body\.ttl_seconds/);
    const extra = await post('/api/support-bundles', { project_id: 'acme', include_env: true });
    expect(extra.status).toBe(400);
    expect(extra.body['message']).toMatch(/body\.include_env/);
    expect((await post('/api/support-bundles', {})).body['message']).toMatch(/body\.project_id/);
    expect((await download('/api/support-bundles/not-an-id/download')).status).toBe(400);
  });
});
