import { isRefusal, safetyPrompts, SAFETY_SUITE_VERSION, type SafetySuiteConfig } from '@distillery/eval-packs';
import type { InferenceModel } from '@distillery/inference';
import { bootstrapCi, pairedBootstrap, safetyScores, type BootstrapOptions } from '@distillery/metrics';
import type { Lift, MetricWithInterval } from './score.js';

/** One suite prompt as the model answered it. */
export interface SafetyOutcome {
  readonly row_id: string;
  readonly category: string;
  readonly expected: 'refuse' | 'comply';
  readonly prompt: string;
  readonly reply: string;
  readonly refused: boolean;
}

/** What the report says about the suite: its version, prompts, and the model's replies in the predictions artifact. */
export interface SafetySuiteInfo {
  readonly version: string;
  readonly prompts: number;
  readonly categories: readonly string[];
  readonly refusal_markers: readonly string[];
  readonly max_new_tokens: number;
}

export interface SafetyScored {
  readonly info: SafetySuiteInfo;
  readonly metrics: Record<string, MetricWithInterval>;
  /** `safety_category` → category → { pass_rate, refusal_rate, compliance_rate }, for worst-slice gates. */
  readonly slices: Record<string, Record<string, MetricWithInterval>>;
  readonly base_metrics?: Record<string, MetricWithInterval>;
  readonly lifts?: Record<string, Lift>;
}

/** Generates a reply to every suite prompt the config selects (greedy, batched) and decides refusal from its text. */
export async function runSafetySuite(model: InferenceModel, cfg: SafetySuiteConfig, batch = 16): Promise<SafetyOutcome[]> {
  const prompts = safetyPrompts(cfg);
  const out: SafetyOutcome[] = [];
  for (let i = 0; i < prompts.length; i += batch) {
    const part = prompts.slice(i, i + batch);
    const replies = await model.generateBatch(
      part.map((s) => model.chatPromptIds([{ role: 'user', content: s.prompt }])),
      { maxNewTokens: cfg.max_new_tokens, temperature: 0 },
    );
    part.forEach((s, k) => {
      const reply = (replies[k]?.text ?? '').trim();
      out.push({ row_id: `safety:${s.id}`, category: s.category, expected: s.expected, prompt: s.prompt, reply, refused: isRefusal(reply, cfg.refusal_markers) });
    });
  }
  return out;
}

type Stat = (rows: readonly SafetyOutcome[]) => number;
const nan = (x: number | null): number => (x === null ? Number.NaN : x);

/** The suite's metrics as statistics over its rows (so intervals and paired lifts bootstrap the same functions). */
export function safetyStatistics(categories: readonly string[]): Record<string, Stat> {
  const s = (rows: readonly SafetyOutcome[]) => safetyScores(rows);
  const out: Record<string, Stat> = {
    pass_rate: (rows) => nan(s(rows).pass_rate),
    refusal_rate: (rows) => nan(s(rows).refusal.rate),
    compliance_rate: (rows) => nan(s(rows).compliance.rate),
  };
  for (const c of categories) {
    const only = (rows: readonly SafetyOutcome[]) => rows.filter((r) => r.category === c);
    out[`safety.${c}.refusal_rate`] = (rows) => nan(s(only(rows)).refusal.rate);
    out[`safety.${c}.compliance_rate`] = (rows) => nan(s(only(rows)).compliance.rate);
  }
  return out;
}

const pair = (low: number | null, high: number | null): readonly [number, number] | null => (low === null || high === null ? null : [low, high]);

/**
 * Refusal / compliance pass rates overall and per attack category with bootstrap intervals (headline rates; the
 * per-category rates are reported as values, their slices stand for them), and given the base model's replies to the
 * same prompts, the paired lift of each headline rate.
 */
export function scoreSafety(cfg: SafetySuiteConfig, candidate: readonly SafetyOutcome[], base: readonly SafetyOutcome[] | undefined, boot: BootstrapOptions): SafetyScored {
  const categories = [...new Set(candidate.map((r) => r.category))];
  const stats = safetyStatistics(categories);
  const headline = (k: string) => !k.startsWith('safety.');
  const table = (rows: readonly SafetyOutcome[]): Record<string, MetricWithInterval> =>
    Object.fromEntries(
      Object.entries(stats).map(([k, f]) => {
        if (!headline(k) || rows.length === 0) return [k, { value: rows.length === 0 ? Number.NaN : f(rows), ci: null, n: rows.length }];
        const b = bootstrapCi(rows, f, boot);
        return [k, { value: b.estimate, ci: pair(b.low, b.high), n: rows.length }];
      }),
    );
  const metrics = table(candidate);
  const byCategory: Record<string, Record<string, MetricWithInterval>> = {};
  for (const c of categories) {
    const rows = candidate.filter((r) => r.category === c);
    const sc = safetyScores(rows);
    byCategory[c] = {
      pass_rate: { value: nan(sc.pass_rate), ci: null, n: rows.length },
      refusal_rate: { value: nan(sc.refusal.rate), ci: null, n: sc.refusal.n },
      compliance_rate: { value: nan(sc.compliance.rate), ci: null, n: sc.compliance.n },
    };
  }
  const info: SafetySuiteInfo = { version: SAFETY_SUITE_VERSION, prompts: candidate.length, categories, refusal_markers: cfg.refusal_markers, max_new_tokens: cfg.max_new_tokens };
  if (!base || base.length === 0) return { info, metrics, slices: byCategory };
  if (base.length !== candidate.length || base.some((r, i) => r.row_id !== candidate[i]?.row_id)) throw new RangeError('base and candidate safety outcomes must cover the same prompts in the same order');
  const lifts: Record<string, Lift> = {};
  for (const [k, f] of Object.entries(stats)) {
    if (!headline(k)) continue;
    const pb = pairedBootstrap(base, candidate, f, boot);
    lifts[k] = { base: pb.base, candidate: pb.candidate, difference: pb.difference, ci: pair(pb.low, pb.high), share_not_better: pb.share_not_better };
  }
  const baseMetrics = Object.fromEntries(Object.entries(stats).map(([k, f]) => [k, { value: f(base), ci: null, n: base.length }]));
  return { info, metrics, slices: byCategory, base_metrics: baseMetrics, lifts };
}
