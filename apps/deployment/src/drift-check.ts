import { z } from 'zod';
import type { TaskProfile } from '@distillery/contracts';
import { inputDrift, metricDrift, type InputProfile } from '@distillery/deployments';
import type { DatasetPrompts } from './gold.js';
import type { OpenAiClient } from './openai-client.js';
import type { RecentRequest } from './runner.js';

/**
 * One drift check of a live endpoint, through its OpenAI API:
 * - metric drift: the gold rows re-run (greedy) and scored simply — label tasks: `accuracy`, the share of answers
 *   equal to the gold label after trimming; QA-like tasks (qa, chat_sft, rag_qa, vision_language): `exact_match`
 *   after SQuAD normalisation (lower case, no punctuation, no articles, single spaces). Other tasks have no simple
 *   live metric and are skipped. The value is compared with the promoted version's evaluation (value and confidence
 *   interval from its eval report) by libs/deployments `metricDrift`. Evaluation scores label tasks by label
 *   likelihood, the live check by the generated text, so a model that answers off the label set drifts here even
 *   when its likelihood ranking is right — which is what a client of the endpoint sees.
 * - input drift: the prompts the runner answered recently against the training rows' profile (`inputDrift`), with
 *   the answers as predicted labels for label tasks.
 */

/** The eval report's metrics, as the evaluation service writes them (non-finite numbers as null). */
export const EvalReportMetrics = z.object({
  metrics: z.record(z.string(), z.object({ value: z.number().nullable(), ci: z.tuple([z.number(), z.number()]).nullable().optional() })),
});

export interface Baseline {
  readonly value: number;
  readonly ci: readonly [number, number] | null;
  readonly source: string;
}

const LABEL_PROFILES: readonly TaskProfile[] = ['classification', 'safety'];
const EM_PROFILES: readonly TaskProfile[] = ['qa', 'chat_sft', 'rag_qa', 'vision_language'];

/** The metric a drift check computes for a task profile, or undefined when there is no simple one. */
export const liveMetricOf = (profile: TaskProfile): 'accuracy' | 'exact_match' | undefined => (LABEL_PROFILES.includes(profile) ? 'accuracy' : EM_PROFILES.includes(profile) ? 'exact_match' : undefined);

/** SQuAD answer normalisation. */
export const normalizeAnswer = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The live metric over answers and their gold answers (NaN with no rows). */
export function liveMetric(metric: 'accuracy' | 'exact_match', answers: readonly string[], gold: readonly string[]): number {
  if (answers.length === 0) return Number.NaN;
  const same = (a: string, g: string) => (metric === 'accuracy' ? a.trim() === g.trim() : normalizeAnswer(a) === normalizeAnswer(g));
  return answers.filter((a, i) => same(a, gold[i] ?? '')).length / answers.length;
}

export interface DriftInputs {
  readonly client: OpenAiClient;
  readonly model: string;
  /** The training run's gold (or eval) prompts; none when the version has no training run to take them from. */
  readonly gold?: DatasetPrompts;
  readonly maxTokens: number;
  readonly baseline?: Baseline;
  /** Input drift: the training profile and the recent requests (none for an external endpoint). */
  readonly profile?: InputProfile;
  readonly recent?: readonly RecentRequest[];
  readonly minRequests: number;
}

export interface DriftOutcome {
  readonly metrics: Record<string, number>;
  /** `metric:<name>`, `input:<signal>`. */
  readonly drifted: string[];
  readonly details: string[];
  readonly metricDrifted: boolean;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i] as T);
      }
    }),
  );
  return out;
}

export async function runDriftCheck(i: DriftInputs): Promise<DriftOutcome> {
  const metrics: Record<string, number> = {};
  const drifted: string[] = [];
  const details: string[] = [];
  let metricDrifted = false;
  const gold = i.gold;
  const metric = gold ? liveMetricOf(gold.profile) : undefined;
  if (!gold) details.push('metric: skipped (the live version names no training run, so there are no gold rows)');
  else if (metric === undefined) details.push(`metric: skipped (no simple live metric for ${gold.profile} tasks)`);
  else if (gold.rows.length === 0) details.push('metric: skipped (the training run has no gold or eval rows)');
  else {
    const answers = await mapLimit(gold.rows, 4, async (r) => (await i.client.chat(i.model, r.messages, { temperature: 0, max_tokens: i.maxTokens })).choices[0]?.message.content ?? '');
    const current = liveMetric(metric, answers, gold.rows.map((r) => r.answer));
    metrics['gold.rows'] = gold.rows.length;
    metrics[metric] = current;
    if (!i.baseline) details.push(`metric: ${metric} ${current.toFixed(4)} on ${gold.rows.length} gold rows; no baseline (the live version has no evaluation with this metric)`);
    else if (!i.baseline.ci) details.push(`metric: ${metric} ${current.toFixed(4)}; the baseline ${i.baseline.value.toFixed(4)} (${i.baseline.source}) has no confidence interval to compare against`);
    else {
      const d = metricDrift(metric, { value: i.baseline.value, ci: i.baseline.ci }, current);
      metrics[`${metric}.baseline`] = d.baseline;
      metrics[`${metric}.bound`] = d.bound;
      details.push(`metric: ${d.detail} on ${gold.rows.length} gold rows, baseline from ${i.baseline.source}`);
      if (d.drifted) {
        drifted.push(`metric:${metric}`);
        metricDrifted = true;
      }
    }
  }
  const recent = i.recent ?? [];
  if (!i.profile) details.push('input: skipped (no training profile, or an external endpoint whose traffic the runner does not see)');
  else if (recent.length < i.minRequests) details.push(`input: skipped (${recent.length} recent requests, fewer than ${i.minRequests})`);
  else {
    const labels = gold && LABEL_PROFILES.includes(gold.profile) ? recent.map((r) => r.answer.trim()) : undefined;
    const d = inputDrift(i.profile, recent.map((r) => r.prompt), labels);
    Object.assign(metrics, { 'input.requests': d.requests, 'input.length_psi': d.length_psi, 'input.oov_rate': d.oov_rate, 'input.oov_increase': d.oov_increase, ...(d.label_psi !== undefined ? { 'input.label_psi': d.label_psi } : {}) });
    details.push(`input: ${d.requests} recent requests, length PSI ${d.length_psi.toFixed(3)}, unseen words ${(d.oov_rate * 100).toFixed(1)}% (${d.oov_increase >= 0 ? '+' : '−'}${Math.abs(d.oov_increase * 100).toFixed(1)} pts vs the eval rows)${d.label_psi !== undefined ? `, predicted-label PSI ${d.label_psi.toFixed(3)}` : ''}${d.drifted.length > 0 ? `: drifted (${d.drifted.join(', ')})` : ''}`);
    drifted.push(...d.drifted.map((s) => `input:${s}`));
  }
  return { metrics: Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))), drifted, details, metricDrifted };
}
