import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { ApiClient } from '../api-client.js';
import { color, formatDuration, lineChart, ProgressBar } from '../render.js';

const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string): void => void process.stdout.write(`${m}\n`);

export interface TrainFlags {
  readonly project: string;
  readonly autopilot: boolean;
  readonly recipe?: string;
  readonly baseModel?: string;
  readonly failOpen: boolean;
  readonly json: boolean;
}

interface TrainingRunView {
  run_id: string;
  status: 'requested' | 'planned' | 'running' | 'completed' | 'failed' | 'cancelled';
  step: number;
  total_steps: number | null;
  loss: number | null;
  eval_loss: number | null;
  tokens_per_s: number | null;
  resumes: number;
  method: string | null;
  checks: string[] | null;
  warnings: string[] | null;
  blockers: string[] | null;
  model_ref: { uri: string } | null;
  failure_code: string | null;
  failure_message: string | null;
}

/** A recipe file (YAML or JSON) as the object the API takes; the training service validates it. */
export async function readRecipeFile(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new Error(`--recipe ${path}: ${err.message}`);
  });
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`--recipe ${path}: not YAML or JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`--recipe ${path}: expected a mapping (recipe_version, base_model, method, …)`);
  return doc as Record<string, unknown>;
}

/** `distillery train`: request a run, follow it with a progress bar, then draw its loss curve. */
export async function trainCommand(api: ApiClient, f: TrainFlags, timeoutMs = 6 * 60 * 60_000): Promise<number> {
  const body = {
    autopilot: f.autopilot || !f.recipe,
    one_click: f.autopilot || !f.recipe,
    ...(f.recipe ? { recipe: await readRecipeFile(f.recipe) } : {}),
    ...(f.baseModel ? { base_model: f.baseModel } : {}),
    ...(f.failOpen ? { preflight_mode: 'fail_open' } : {}),
  };
  const created = await api.request<{ run_id: string; prepare_task_id: string }>(`/api/projects/${f.project}/training/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!f.json) say(`training ${color.bold(created.run_id)} on ${created.prepare_task_id} (${body.autopilot ? 'autopilot' : f.recipe})`);
  const started = Date.now();
  const bar = f.json ? undefined : new ProgressBar(created.run_id);
  let run: TrainingRunView | undefined;
  let shownPlan = false;
  try {
    for (;;) {
      run = await api.request<TrainingRunView>(`/api/projects/${f.project}/training/${created.run_id}`).catch((err: { status?: number }) => {
        if (err.status === 404) return undefined;
        throw err;
      });
      if (run && !shownPlan && !f.json && (run.checks || run.warnings) && run.status !== 'requested') {
        shownPlan = true;
        for (const c of run.checks ?? []) say(color.dim(`  preflight ${c}`));
        for (const w of run.warnings ?? []) say(color.yellow(`  preflight warning ${w}`));
      }
      if (run?.total_steps) bar?.update(run.step, run.total_steps, `${run.loss !== null ? `loss ${run.loss.toFixed(3)}` : ''}${run.tokens_per_s ? ` · ${Math.round(run.tokens_per_s)} tok/s` : ''}`);
      if (run && ['completed', 'failed', 'cancelled'].includes(run.status)) break;
      if (Date.now() - started > timeoutMs) throw new Error(`training ${created.run_id} did not finish within ${formatDuration(timeoutMs)} (status ${run?.status ?? 'not seen yet'})`);
      await new Promise((r) => setTimeout(r, 400));
    }
  } finally {
    bar?.done();
  }
  if (f.json) {
    out(JSON.stringify(run));
    return run!.status === 'completed' ? 0 : 1;
  }
  if (run!.status !== 'completed') {
    say(color.red(`training ${run!.status} (${run!.failure_code}): ${run!.failure_message}`));
    for (const b of run!.blockers ?? []) say(color.red(`  blocker ${b}`));
    return 1;
  }
  const trace = await api.request<{ items: Array<{ step: number; loss: number; eval_loss?: number }> }>(`/api/projects/${f.project}/training/${created.run_id}/trace`);
  out(`${color.green('trained')} ${run!.method} · ${run!.step} steps in ${formatDuration(Date.now() - started)} · loss ${run!.loss?.toFixed(4)}${run!.eval_loss !== null ? ` · eval loss ${run!.eval_loss.toFixed(4)}` : ''}${run!.resumes ? ` · resumed ${run!.resumes}×` : ''}`);
  out(lineChart(trace.items.map((t) => ({ x: t.step, y: t.loss, ...(t.eval_loss !== undefined ? { y2: t.eval_loss } : {}) }))));
  out(color.dim(`  model ${run!.model_ref?.uri}`));
  return 0;
}

export async function trainCancel(api: ApiClient, project: string, runId: string): Promise<number> {
  await api.request(`/api/projects/${project}/training/${runId}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  say(`cancel requested for ${runId}: the trainer stops after its current step and keeps the last checkpoint`);
  return 0;
}
