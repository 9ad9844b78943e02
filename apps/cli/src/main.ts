// `distillery` — one command per stage. Heavy modules load inside each action, after telemetry has started.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '@distillery/config';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import { parseCliConfig, type CliConfig } from './config.js';
import type { ImportFlags } from './commands/import.js';

type ImportCliFlags = ImportFlags & { locator: string };

const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};
const say = (msg: string) => process.stderr.write(`${msg}\n`);

function config(): CliConfig {
  try {
    return parseCliConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      say(err.message);
      process.exit(2);
    }
    throw err;
  }
}

async function withTelemetry<T>(
  service: string,
  cfg: CliConfig,
  fn: (logger: import('@distillery/telemetry').StructuredLogger, telemetry: import('@distillery/telemetry').Telemetry) => Promise<T>,
): Promise<T> {
  const { startProcessTelemetry } = await import('@distillery/platform-nest');
  const { createLogger } = await import('@distillery/telemetry');
  const telemetry = startProcessTelemetry(service, cfg);
  return fn(createLogger(service, cfg.LOG_LEVEL), telemetry);
}

function onSignals(handler: () => Promise<void> | void): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    void Promise.resolve(handler()).finally(() => process.exit(0));
  };
  process.once('SIGINT', run);
  process.once('SIGTERM', run);
}

const program = new Command('distillery')
  .description('Distillery: from messy domain data to a small language model you trust, deployed and watched.')
  .version(DISTILLERY_VERSION)
  .showHelpAfterError();

program
  .command('up')
  .description('run every app in one process (NATS from NATS_URL or started from PATH; embedded PGlite unless DATABASE_URL)')
  .action(async () => {
    const cfg = config();
    await withTelemetry('distillery', cfg, async (logger, telemetry) => {
      const { upCommand } = await import('./commands/up.js');
      const system = await upCommand(cfg, logger, say);
      onSignals(async () => {
        say('stopping…');
        await system.stop();
        await telemetry.shutdown().catch(() => undefined); // the last spans and metrics, before exit
      });
    });
  });

program
  .command('demo')
  .description('start the system, run a demo run end to end, print its timeline, stop (the README main job)')
  .addOption(new Option('--steps <n>', 'steps of the demo run').argParser(intArg('steps', 1, 1000)).default(5))
  .addOption(new Option('--children <n>', 'child runs').argParser(intArg('children', 0, 20)).default(2))
  .option('--fail-child', 'make the last child run fail (to see failures in the timeline)', false)
  .addOption(new Option('--timeout <seconds>', 'give up after').argParser(intArg('timeout', 1, 3600)).default(120))
  .option('--json', 'print the timeline rows as JSON', false)
  .action(async (o: { steps: number; children: number; failChild: boolean; timeout: number; json: boolean }) => {
    // The demo's log pairs with its data dir (artifacts, read models): on a NATS server other workspaces share, a
    // stream of its own per data dir, unless one is configured. Otherwise another checkout's quickstart runs (whose
    // artifacts are not here) would become this one's history — e.g. a champion whose model cannot be loaded.
    if (!process.env['DISTILLERY_STREAM'] && !process.env['DISTILLERY_SUBJECT_PREFIX']) {
      const { createHash } = await import('node:crypto');
      const { resolve } = await import('node:path');
      const tag = createHash('sha256').update(resolve(process.env['DISTILLERY_DATA_DIR'] ?? '.distillery')).digest('hex').slice(0, 10);
      process.env['DISTILLERY_STREAM'] = `QUICKSTART_${tag.toUpperCase()}`;
      process.env['DISTILLERY_SUBJECT_PREFIX'] = `quickstart_${tag}`;
    }
    const cfg = config();
    const code = await withTelemetry('distillery', cfg, async (logger) => {
      const { demoCommand } = await import('./commands/demo.js');
      return demoCommand(cfg, logger, { steps: o.steps, children: o.children, failChild: o.failChild, json: o.json, timeoutMs: o.timeout * 1000 }, say);
    });
    process.exit(code);
  });

program
  .command('serve')
  .description('run one app as its own process')
  .argument('<app>', 'api | projector | mapping | preparation | training | trainer | evaluation | export | deployment | demo-worker')
  .action(async (app: string) => {
    const { runStandalone } = await import('@distillery/platform-nest');
    if (app === 'api') {
      const m = await import('@distillery/app-api');
      await runStandalone('api', m.parseApiConfig, (c, logger) => m.startApi({ config: c, logger }));
    } else if (app === 'projector') {
      const m = await import('@distillery/app-projector');
      await runStandalone('projector', m.parseProjectorConfig, (c, logger) => m.startProjector({ config: c, logger, http: true }));
    } else if (app === 'mapping') {
      const m = await import('@distillery/app-mapping');
      await runStandalone('mapping', m.parseMappingConfig, (c, logger) => m.startMapping({ config: c, logger, http: true }));
    } else if (app === 'preparation') {
      const m = await import('@distillery/app-preparation');
      await runStandalone('preparation', m.parsePreparationConfig, (c, logger) => m.startPreparation({ config: c, logger, http: true }));
    } else if (app === 'training') {
      const m = await import('@distillery/app-training');
      await runStandalone('training', m.parseTrainingConfig, (c, logger) => m.startTraining({ config: c, logger, http: true }));
    } else if (app === 'trainer') {
      const m = await import('@distillery/app-trainer');
      await runStandalone('trainer', m.parseTrainerConfig, (c, logger) => m.startTrainer({ config: c, logger, http: true }));
    } else if (app === 'evaluation') {
      const m = await import('@distillery/app-evaluation');
      await runStandalone('evaluation', m.parseEvaluationConfig, (c, logger) => m.startEvaluation({ config: c, logger, http: true }));
    } else if (app === 'export') {
      const m = await import('@distillery/app-export');
      await runStandalone('export', m.parseExportConfig, (c, logger) => m.startExport({ config: c, logger, http: true }));
    } else if (app === 'deployment') {
      const m = await import('@distillery/app-deployment');
      await runStandalone('deployment', m.parseDeploymentConfig, (c, logger) => m.startDeployment({ config: c, logger, http: true }));
    } else if (app === 'demo-worker') {
      const m = await import('@distillery/app-demo-worker');
      await runStandalone('demo-worker', m.parseDemoWorkerConfig, (c, logger) => m.startDemoWorker({ config: c, logger, http: true }));
    } else {
      say(`unknown app '${app}': expected api, projector, mapping, preparation, training, trainer, evaluation, export, deployment or demo-worker`);
      process.exit(2);
    }
  });

const events = program.command('events').description('read the RunEvent log');
events
  .command('tail')
  .description('print RunEvents from the log and follow new ones')
  .option('--run <run_id>', 'only this run (from its first event)')
  .option('--project <project_id>', 'only this project')
  .addOption(new Option('--from-seq <seq>', 'start at this stream sequence').argParser(intArg('from-seq', 1, Number.MAX_SAFE_INTEGER)))
  .option('--all', 'start at the beginning of the log', false)
  .option('--no-follow', 'stop at the end of the log')
  .option('--json', 'one JSON RunEvent per line', false)
  .action(async (o: { run?: string; project?: string; fromSeq?: number; all: boolean; follow: boolean; json: boolean }) => {
    const cfg = config();
    const { eventsTailCommand } = await import('./commands/events-tail.js');
    const abort = new AbortController();
    onSignals(() => abort.abort());
    await eventsTailCommand(cfg, o, abort.signal);
    process.exit(0);
  });

const collect = (v: string, prev: string[]) => [...prev, v];
const importOptions = (c: Command) =>
  c
    .requiredOption('--locator <locator>', 'source: jsonl:|csv:|tsv:|parquet:|json:|text:|conll:<path>, hf:<id>[:split[:revision]], kaggle:…')
    .option('--project <project_id>', 'project', 'default')
    .option('--mapper <id>', 'mapper id (see `distillery import mappers`)')
    .option('--auto', 'take the best mapping found by introspection (refused below 0.80 confidence)', false)
    .option('--force', 'with --auto: import even below 0.80 confidence', false)
    .option('--map <ROLE=COLUMN>', 'field map entry (repeatable)', collect, [] as string[])
    .option('--map-json <json>', 'field map as JSON: {"text": "sentence", "label": "sentiment"}')
    .option('--drop <reason>', 'hide a rejection reason from samples (repeatable; counts stay)', collect, [] as string[])
    .addOption(new Option('--limit <n>', 'read at most n rows').argParser(intArg('limit', 1, Number.MAX_SAFE_INTEGER)))
    .option('--json', 'machine-readable output', false);

const importCmd = program.command('import').description('bring a dataset in: sources, mappers, introspect, dry-run, run');
const api = async () => {
  const { ApiClient } = await import('./api-client.js');
  const { cliApiKey } = await import('./local-key.js');
  return new ApiClient(config().DISTILLERY_API_URL, cliApiKey(config().DISTILLERY_DATA_DIR));
};
importCmd
  .command('sources')
  .description('list source locator prefixes')
  .option('--json', 'JSON', false)
  .action(async (o: { json: boolean }) => (await import('./commands/import.js')).importSources(await api(), o.json));
importCmd
  .command('mappers')
  .description('list mappers with their task profiles and roles')
  .option('--json', 'JSON', false)
  .action(async (o: { json: boolean }) => (await import('./commands/import.js')).importMappers(await api(), o.json));
importOptions(importCmd.command('introspect').description('read ~20 rows: column types and ranked mapping hypotheses (writes nothing)')).action(
  async (o: ImportCliFlags) => (await import('./commands/import.js')).importIntrospect(await api(), o),
);
importOptions(importCmd.command('dry-run').description('map every row and show accepted samples and every rejection reason (writes nothing)')).action(
  async (o: ImportCliFlags) => (await import('./commands/import.js')).importDryRun(await api(), o),
);
importOptions(importCmd.command('run').description('import: append accepted rows to the project dataset, keep rejected rows with reasons'))
  .option('--save-as <name>', 'save this mapping under a name for re-runs')
  .action(async (o: ImportCliFlags) => process.exit(await (await import('./commands/import.js')).importRun(await api(), o)));

const mappingsCmd = program.command('mappings').description('saved mappings');
mappingsCmd
  .command('list')
  .option('--project <project_id>', 'project', 'default')
  .option('--json', 'JSON', false)
  .action(async (o: { project: string; json: boolean }) => (await import('./commands/import.js')).mappingsList(await api(), o.project, o.json));
mappingsCmd
  .command('rerun')
  .argument('<name_or_id>')
  .option('--project <project_id>', 'project', 'default')
  .option('--json', 'JSON', false)
  .action(async (id: string, o: { project: string; json: boolean }) => process.exit(await (await import('./commands/import.js')).mappingsRerun(await api(), o.project, id, o.json)));

program
  .command('clean')
  .description('clean the project dataset in the background: PII, quality, exact and near dedup, outliers (progress shown)')
  .option('--project <project_id>', 'project', 'default')
  .addOption(new Option('--pii <action>', 'what to do with PII found').choices(['redact', 'mask', 'keep', 'block']))
  .option('--policy-json <json>', 'the whole cleaning policy as JSON, e.g. {"pii": {"action": "mask", "per_kind": {"email": "keep"}}}')
  .option('--no-near-dedup', 'exact dedup only (no MinHash near-duplicate detection)')
  .addOption(new Option('--outliers <action>', 'drop outlier rows or only flag them').choices(['drop', 'flag']))
  .option('--json', 'machine-readable output', false)
  .action(async (o: { project: string; pii?: string; policyJson?: string; nearDedup: boolean; outliers?: string; json: boolean }) =>
    process.exit(await (await import('./commands/datasets.js')).cleanCommand(await api(), o)),
  );

program
  .command('prepare')
  .description('split the cleaned dataset into train / eval / gold, check leakage, write prepared/manifest.json')
  .option('--project <project_id>', 'project', 'default')
  .addOption(new Option('--strategy <kind>', 'split strategy (default: stratified by label for labelled tasks, else random)').choices(['random', 'stratified', 'group_disjoint']))
  .option('--field <field>', 'the record field to stratify or group by')
  .addOption(new Option('--seed <n>', 'split seed (default 42)').argParser(intArg('seed', 0, 2 ** 31 - 1)))
  .option('--ratios <train,eval,gold>', 'split ratios (default 0.8,0.1,0.1)')
  .addOption(new Option('--leakage-max-share <share>', 'largest share of eval/gold rows that may repeat a train row (default 0.01)').argParser(Number))
  .option('--json', 'machine-readable output', false)
  .action(async (o: { project: string; strategy?: string; field?: string; seed?: number; ratios?: string; leakageMaxShare?: number; json: boolean }) =>
    process.exit(await (await import('./commands/datasets.js')).prepareCommand(await api(), o)),
  );

const train = program.command('train').description('train a model on the prepared dataset (autopilot or a recipe), with a live progress bar and the loss curve');
train
  .option('--project <project_id>', 'project', 'default')
  .option('--autopilot', 'let autopilot choose the recipe from the dataset and this machine (default without --recipe)', false)
  .option('--recipe <file>', 'a recipe (YAML or JSON): recipe_version, base_model, method, lora, optim, batch, …')
  .option('--base-model <locator>', 'file:<dir> or hf:<id>[@revision] (default: the tiny model of `distillery models make-tiny`)')
  .option('--fail-open', 'let preflight blockers through as warnings', false)
  .option('--json', 'machine-readable output', false)
  .action(async (o: { project: string; autopilot: boolean; recipe?: string; baseModel?: string; failOpen: boolean; json: boolean }) =>
    process.exit(await (await import('./commands/train.js')).trainCommand(await api(), o)),
  );
train
  .command('cancel')
  .argument('<run_id>')
  .option('--project <project_id>', 'project', 'default')
  .action(async (runId: string, o: { project: string }) => process.exit(await (await import('./commands/train.js')).trainCancel(await api(), o.project, runId)));

const evalCmd = program
  .command('eval')
  .description('evaluate a trained model on the gold set against its base model: metrics with intervals, the lift, the eval pack gates')
  .option('--project <project_id>', 'project', 'default')
  .option('--run <training_run_id>', 'the training run (default: the latest completed)')
  .option('--pack <file>', 'an eval pack (YAML): metrics and gates (default: the task profile’s default pack)')
  .option('--split <split>', 'gold (default) or eval')
  .option('--max-rows <n>', 'rows to evaluate', (v) => Number.parseInt(v, 10))
  .option('--no-base', 'skip the base model (no lift)')
  .option('--slot <slot>', 'the deployment slot whose live version is the champion to compare with (default: default)')
  .option('--safety', 'also run the built-in safety suite: refusal / compliance pass rates per attack category', false)
  .option('--json', 'machine-readable output', false)
  .action(async (o: { project: string; run?: string; pack?: string; split?: 'gold' | 'eval'; maxRows?: number; base: boolean; slot?: string; safety: boolean; json: boolean }) =>
    process.exit(await (await import('./commands/eval.js')).evalCommand(await api(), o)),
  );
evalCmd
  .command('show')
  .description('show the per-row predictions of an evaluation: gold, prediction, base model (--wrong: only the wrong rows; --project, --json as for eval)')
  .argument('<eval_run_id>')
  .option('--wrong', 'only the rows the model got wrong', false)
  .option('--limit <n>', 'rows to show', intArg('--limit', 1, 100_000), 20)
  // --project and --json are eval's own options (commander hands them to the parent command wherever they stand).
  .action(async (runId: string, _o: unknown, cmd: Command) =>
    process.exit(await (await import('./commands/eval.js')).evalShowCommand(await api(), runId, cmd.optsWithGlobals<{ project: string; wrong: boolean; limit: number; json: boolean }>())),
  );

program
  .command('export')
  .description('export a trained model (hf, peft, onnx, gguf) as a bundle with a manifest, checked by a smoke and a parity run')
  .requiredOption('--format <format>', 'hf | peft | onnx | gguf')
  .option('--quant <type>', 'gguf: f32 | f16 (default) | q8_0 | q4_0 | q4_k_m')
  .option('--project <project_id>', 'project', 'default')
  .option('--run <training_run_id>', 'the training run (default: the latest completed)')
  .option('--out <dir>', 'also write the bundle into this folder')
  .option('--json', 'machine-readable output', false)
  .action(async (o: { format: string; quant?: string; project: string; run?: string; out?: string; json: boolean }) =>
    process.exit(await (await import('./commands/export.js')).exportCommand(await api(), config(), o)),
  );

const deploy = program
  .command('deploy')
  .description('deploy a trained model to a slot: a version with its eval, smoke and parity checks (promote with --promote)')
  .option('--project <project_id>', 'project', 'default')
  .option('--run <training_run_id>', 'the training run (default: the latest completed)')
  .option('--slot <slot>', 'deployment slot', 'default')
  .option('--target <target>', 'runner (built in) | vllm | llama-cpp | ollama', 'runner')
  .option('--endpoint <url>', 'the OpenAI-compatible endpoint of an external target')
  .option('--promote', 'promote the new version when its checks pass', false)
  .option('--json', 'machine-readable output', false)
  .action(async (o: { project: string; run?: string; slot: string; target: string; endpoint?: string; promote: boolean; json: boolean }) =>
    process.exit(await (await import('./commands/deploy.js')).deployCommand(await api(), o)),
  );
for (const action of ['promote', 'reject', 'rollback', 'drift-check'] as const) {
  const c = deploy.command(action).argument('<slot>').option('--project <project_id>', 'project', 'default').option('--json', 'machine-readable output', false);
  if (action === 'promote' || action === 'reject') c.requiredOption('--version <n>', 'the version', (v) => Number.parseInt(v, 10));
  if (action === 'reject') c.requiredOption('--reason <text>', 'why');
  if (action === 'rollback') c.option('--reason <text>', 'why');
  c.description(
    { promote: 'make a version live (refused unless its eval, smoke and parity checks passed)', reject: 'reject a pending version', rollback: 're-promote the previous live version', 'drift-check': 're-run the gold set against the live endpoint and compare recent inputs with the training data' }[action],
  ).action(async (slot: string, o: { project: string; json: boolean; version?: number; reason?: string }) =>
    process.exit(
      await (await import('./commands/deploy.js')).slotCommand(await api(), o.project, slot, action, { ...(o.version !== undefined ? { version: o.version } : {}), ...(o.reason ? { reason: o.reason } : {}) }, o.json),
    ),
  );
}
deploy
  .command('status')
  .argument('<slot>')
  .option('--project <project_id>', 'project', 'default')
  .option('--json', 'machine-readable output', false)
  .action(async (slot: string, o: { project: string; json: boolean }) => process.exit(await (await import('./commands/deploy.js')).slotStatus(await api(), o.project, slot, o.json)));

program
  .command('models')
  .description('base models')
  .command('make-tiny')
  .description('make the tiny base model the demo uses: a BPE tokenizer and a small Llama pre-trained on a bundled public-domain book')
  .option('--out <dir>', 'where to write it (default: <data dir>/models/tiny)')
  .addOption(new Option('--steps <n>', 'pre-training steps').argParser(intArg('steps', 1, 100_000)).default(300))
  .addOption(new Option('--seed <n>', 'seed').argParser(intArg('seed', 0, 2 ** 31 - 1)).default(42))
  .option('--force', 'rebuild even when a model made with the same settings is there', false)
  .action(async (o: { out?: string; steps: number; seed: number; force: boolean }) => {
    const { makeTinyCommand } = await import('./commands/models.js');
    process.exit(await makeTinyCommand(config(), o));
  });

program
  .command('rows')
  .description('row lineage')
  .command('explain')
  .description("a row's whole history: source and position, mapper outcome, cleaning findings, dedup cluster, split")
  .argument('<row_id>', 'a row id, or a unique prefix of at least 8 hex digits')
  .option('--project <project_id>', 'project', 'default')
  .option('--json', 'JSON', false)
  .action(async (rowId: string, o: { project: string; json: boolean }) => process.exit(await (await import('./commands/datasets.js')).rowsExplain(await api(), o.project, rowId, o.json)));

program
  .command('journal')
  .description('the lab journal: XP, levels and achievements of a project, earned from its events')
  .option('--project <project_id>', 'project', 'default')
  .option('--json', 'JSON', false)
  .action(async (o: { project: string; json: boolean }) => process.exit(await (await import('./commands/journal.js')).journalCommand(await api(), o)));

const keys = program.command('keys').description('API keys (admin): create one shown once, list them, revoke one');
keys
  .command('create')
  .description('create an API key for a person or a service, with roles per project (the key is printed once)')
  .argument('<name>', 'who uses it: their events read user:<name>')
  .option('--role <project=role>', 'a grant: <project id or *>=<viewer|engineer|admin> (repeatable)', collect, [] as string[])
  .option('--json', 'JSON', false)
  .action(async (name: string, o: { role: string[]; json: boolean }) => process.exit(await (await import('./commands/keys.js')).keysCreate(await api(), name, o)));
keys
  .command('list')
  .description('every API key: name, roles, created by, last used, revoked (never the key)')
  .option('--json', 'JSON', false)
  .action(async (o: { json: boolean }) => process.exit(await (await import('./commands/keys.js')).keysList(await api(), o)));
keys
  .command('revoke')
  .description('revoke an API key now')
  .argument('<key_id>', 'the 12 hex digits after dk_')
  .option('--json', 'JSON', false)
  .action(async (keyId: string, o: { json: boolean }) => process.exit(await (await import('./commands/keys.js')).keysRevoke(await api(), keyId, o)));

const audit = program.command('audit').description('the audit explorer: query any RunEvents, export them, and see a run or a deployment slot as it stood at a past time');
audit
  .command('events')
  .description('events matching the filters, in log order (--jsonl: every match as JSON Lines, for files and jq)')
  .option('--project <project_id>', 'only this project')
  .option('--run <run_id>', 'only this run')
  .option('--subtree <run_id>', 'this run and all its descendants')
  .option('--stage <stage>', 'only these stages (comma-separated)')
  .option('--severity <severity>', 'only these severities (info, warning, error, critical; comma-separated)')
  .option('--code <reason_code>', 'only these reason codes (comma-separated)')
  .option('--actor <actor>', "only these actors (e.g. user:alice, service:training; comma-separated)")
  .option('--text <text>', 'free text in the summary (case-insensitive)')
  .option('--since <time>', 'from this time: an ISO date or time, or a span back from now (30m, 24h, 7d, 2w)')
  .option('--until <time>', 'before this time (same forms as --since)')
  .addOption(new Option('--limit <n>', 'show at most n events (the table; --jsonl exports all)').argParser(intArg('limit', 1, 100_000)).default(100))
  .option('--jsonl', 'every matching event as JSON Lines on stdout', false)
  .action(async (o: { project?: string; run?: string; subtree?: string; stage?: string; severity?: string; code?: string; actor?: string; text?: string; since?: string; until?: string; limit: number; jsonl: boolean }) =>
    process.exit(await (await import('./commands/audit.js')).auditEvents(await api(), o)),
  );
audit
  .command('run')
  .description('a run as it stands, or (--at) as it stood at a past time: events, severities, latest event, child runs')
  .argument('<run_id>')
  .option('--project <project_id>', 'the run’s project (needed when the id is used in several)')
  .option('--at <time>', 'time travel: an ISO date or time, or a span back from now (30m, 24h, 7d)')
  .option('--json', 'JSON', false)
  .action(async (runId: string, o: { project?: string; at?: string; json: boolean }) => process.exit(await (await import('./commands/audit.js')).auditRun(await api(), runId, o)));
audit
  .command('slot')
  .description('a deployment slot as it stands, or (--at) as it stood at a past time: what was live, the promotion history')
  .argument('<slot>')
  .option('--project <project_id>', 'project', 'default')
  .option('--at <time>', 'time travel: an ISO date or time, or a span back from now (30m, 24h, 7d)')
  .option('--json', 'JSON', false)
  .action(async (slot: string, o: { project: string; at?: string; json: boolean }) => process.exit(await (await import('./commands/audit.js')).auditSlot(await api(), slot, o)));

const failures = program.command('failures').description('failure clusters: error and critical events grouped by stage, reason code and normalised summary, with known fixes');
failures
  .command('list')
  .description('failure clusters, newest last seen first: events, affected runs, signature')
  .option('--project <project_id>', 'only this project (default: all)')
  .option('--stage <stage>', 'only this stage (ingestion, cleaning, preparation, training, eval, export, deployment, system, demo)')
  .option('--code <reason_code>', 'only this reason code (e.g. training_oom)')
  .option('--since <time>', 'seen since: an ISO date or time, or a span back from now (30m, 24h, 7d, 2w)')
  .option('--until <time>', 'first seen before this time (same forms as --since)')
  .addOption(new Option('--limit <n>', 'show at most n clusters').argParser(intArg('limit', 1, 10_000)).default(20))
  .option('--json', 'JSON', false)
  .action(async (o: { project?: string; stage?: string; code?: string; since?: string; until?: string; limit: number; json: boolean }) =>
    process.exit(await (await import('./commands/failures.js')).failuresList(await api(), o)),
  );
failures
  .command('show')
  .description('one cluster: counts, affected runs, newest events and the known fix')
  .argument('<id>', 'a cluster id, or a unique prefix of at least 8 hex digits')
  .option('--json', 'JSON', false)
  .action(async (id: string, o: { json: boolean }) => process.exit(await (await import('./commands/failures.js')).failuresShow(await api(), id, o.json)));

program
  .command('support-bundle')
  .description('support bundles: a redacted ZIP of a project or run (events, runs, recipes, manifests, failures, deployments, exports)')
  .command('create')
  .description('create a redacted support bundle, download it (token in a header) and print its manifest summary')
  .option('--project <project_id>', 'project', 'default')
  .option('--run <run_id>', 'only this run and its descendants (default: the whole project)')
  .option('--out <file.zip>', 'where to write the bundle (default: distillery-support-<project>-<id>.zip here)')
  .addOption(new Option('--ttl <seconds>', 'how long the download token works').argParser(intArg('ttl', 1, 30 * 24 * 3600)))
  .option('--json', 'machine-readable output', false)
  .action(async (o: { project: string; run?: string; out?: string; ttl?: number; json: boolean }) =>
    process.exit(await (await import('./commands/support-bundle.js')).supportBundleCreate(await api(), o)),
  );

program
  .command('timeline')
  .description('show a run and its descendants from the timeline projection (via the API)')
  .argument('<run_id>')
  .option('--project <project_id>', 'disambiguate the run by project')
  .option('--json', 'print rows as JSON', false)
  .action(async (runId: string, o: { project?: string; json: boolean }) => {
    const cfg = config();
    const { ApiClient } = await import('./api-client.js');
    const { renderTimelineTree } = await import('./render.js');
    const rows = await new ApiClient(cfg.DISTILLERY_API_URL, (await import('./local-key.js')).cliApiKey(cfg.DISTILLERY_DATA_DIR)).timelineTree(runId, o.project);
    if (rows.length === 0) {
      say(`no run '${runId}' in the timeline`);
      process.exit(1);
    }
    process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : `${renderTimelineTree(rows)}\n`);
  });

program
  .command('topology')
  .description('manage the JetStream topology (streams, durable consumers)')
  .command('apply')
  .description('create or update the RunEvent stream and every durable consumer')
  .option('--json', 'print the report as JSON', false)
  .action(async (o: { json: boolean }) => {
    const cfg = config();
    const { EventLog } = await import('@distillery/eventlog');
    const { topologyFromConfig } = await import('@distillery/platform-nest');
    const log = await EventLog.connect({ url: cfg.NATS_URL, name: 'distillery-cli-topology', topology: topologyFromConfig(cfg) });
    try {
      const report = await log.applyTopology();
      if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        say(`stream ${report.stream.name}: ${report.stream.action}`);
        for (const c of report.consumers) say(`  consumer ${c.durable}: ${c.action}`);
      }
    } finally {
      await log.close();
    }
  });

program
  .command('projections')
  .description('manage read models')
  .command('rebuild')
  .description('replay the log from sequence 0 into a new projection version and switch over: timeline | run_events | imports | data_tasks | row_lineage')
  .argument('<name>')
  .option('--json', 'print the result as JSON', false)
  .action(async (name: string, o: { json: boolean }) => {
    const cfg = config();
    const { rebuildCommand } = await import('./commands/projections.js');
    const r = await rebuildCommand(cfg, name, o.json);
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else say(`${name}: v${r.fromVersion} → v${r.toVersion}, ${r.events} events in ${r.durationMs} ms (${Math.round(r.events / Math.max(r.durationMs / 1000, 0.001))} events/s)`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  say(`distillery: ${(err as Error).message}`);
  process.exit(1);
}
