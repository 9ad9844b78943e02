/**
 * The CLI as a user runs it: `distillery demo` (the README main job) end to end on embedded PGlite, then the
 * read commands against the log, and a bad configuration stopping an app with a message naming the variable.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { EventLog, SERVICE_CONSUMERS, buildTopology, durableName } from '@distillery/eventlog';
import { builtEntry, freePort, natsService, repoRoot, spawnNode, uniqueName, waitFor, type ServiceHandle } from '@distillery/testing';
import { readLocalKey } from '../src/local-key.js';

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
    // …then cleaned and prepared: the manifest summary, the prepare task's timeline, and the manifest on disk.
    expect(out).toMatch(/cleaned: 500 rows in = \d+ kept \+ \d+ removed/);
    expect(out).toMatch(/prepared classification dataset — split stratified by label, seed 42/);
    expect(out).toMatch(/^ +train +\d+ █+$/m);
    expect(out).toMatch(/✓ prepare-\w+ {2}dataset_prepared/);
    const manifest = JSON.parse(readFileSync(join(env['DISTILLERY_DATA_DIR']!, 'projects', 'quickstart', 'prepared', 'manifest.json'), 'utf8')) as { counts: Record<string, number>; label_set: string[] };
    expect(manifest.label_set).toEqual(['0', '1']);
    expect(manifest.counts['train']! + manifest.counts['eval']! + manifest.counts['gold']! + manifest.counts['dropped']!).toBe(500);
    // …then trained: the tiny base model made by the project's own code, LoRA by autopilot, the loss curve drawn.
    expect(out).toMatch(/base model: .*models\/tiny \([\d,]+ parameters, made in/);
    expect(out).toMatch(/preflight ok dry_run: one step on real rows: loss \d+\.\d+/);
    expect(out).toMatch(/trained lora · \d+ steps in .* · loss \d+\.\d+ · eval loss \d+\.\d+/);
    expect(out).toMatch(/step 1 … \d+ +• loss/);
    expect(out).toMatch(/✓ train-\w+ {2}training_completed/);
  }, 240_000);

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
    // Every service consumer of the topology, in order, each found and brought up to date.
    expect(report.consumers).toEqual(SERVICE_CONSUMERS.map((c) => ({ durable: durableName(c.service, c.reasonCode), action: 'updated' })));
    expect(report.consumers).toContainEqual({ durable: 'trainer--training_dispatched', action: 'updated' });
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

      // Clean (masking PII) and prepare with a chosen seed and ratios; both poll their task to the end.
      const clean = await run('clean', '--project', 'shop', '--pii', 'mask');
      expect(clean.code).toBe(0);
      const cleaned = /cleaned: 500 rows in = (\d+) kept \+ (\d+) removed/.exec(clean.out);
      expect(cleaned).not.toBeNull();
      expect(Number(cleaned![1]) + Number(cleaned![2])).toBe(500);
      expect(clean.out).toMatch(/PII \(mask\)/);
      const prep = await run('prepare', '--project', 'shop', '--seed', '7', '--ratios', '0.7,0.2,0.1');
      expect(prep.code).toBe(0);
      expect(prep.out).toMatch(/prepared classification dataset — split stratified by label, seed 7/);
      const counts = Object.fromEntries([...prep.out.matchAll(/^ +(train|eval|gold|dropped) +(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
      expect(counts['train']! + counts['eval']! + counts['gold']!).toBe(Number(cleaned![1]));
      expect(counts['dropped']).toBe(Number(cleaned![2]));
      const badRatios = await run('prepare', '--project', 'shop', '--ratios', '0.7,0.2');
      expect(badRatios.code).toBe(1);
      expect(badRatios.out).toMatch(/--ratios 0\.7,0\.2: expected three numbers/);

      // Row lineage of the first gold row, by an 8-digit prefix of its id.
      // The API wants a key (secure by default): `up` made the local admin key in the data folder, as the CLI uses it.
      const key = readLocalKey(env['DISTILLERY_DATA_DIR']!);
      expect(key).toMatch(/^dkl_/);
      expect((await fetch(`http://127.0.0.1:${port}/api/projects/shop/prepared`)).status).toBe(401);
      const prepared = (await (await fetch(`http://127.0.0.1:${port}/api/projects/shop/prepared`, { headers: { authorization: `Bearer ${key}` } })).json()) as { artifacts: { gold: { uri: string } } };
      const store = new FileArtifactStore(join(env['DISTILLERY_DATA_DIR']!, 'artifacts'));
      let gold: { row_id: string; source: { position: number } } | undefined;
      for await (const r of store.readJsonl<{ row_id: string; source: { position: number } }>(prepared.artifacts.gold)) {
        gold = r;
        break;
      }
      const explain = await run('rows', 'explain', gold!.row_id.slice(0, 8), '--project', 'shop');
      expect(explain.code).toBe(0);
      expect(explain.out).toContain(`row ${gold!.row_id}`);
      expect(explain.out).toMatch(/mapping +accepted/);
      expect(explain.out).toContain(`source ${locator} record #${gold!.source.position} via label_to_classification`);
      expect(explain.out).toMatch(/cleaning +kept/);
      expect(explain.out).toMatch(/quality \d\.\d\d, language \w+/);
      expect(explain.out).toMatch(/preparation +gold/);
      const unknown = await run('rows', 'explain', 'ffffffffffff', '--project', 'shop');
      expect(unknown.code).toBe(1);
      expect(unknown.out).toMatch(/404 no row 'ffffffffffff' in project 'shop'/);
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
