import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { classificationPrompt } from '@distillery/tasks';
import { flushTelemetry, type StructuredLogger } from '@distillery/telemetry';
import { ApiClient } from '../api-client.js';
import { cleanCommand, prepareCommand } from './datasets.js';
import { makeTiny } from './models.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { chatCommand, deployCommand } from './deploy.js';
import { trainCommand } from './train.js';
import { followImport } from './import.js';
import type { CliConfig } from '../config.js';
import { color, formatDuration, ProgressBar, renderTimelineTree } from '../render.js';
import { startSystem } from '../system.js';

const out = (m: string): void => void process.stdout.write(`${m}\n`);

async function waitFor(timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting after ${formatDuration(timeoutMs)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The dataset bundled with the repository (examples/datasets), found from this file's location in dist/ or src/. */
export const EXAMPLES_DIR = resolve(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'examples', 'datasets'));
const EXAMPLES_DIR_FROM_SRC = resolve(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'examples', 'datasets'));
/** The repository's examples/ folder (datasets and corpora), from dist/ or src/. */
export const EXAMPLES_ROOT = (): string => dirname(import.meta.url.includes('/dist/') ? EXAMPLES_DIR : EXAMPLES_DIR_FROM_SRC);

export interface DemoOptions {
  readonly steps: number;
  readonly children: number;
  readonly failChild: boolean;
  readonly json: boolean;
  readonly timeoutMs: number;
}

/**
 * The main job for now: start the system, request a demo run over HTTP, watch its events arrive live (SSE), wait
 * until the timeline projection shows it finished, print the timeline, and shut everything down.
 */
export async function demoCommand(config: CliConfig, logger: StructuredLogger, opts: DemoOptions, say: (m: string) => void): Promise<number> {
  // One trace for the whole quickstart: every API request carries this span's context, so the events each request
  // publishes, and everything the services do with them, hang under it.
  return trace.getTracer('distillery.cli').startActiveSpan('demo', async (span) => {
    try {
      const code = await runDemo(config, logger, opts, say);
      span.setAttribute('distillery.exit_code', code);
      if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: 'demo incomplete' });
      return code;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
      // the CLI exits right after: export the root span (and the metrics) now
      await flushTelemetry();
    }
  });
}

async function runDemo(config: CliConfig, logger: StructuredLogger, opts: DemoOptions, say: (m: string) => void): Promise<number> {
  const started = Date.now();
  const examples = import.meta.url.includes('/dist/') ? EXAMPLES_DIR : EXAMPLES_DIR_FROM_SRC;
  // The bundled dataset must be inside the data roots the in-process apps confine file locators to.
  const roots = [process.env['DISTILLERY_DATA_ROOTS'] || '.', examples].join(',');
  const system = await startSystem(config, logger, say, { ...process.env, DISTILLERY_DATA_ROOTS: roots });
  try {
    const api = new ApiClient(system.apiUrl, system.apiKey);
    const created = await api.request<{ run_id: string; project_id: string; trace_id: string | null }>('/api/demo-runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ steps: opts.steps, children: opts.children, fail_child: opts.failChild }),
    });
    say(`requested demo run ${color.bold(created.run_id)} (trace ${created.trace_id ?? 'n/a'})`);
    const bar = new ProgressBar(`demo ${created.run_id}`);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
    let lastSeq = 0;
    try {
      await api.streamRun(
        created.run_id,
        created.project_id,
        (e) => {
          if (e.reason_code === 'demo_run_progress') {
            const p = e.payload as { step: number; total: number };
            bar.update(p.step, p.total, e.summary);
          }
          if (e.reason_code === 'demo_run_completed') {
            lastSeq = e.seq;
            bar.update(opts.steps, opts.steps, 'completed');
            return true;
          }
          return false;
        },
        abort.signal,
      );
    } catch (err) {
      if (abort.signal.aborted) throw new Error(`demo run ${created.run_id} did not complete within ${formatDuration(opts.timeoutMs)}`);
      throw err;
    } finally {
      clearTimeout(timer);
      bar.done();
    }
    await system.projector.waitFor(lastSeq, opts.timeoutMs);
    const rows = await api.timelineTree(created.run_id, created.project_id);
    if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      process.stdout.write(`\nTimeline of ${created.run_id} (from the timeline projection, GET /api/timeline?root_run_id=${created.run_id}):\n\n`);
      process.stdout.write(`${renderTimelineTree(rows)}\n\n`);
    }
    const root = rows.find((r) => r.run_id === created.run_id);
    let ok = root?.latest_reason_code === 'demo_run_completed' && rows.length === 1 + opts.children;

    // The data path: import the bundled UCI sentiment sentences with --auto (introspection must be ≥ 0.80 sure).
    const locator = `tsv:${join(examples, 'uci-sentiment', 'imdb_labelled.txt')}?header=false`;
    say(`\nimporting the bundled dataset: ${locator}`);
    const intro = await api.request<{ introspection: { proposed: { mapper_id: string; confidence: number } | null } }>('/api/projects/quickstart/imports/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ locator }),
    });
    const best = intro.introspection.proposed;
    say(`introspection: ${best ? `${best.mapper_id} (confidence ${best.confidence.toFixed(2)})` : 'no mapper fits'}`);
    const imported = await api.request<{ run_id: string; project_id: string; choice: { mapper_id: string; field_map: Record<string, string>; selection: string; confidence: number | null } }>(
      '/api/projects/quickstart/imports',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locator, auto: true, save_as: 'uci-imdb' }) },
    );
    const importCode = await followImport(api, imported.project_id, imported.run_id, opts.json, opts.timeoutMs, imported.choice);
    ok = ok && importCode === 0;

    // Clean and prepare it, then show the manifest summary and the timeline of the prepare task.
    if (ok) {
      await waitFor(opts.timeoutMs, async () => {
        const r = await api.request<{ status: string }>(`/api/projects/quickstart/imports/${imported.run_id}`).catch(() => undefined);
        return r?.status === 'completed';
      });
      say('');
      const cleanCode = await cleanCommand(api, { project: 'quickstart', nearDedup: true, json: opts.json }, opts.timeoutMs);
      say('');
      const prepareCode = cleanCode === 0 ? await prepareCommand(api, { project: 'quickstart', json: opts.json }, opts.timeoutMs) : 1;
      ok = ok && cleanCode === 0 && prepareCode === 0;
      if (prepareCode === 0) {
        const prepared = await api.request<{ task_id: string }>('/api/projects/quickstart/prepared');
        const tree = await api.timelineTree(prepared.task_id, 'quickstart');
        if (!opts.json) process.stdout.write(`\nTimeline of ${prepared.task_id}:\n\n${renderTimelineTree(tree)}\n\n`);
        say(`manifest: ${resolve(config.DISTILLERY_DATA_DIR, 'projects', 'quickstart', 'prepared', 'manifest.json')}`);

        // Train: the tiny base model (made once, then cached), LoRA on the prepared sentences chosen by autopilot.
        say('');
        const tiny = await makeTiny(config, { quiet: opts.json });
        say(`base model: ${tiny.dir} (${tiny.parameters.toLocaleString('en-US')} parameters${tiny.cached ? ', cached' : `, made in ${formatDuration(Math.round(tiny.seconds * 1000))}`})`);
        const trainCode = await trainCommand(api, { project: 'quickstart', autopilot: true, failOpen: false, json: opts.json }, opts.timeoutMs);
        ok = ok && trainCode === 0;
        if (trainCode === 0 && !opts.json) {
          const runs = await api.request<{ items: Array<{ run_id: string }> }>('/api/projects/quickstart/training');
          const last = runs.items.at(-1)!;
          process.stdout.write(`\nTimeline of ${last.run_id}:\n\n${renderTimelineTree(await api.timelineTree(last.run_id, 'quickstart'))}\n\n`);
        }
        // Evaluate: the adapter and its base model on the gold sentences — did fine-tuning help?
        if (trainCode === 0) {
          say('');
          const evalCode = await evalCommand(api, { project: 'quickstart', base: true, json: opts.json }, opts.timeoutMs);
          ok = ok && evalCode === 0;
          // Export: ONNX (transformers.js layout) and GGUF (llama.cpp), each smoke- and parity-checked.
          for (const e of [{ format: 'onnx' }, { format: 'gguf', quant: 'q8_0' }]) {
            say('');
            ok = ok && (await exportCommand(api, config, { ...e, project: 'quickstart', json: opts.json }, opts.timeoutMs)) === 0;
          }
          // Deploy: a version of the `default` slot (eval, smoke and parity checks), promoted, answering on the runner.
          if (ok) {
            say('');
            ok = (await deployCommand(api, { project: 'quickstart', slot: 'default', target: 'runner', promote: true, json: opts.json }, opts.timeoutMs)) === 0;
          }
          if (ok) {
            const question = 'The food was cold and the waiter never came back.';
            const messages = [
              { role: 'system', content: classificationPrompt(['0', '1']) },
              { role: 'user', content: question },
            ];
            const answer = await chatCommand(system.runnerUrl, 'quickstart/default', messages, 8);
            if (!opts.json) {
              out(`\n${color.bold('POST')} ${system.runnerUrl}/v1/chat/completions  (model quickstart/default)`);
              out(`  user       ${question}`);
              out(`  ${answer.model}  ${JSON.stringify(answer.text)}  (finish_reason ${answer.finish_reason})`);
            }
          }
        }
      }
    }
    say(`${ok ? color.green('demo finished') : color.red('demo incomplete')} in ${formatDuration(Date.now() - started)}: ${rows.length} runs, ${rows.reduce((n, r) => n + r.event_count, 0)} events`);
    return ok ? 0 : 1;
  } finally {
    await system.stop();
  }
}
