import type { ArtifactRef, RunEventOf } from '@distillery/contracts';
import type { CheckResult } from '@distillery/deployments';
import type { ChatMessage, OpenAiClient } from './openai-client.js';

/**
 * The checks promotion needs, as they stand when a version is created (recorded in `deployment_created`):
 * - eval: the verdict of the training run's latest evaluation (`eval_completed`: promotable + the blocking gates);
 * - parity: that what is served reproduces what was evaluated (below);
 * - smoke: the model, behind the OpenAI API it will be served by, answers prompts with non-empty text that stops.
 */

export type EvalCheck = { readonly run_id: string; readonly promotable: boolean; readonly blocking: readonly string[] };

export function evalCheck(e: RunEventOf<'eval_completed'> | undefined): EvalCheck | undefined {
  if (!e) return undefined;
  const p = e.payload;
  if (p.promotable === undefined) return { run_id: e.run_id, promotable: false, blocking: [`evaluation ${e.run_id} gave no promotability verdict`] };
  return { run_id: e.run_id, promotable: p.promotable, blocking: p.promotable ? [] : (p.blocking ?? []) };
}

/**
 * Parity of the served model with the evaluated one.
 * - The training output itself (the bundle IS the run's `training_completed.model_ref`, same sha256): parity holds by
 *   construction. The runner loads that very bundle with the loader the evaluation service used to score it
 *   (libs/inference `loadModel`, the adapter merged into the same base model, float32 weights, the same chat
 *   template and end-of-turn ids from the same tokenizer files); nothing is converted, so the served model computes
 *   the same logits as the evaluated one, and greedy outputs are identical.
 * - An export bundle: its export ran its own parity check against the trained model before `export_completed` was
 *   published (the registry: "passed its smoke and parity checks"); its `parity` result is carried over, and an
 *   export_completed without one counts as passed by that contract.
 * - Any other bundle has no recorded relation to an evaluated model: parity fails, and the version cannot be promoted.
 */
export function parityCheck(bundle: ArtifactRef, training: { run_id: string; model_ref?: ArtifactRef } | undefined, exported: RunEventOf<'export_completed'> | undefined): CheckResult {
  if (training?.model_ref && training.model_ref.sha256 === bundle.sha256) {
    return { passed: true, detail: `by construction: the bundle (sha256 ${bundle.sha256.slice(0, 12)}…) is training run ${training.run_id}'s own output, loaded unconverted by the loader the evaluation used` };
  }
  if (exported) {
    const p = exported.payload.parity;
    if (p) return { passed: p.passed, detail: `export ${exported.run_id} (${exported.payload.format}${exported.payload.quantization ? ` ${exported.payload.quantization}` : ''}): ${p.detail}` };
    return { passed: true, detail: `export ${exported.run_id} (${exported.payload.format}) completed, which requires its parity check to have passed (no detail recorded)` };
  }
  return { passed: false, detail: `the bundle (sha256 ${bundle.sha256.slice(0, 12)}…) is neither a training run's output nor an export with a parity check: nothing ties it to an evaluated model` };
}

export interface SmokeOutcome extends CheckResult {
  readonly prompts: number;
  readonly latencies_ms: readonly number[];
  readonly completion_tokens: number;
}

const quote = (s: string, n = 40): string => JSON.stringify(s.length > n ? `${s.slice(0, n)}…` : s);

/**
 * Sends each prompt through the OpenAI API (greedy, `maxTokens` at most) and requires every answer to be non-empty
 * and to stop on its own (finish_reason `stop`), the two commonest faults of deployed small models.
 */
export async function smokeCheck(client: OpenAiClient, model: string, prompts: ReadonlyArray<readonly ChatMessage[]>, source: string, maxTokens: number): Promise<SmokeOutcome> {
  const problems: string[] = [];
  const latencies: number[] = [];
  let tokens = 0;
  for (const [i, messages] of prompts.entries()) {
    const t0 = performance.now();
    try {
      const r = await client.chat(model, messages, { temperature: 0, max_tokens: maxTokens });
      latencies.push(performance.now() - t0);
      tokens += r.usage?.completion_tokens ?? 0;
      const choice = r.choices[0];
      const text = choice?.message.content ?? '';
      if (text.trim() === '') problems.push(`prompt ${i + 1}: empty answer`);
      else if (choice?.finish_reason !== 'stop') problems.push(`prompt ${i + 1}: did not stop within ${maxTokens} tokens (${quote(text)})`);
    } catch (err) {
      problems.push(`prompt ${i + 1}: ${(err as Error).message}`);
    }
  }
  const n = prompts.length;
  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = sorted.length > 0 ? Math.round(sorted[Math.floor(sorted.length / 2)]!) : 0;
  const detail =
    problems.length === 0
      ? `${n}/${n} ${source} answered with text that stopped (${tokens} tokens, p50 ${p50} ms)`
      : `${problems.length}/${n} ${source} failed: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`;
  return { passed: n > 0 && problems.length === 0, detail: n === 0 ? 'no prompts to send' : detail, prompts: n, latencies_ms: latencies, completion_tokens: tokens };
}
