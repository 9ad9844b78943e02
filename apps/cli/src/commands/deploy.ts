import { withTraceHeaders, type ApiClient } from '../api-client.js';
import { color, formatDuration } from '../render.js';

const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string): void => void process.stdout.write(`${m}\n`);

interface VersionView {
  version: number;
  target: string;
  status: string;
  training_run_id?: string;
  eval?: { run_id: string; promotable: boolean; blocking: string[] };
  smoke?: { passed: boolean; detail: string };
  parity?: { passed: boolean; detail: string };
}
export interface SlotView {
  slot: string;
  live: number | null;
  versions: VersionView[];
  last_outcome: { reason_code: string; summary: string; payload: { failed_gates?: string[] } } | null;
  events: number;
}

const post = (api: ApiClient, path: string, body: unknown) => api.request<{ event_id: string }>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function slotView(api: ApiClient, project: string, slot: string): Promise<SlotView | undefined> {
  return api.request<SlotView>(`/api/projects/${project}/deployments/${slot}`).catch((err: { status?: number }) => {
    if (err.status === 404) return undefined;
    throw err;
  });
}

/** Polls the slot until `done` says so (the deployment service answers requests as events). */
async function waitSlot(api: ApiClient, project: string, slot: string, done: (s: SlotView) => boolean, timeoutMs: number): Promise<SlotView> {
  const started = Date.now();
  for (;;) {
    const s = await slotView(api, project, slot);
    if (s && done(s)) return s;
    if (Date.now() - started > timeoutMs) throw new Error(`slot ${slot}: no answer within ${formatDuration(timeoutMs)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export function renderSlot(s: SlotView): string {
  const lines = [`slot ${color.bold(s.slot)} · live ${s.live === null ? 'none' : `v${s.live}`}`];
  for (const v of s.versions) {
    const mark = (c?: { passed: boolean }) => (c === undefined ? color.dim('–') : c.passed ? color.green('✓') : color.red('✗'));
    const ev = v.eval ? { passed: v.eval.promotable } : undefined;
    lines.push(`  v${v.version} ${v.status.padEnd(11)} ${v.target.padEnd(9)} eval ${mark(ev)}  smoke ${mark(v.smoke)}  parity ${mark(v.parity)}${v.training_run_id ? color.dim(`  ${v.training_run_id}`) : ''}`);
  }
  if (s.last_outcome) lines.push(color.dim(`  last: ${s.last_outcome.summary}`));
  return lines.join('\n');
}

export interface DeployFlags {
  readonly project: string;
  readonly run?: string;
  readonly slot: string;
  readonly target: string;
  readonly endpoint?: string;
  readonly promote: boolean;
  readonly json: boolean;
}

/** `distillery deploy`: create a version of a slot (its eval, smoke and parity checks run), optionally promote it. */
export async function deployCommand(api: ApiClient, f: DeployFlags, timeoutMs = 10 * 60_000): Promise<number> {
  let run = f.run;
  if (!run) {
    const runs = await api.request<{ items: Array<{ run_id: string; status: string; finished_at: string | null }> }>(`/api/projects/${f.project}/training`);
    run = runs.items.filter((r) => r.status === 'completed').sort((a, b) => (a.finished_at ?? '').localeCompare(b.finished_at ?? '')).at(-1)?.run_id;
    if (!run) throw new Error(`project '${f.project}' has no completed training run to deploy`);
  }
  const before = (await slotView(api, f.project, f.slot))?.versions.length ?? 0;
  await post(api, `/api/projects/${f.project}/deployments`, { training_run_id: run, slot: f.slot, target: f.target, ...(f.endpoint ? { endpoint: f.endpoint } : {}) });
  if (!f.json) say(`deploying ${color.bold(run)} to slot ${f.slot} (${f.target}): eval, smoke and parity checks…`);
  let s = await waitSlot(api, f.project, f.slot, (x) => x.versions.length > before || x.last_outcome?.reason_code === 'deployment_request_invalid', timeoutMs);
  const created = s.versions.at(-1);
  if (!created || s.versions.length === before) {
    say(color.red(`not deployed: ${s.last_outcome?.summary ?? 'no version created'}`));
    return 1;
  }
  if (f.promote) {
    const outcomes = s.events;
    await post(api, `/api/projects/${f.project}/deployments/${f.slot}/promote`, { version: created.version });
    s = await waitSlot(api, f.project, f.slot, (x) => x.events > outcomes + 1 && x.last_outcome !== null && x.last_outcome.reason_code !== 'deployment_created', timeoutMs);
  }
  if (f.json) out(JSON.stringify(s));
  else out(renderSlot(s));
  if (f.promote && s.live !== created.version) {
    for (const g of s.last_outcome?.payload.failed_gates ?? []) say(color.red(`  blocked: ${g}`));
    return 1;
  }
  return 0;
}

/** `distillery deploy promote|rollback|reject|drift-check`: a request, then the slot as the service left it. */
export async function slotCommand(api: ApiClient, project: string, slot: string, action: 'promote' | 'rollback' | 'reject' | 'drift-check', body: Record<string, unknown>, json: boolean, timeoutMs = 5 * 60_000): Promise<number> {
  const events = (await slotView(api, project, slot))?.events ?? 0;
  await post(api, `/api/projects/${project}/deployments/${slot}/${action}`, body);
  // A request and its answer are both events of the slot's run.
  const s = await waitSlot(api, project, slot, (x) => x.events >= events + 2, timeoutMs);
  if (json) out(JSON.stringify(s));
  else out(renderSlot(s));
  return s.last_outcome && /blocked|no_predecessor|invalid/.test(s.last_outcome.reason_code) ? 1 : 0;
}

export async function slotStatus(api: ApiClient, project: string, slot: string, json: boolean): Promise<number> {
  const s = await slotView(api, project, slot);
  if (!s) {
    say(`no deployment slot '${slot}' in project '${project}'`);
    return 1;
  }
  out(json ? JSON.stringify(s) : renderSlot(s));
  return 0;
}

/** `distillery chat`: one chat completion from an OpenAI-compatible endpoint (the runner by default). */
export async function chatCommand(runnerUrl: string, model: string, messages: ReadonlyArray<{ role: string; content: string }>, maxTokens: number): Promise<{ text: string; model: string; finish_reason: string }> {
  const res = await fetch(
    `${runnerUrl.replace(/\/$/, '')}/v1/chat/completions`,
    withTraceHeaders({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, max_tokens: maxTokens, temperature: 0 }),
    }),
  );
  const body = (await res.json()) as { model?: string; choices?: Array<{ message: { content: string }; finish_reason: string }>; error?: { message: string } };
  if (!res.ok || !body.choices?.[0]) throw new Error(`runner ${res.status}: ${body.error?.message ?? 'no answer'}`);
  return { text: body.choices[0].message.content, model: body.model ?? model, finish_reason: body.choices[0].finish_reason };
}
