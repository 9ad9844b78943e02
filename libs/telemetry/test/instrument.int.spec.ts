import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { transformFile } from '@swc/core';
import { postgresService, type ServiceHandle } from '@distillery/testing';
import { readSpanFile } from '../src/index.js';

/**
 * `instrument: true` in a real ESM process (not Jest's module sandbox): the http and pg instrumentations only patch
 * modules imported after startTelemetry, through the import-in-the-middle loader hook. The lib is compiled with SWC
 * into a temp dir (node_modules linked) and run with plain `node`; spans come back through a FileSpanExporter.
 */
const libRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(libRoot, '..', '..');

const probe = `
import { FileSpanExporter, startTelemetry } from './index.js';
const t = startTelemetry({
  serviceName: 'instrument-probe', serviceVersion: '0.0.1', instrument: true,
  spanExporter: new FileSpanExporter(process.env.SPAN_FILE),
});
const http = await import('node:http');
const pg = (await import('pg')).default;
const server = http.createServer((_req, res) => res.end('ok'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
await new Promise((r, j) => http.get('http://127.0.0.1:' + server.address().port + '/probe', (res) => { res.resume(); res.on('end', r); }).on('error', j));
server.close();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
await pool.query('select 1 as one');
await pool.end();
await t.shutdown();
`;

describe('startTelemetry({ instrument: true }) in an ESM process', () => {
  let pgService: ServiceHandle;
  let dir: string;

  beforeAll(async () => {
    pgService = await postgresService();
    dir = await mkdtemp(join(tmpdir(), 'telemetry-instrument-'));
    await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    for (const f of await readdir(join(libRoot, 'src'))) {
      if (!f.endsWith('.ts')) continue;
      const { code } = await transformFile(join(libRoot, 'src', f), {
        jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
        module: { type: 'es6' },
      });
      await writeFile(join(dir, f.replace(/\.ts$/, '.js')), code);
    }
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'probe.js'), probe);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await pgService.stop();
  });

  it('records http server and client spans (one trace, propagated by traceparent) and pg query spans', async () => {
    const spanFile = join(dir, 'out', 'spans.jsonl');
    await promisify(execFile)(process.execPath, ['probe.js'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', SPAN_FILE: spanFile, DATABASE_URL: pgService.url },
      timeout: 30_000,
    });
    const spans = await readSpanFile(spanFile);
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['instrument-probe']));

    const client = spans.find((s) => s.kind === 'CLIENT' && s.attributes['url.full'] !== undefined);
    const server = spans.find((s) => s.kind === 'SERVER' && s.attributes['url.path'] === '/probe');
    expect(client?.attributes['http.request.method']).toBe('GET');
    expect(server?.traceId).toBe(client?.traceId);
    expect(server?.parentSpanId).toBe(client?.spanId);

    const query = spans.find((s) => s.name.startsWith('pg.query'));
    expect(query?.kind).toBe('CLIENT');
    expect(query?.attributes['db.query.text']).toBe('select 1 as one');
  });
});
