import { join, resolve } from 'node:path';
import { FileArtifactStore, materializeBundle } from '@distillery/artifacts';
import type { ArtifactRef } from '@distillery/contracts';
import type { ApiClient } from '../api-client.js';
import type { CliConfig } from '../config.js';
import { color, formatDuration } from '../render.js';

const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string): void => void process.stdout.write(`${m}\n`);

export interface ExportFlags {
  readonly format: string;
  readonly quant?: string;
  readonly project: string;
  readonly run?: string;
  readonly out?: string;
  readonly json: boolean;
}

interface ExportView {
  run_id: string;
  status: 'running' | 'completed' | 'failed';
  reason_code?: string;
  summary?: string;
  payload?: {
    bundle_ref?: ArtifactRef;
    size_bytes?: number;
    quantization?: string;
    files?: Array<{ path: string; bytes: number }>;
    smoke?: { passed: boolean; detail: string };
    parity?: { passed: boolean; detail: string };
    prompt?: string;
    expected?: string;
    actual?: string;
  };
}

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(2)} MiB`;

/** `distillery export`: request an export, wait for its checks, print the bundle (and write it with --out). */
export async function exportCommand(api: ApiClient, config: CliConfig, f: ExportFlags, timeoutMs = 60 * 60_000): Promise<number> {
  const body = { format: f.format, ...(f.quant ? { quantization: f.quant } : {}), ...(f.run ? { training_run_id: f.run } : {}) };
  const created = await api.request<{ run_id: string; training_run_id: string }>(`/api/projects/${f.project}/exports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!f.json) say(`exporting ${color.bold(created.training_run_id)} as ${f.format}${f.quant ? ` ${f.quant}` : ''} (${created.run_id})`);
  const started = Date.now();
  let view: ExportView | undefined;
  for (;;) {
    view = await api.request<ExportView>(`/api/projects/${f.project}/exports/${created.run_id}`).catch((err: { status?: number }) => {
      if (err.status === 404) return undefined;
      throw err;
    });
    if (view && view.status !== 'running') break;
    if (Date.now() - started > timeoutMs) throw new Error(`export ${created.run_id} did not finish within ${formatDuration(timeoutMs)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  if (f.json) {
    out(JSON.stringify(view));
    return view.status === 'completed' ? 0 : 1;
  }
  const p = view.payload ?? {};
  if (view.status !== 'completed') {
    say(color.red(`export failed (${view.reason_code}): ${view.summary ?? ''}`));
    if (p.prompt !== undefined) say(color.dim(`  first differing prompt: ${JSON.stringify(p.prompt).slice(0, 200)}\n  expected ${JSON.stringify(p.expected)}\n  actual   ${JSON.stringify(p.actual)}`));
    return 1;
  }
  out(`${color.green('exported')} ${f.format}${p.quantization ? ` ${p.quantization}` : ''} · ${mb(p.size_bytes ?? 0)} in ${formatDuration(Date.now() - started)} · ${p.bundle_ref?.uri}`);
  if (p.smoke) out(`  ${p.smoke.passed ? color.green('✓') : color.red('✗')} smoke: ${p.smoke.detail}`);
  if (p.parity) out(`  ${p.parity.passed ? color.green('✓') : color.red('✗')} parity: ${p.parity.detail}`);
  if (f.out && p.bundle_ref) {
    const dir = resolve(f.out);
    await materializeBundle(new FileArtifactStore(join(resolve(config.DISTILLERY_DATA_DIR), 'artifacts')), p.bundle_ref, dir);
    out(`  written to ${dir} (${(p.files ?? []).map((x) => x.path).join(', ')})`);
  }
  return 0;
}
