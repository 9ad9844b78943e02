/**
 * The CLI as a user runs it: `distillery demo` (the README main job) end to end on embedded PGlite, then the
 * read commands against the log, and a bad configuration stopping an app with a message naming the variable.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, buildTopology } from '@distillery/eventlog';
import { builtEntry, freePort, natsService, repoRoot, spawnNode, uniqueName, waitFor, type ServiceHandle } from '@distillery/testing';

describe('distillery CLI', () => {
  let nats: ServiceHandle;
  const env: Record<string, string> = {};
  const bin = join(repoRoot, 'bin', 'distillery.mjs');
  let total = 0;

  beforeAll(async () => {
    nats = await natsService();
    Object.assign(env, {
      NATS_URL: nats.url,
      DISTILLERY_STREAM: uniqueName('CLI').toUpperCase(),
      DISTILLERY_SUBJECT_PREFIX: uniqueName('cli'),
      DISTILLERY_DATA_DIR: mkdtempSync(join(tmpdir(), 'distillery-cli-')),
      PORT: '0',
      LOG_LEVEL: 'warn',
      DEMO_STEP_DELAY_MS: '20',
      NO_COLOR: '1',
    });
    builtEntry('apps/cli/src/main.js');
  });

  afterAll(async () => {
    const log = await EventLog.connect({ url: nats.url, name: 'cli-test-cleanup', topology: buildTopology({ streamName: env['DISTILLERY_STREAM'] }) });
    await log.jsm.streams.delete(env['DISTILLERY_STREAM']!).catch(() => undefined);
    await log.close();
    await nats.stop();
  });

  it('`distillery demo` runs a demo run end to end on embedded PGlite and prints its timeline', async () => {
    const p = spawnNode(bin, ['demo', '--steps', '3', '--children', '2', '--fail-child'], env);
    const code = await p.exited;
    const out = p.output();
    expect([code, out.slice(-2_000)]).toEqual([0, expect.any(String)]);
    expect(out).toMatch(/topology: stream CLI_\w+ created/);
    expect(out).toMatch(/database: pglite/);
    expect(out).toMatch(/\[#{30}\] 3\/3 completed/);
    expect(out).toMatch(/✓ demo-\w+ {2}demo_run_completed {2}6 events/);
    expect(out).toMatch(/├─ ✓ demo-\w+-child-1 {2}demo_run_completed/);
    expect(out).toMatch(/└─ ✗ demo-\w+-child-2 {2}demo_run_failed {2}3 events \(2 info, 1 error\)/);
    expect(out).toMatch(/demo finished in .*: 3 runs, 13 events/);
    // The data path of the quickstart: the bundled UCI sentences imported with --auto.
    expect(out).toMatch(/introspection: label_to_classification \(confidence 0\.9\d\)/);
    expect(out).toMatch(/imported into ds-quickstart: 500 read = 500 accepted \(500 new, 0 already there\) \+ 0 rejected/);
  });

  it('`events tail` reads the log and `topology apply` is idempotent', async () => {
    const tail = spawnNode(bin, ['events', 'tail', '--all', '--no-follow', '--project', 'demo', '--json'], env);
    expect(await tail.exited).toBe(0);
    const lines = tail
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { seq: number; reason_code: string });
    expect(lines).toHaveLength(13);
    expect(lines[0]!.reason_code).toBe('demo_run_requested');
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
    const everything = spawnNode(bin, ['events', 'tail', '--all', '--no-follow', '--json'], env);
    expect(await everything.exited).toBe(0);
    const all = everything.output().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { seq: number; reason_code: string });
    expect(all.map((e) => e.reason_code)).toEqual(expect.arrayContaining(['dataset_import_requested', 'mapping_saved', 'dataset_import_run']));
    total = all.length;

    const apply = spawnNode(bin, ['topology', 'apply', '--json'], env);
    expect(await apply.exited).toBe(0);
    const report = JSON.parse(apply.output().trim().split('\n').pop()!) as { stream: { action: string }; consumers: unknown[] };
    expect(report.stream.action).toBe('unchanged');
    expect(report.consumers).toEqual([
      { durable: 'demo-worker--demo_run_requested', action: 'updated' },
      { durable: 'mapping--dataset_import_requested', action: 'updated' },
    ]);
  });

  it('`projections rebuild timeline` replays the log into a new version and records it', async () => {
    const p = spawnNode(bin, ['projections', 'rebuild', 'timeline', '--json'], env);
    expect(await p.exited).toBe(0);
    const result = JSON.parse(p.output().trim().split('\n').pop()!) as { fromVersion: number; toVersion: number; events: number };
    expect(result).toMatchObject({ fromVersion: 1, toVersion: 2, events: total });
    const bad = spawnNode(bin, ['projections', 'rebuild', 'nope'], env);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/unknown projection 'nope'; known: timeline, run_events/);
  });

  it('an app with a bad configuration stops with a message naming the variable, and records it', async () => {
    const p = spawnNode(builtEntry('apps/api/src/main.js'), [], { ...env, PORT: 'eighty', LOG_LEVEL: 'chatty' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/api: invalid configuration: .*PORT: expected a port from 0 to 65535, got "eighty"/);
    expect(p.output()).toMatch(/LOG_LEVEL: expected one of debug, info, warn, error, got "chatty"/);
    const tail = spawnNode(bin, ['events', 'tail', '--run', 'config-api', '--no-follow', '--json'], env);
    expect(await tail.exited).toBe(0);
    const ev = JSON.parse(tail.output().trim().split('\n').pop()!) as { reason_code: string; severity: string; payload: { issues: string[] } };
    expect(ev).toMatchObject({ reason_code: 'system_config_invalid', severity: 'critical' });
    expect(ev.payload.issues.join()).toMatch(/PORT/);
  });

  it('imports as a new user would: up, then introspect, dry-run, run, mappings list and rerun', async () => {
    const port = String(await freePort());
    const upEnv = { ...env, PORT: port, DISTILLERY_API_URL: `http://127.0.0.1:${port}`, DISTILLERY_DATA_ROOTS: join(repoRoot, 'examples', 'datasets') };
    const up = spawnNode(bin, ['up'], upEnv);
    try {
      await waitFor('api up', async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, { timeoutMs: 60_000 });
      const locator = 'tsv:uci-sentiment/amazon_cells_labelled.txt?header=false';
      const run = async (...args: string[]) => {
        const p = spawnNode(bin, args, upEnv);
        return { code: await p.exited, out: p.output() };
      };
      const intro = await run('import', 'introspect', '--project', 'shop', '--locator', locator);
      expect(intro.code).toBe(0);
      expect(intro.out).toMatch(/column_1 +text/);
      expect(intro.out).toMatch(/0\.9\d +label_to_classification/);
      expect(intro.out).toMatch(/--auto would import with the first hypothesis/);
      const dry = await run('import', 'dry-run', '--project', 'shop', '--locator', locator, '--mapper', 'label_to_classification', '--map', 'text=column_1', '--map', 'label=column_2');
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(/read 500: 500 accepted, 0 rejected/);
      const imp = await run('import', 'run', '--project', 'shop', '--locator', locator, '--auto', '--save-as', 'amazon');
      expect(imp.code).toBe(0);
      expect(imp.out).toMatch(/imported into ds-shop: 500 read = 500 accepted \(500 new, 0 already there\) \+ 0 rejected/);
      const list = await run('mappings', 'list', '--project', 'shop');
      expect(list.out).toMatch(/amazon +map-\w+ +label_to_classification/);
      const again = await run('mappings', 'rerun', 'amazon', '--project', 'shop');
      expect(again.code).toBe(0);
      expect(again.out).toMatch(/500 accepted \(0 new, 500 already there\)/);
      // A language-modeling import into a classification project fails as an event, and the CLI says why.
      const other = await run('import', 'run', '--project', 'shop', '--locator', 'text:uci-sentiment/readme.txt', '--mapper', 'text_only', '--map', 'text=text');
      expect(other.code).toBe(1);
      expect(other.out).toMatch(/import failed \(ingest_validation_failed\): .*holds a classification dataset/);
    } finally {
      expect(await up.kill('SIGTERM')).toBe(0);
    }
  });

  it('.ci/run ends with the README test command, verbatim', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const ci = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8').trim().split('\n');
    const commands = [...readme.matchAll(/```(?:bash|sh)\n([^\n]+)\n```/g)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    expect(ci[ci.length - 1]).toBe(commands[1]);
  });
});
