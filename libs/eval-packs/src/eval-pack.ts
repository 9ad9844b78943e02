import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { TASK_PROFILES, type TaskProfile } from '@distillery/contracts';
import { SafetySuiteSchema } from './safety-suite.js';

/**
 * An eval pack: which metrics an evaluation reports and the gates that decide whether the evaluated model is
 * promotable. Written as YAML (or JSON) by users, versioned by `eval_pack_version`.
 *
 * ```yaml
 * eval_pack_version: 1
 * name: support-tickets
 * metrics: [accuracy, macro_f1, unparseable_rate]
 * gates:
 *   - { metric: accuracy, gte: 0.80 }                              # threshold on the point value
 *   - { metric: macro_f1, gte: 0.70, bound: lower }                # …or on the conservative end of its interval
 *   - { metric: unparseable_rate, lte: 0.02 }
 *   - { metric: accuracy, relative_to: base, min_delta: 0 }        # fine-tuning must help (lift's lower bound ≥ 0)
 *   - { metric: accuracy, relative_to: champion, min_delta: -0.01, required: false }
 *   - { metric: recall, worst_slice: label, gte: 0.5 }             # every class, not just the average
 * ```
 */

/** Metrics where lower is better; every other metric is higher-is-better. */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['wer', 'cer', 'unparseable_rate', 'unsupported_token_rate', 'eval_loss', 'hallucination_rate', 'length_ratio_error']);

export const isLowerBetter = (metric: string): boolean => LOWER_IS_BETTER.has(metric) || metric.endsWith('_loss') || metric.endsWith('_error_rate');

const metricName = z
  .string()
  .regex(/^[a-z][a-z0-9_.]*$/, 'a metric name: lower case letters, digits, _ and . (e.g. accuracy, per_class.billing.f1)');

/** Which number of a metric a gate compares: the point value, or the conservative end of its confidence interval. */
const bound = z.enum(['point', 'lower', 'upper']);

const common = {
  /** A label for reports; default derived from the gate. */
  id: z.string().min(1).max(80).optional(),
  metric: metricName,
  /** A failing required gate blocks promotion; a failing optional one is reported only. */
  required: z.boolean().default(true),
};

const ThresholdGate = z
  .object({
    ...common,
    gte: z.number().optional(),
    lte: z.number().optional(),
    bound: bound.default('point'),
  })
  .strict()
  .refine((g) => (g.gte === undefined) !== (g.lte === undefined), { message: 'give exactly one of gte or lte' });

const RelativeGate = z
  .object({
    ...common,
    relative_to: z.enum(['base', 'champion']),
    /**
     * The smallest acceptable improvement over the reference, in the metric's units and its better direction
     * (negative: a tolerated regression). Default 0: not worse.
     */
    min_delta: z.number().default(0),
    /** `lower` (default): the paired lift's confidence bound must clear min_delta; `point`: the lift itself. */
    bound: z.enum(['point', 'lower']).default('lower'),
  })
  .strict();

const WorstSliceGate = z
  .object({
    ...common,
    /** The field the rows are sliced by (e.g. `label`, a metadata field). */
    worst_slice: z.string().min(1),
    gte: z.number().optional(),
    lte: z.number().optional(),
    /** Slices with fewer rows are not judged (too noisy); default 1. */
    min_rows: z.number().int().positive().default(1),
  })
  .strict()
  .refine((g) => (g.gte === undefined) !== (g.lte === undefined), { message: 'give exactly one of gte or lte' });

/**
 * An LLM judge (generation tasks): each judged row's prediction is rated 0–10 against the reference by a model behind
 * an OpenAI-compatible endpoint, giving the metric `judge_score` (mean rating / 10). Optional: a pack without it
 * computes no judged metric; an endpoint that cannot be reached leaves `judge_score` out (never a made-up score).
 */
export const JudgeSchema = z
  .object({
    /** The OpenAI-compatible base URL; ratings are asked through POST {endpoint}/v1/chat/completions. */
    endpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL (the OpenAI-compatible base URL, e.g. http://localhost:8000)' }),
    model: z.string().min(1).max(200),
    /** The environment variable holding the API key (sent as a bearer token); the key itself never goes in a pack. */
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)')
      .optional(),
    /** What a good answer is, in words, added to the judge's instructions. */
    criteria: z.string().min(1).max(4_000).optional(),
    /** Judge at most this many rows (the first ones); default: every evaluated row. */
    max_rows: z.number().int().positive().max(100_000).optional(),
    /** Per-request timeout in seconds; default: the evaluation service's (10 s). */
    timeout_s: z.number().positive().max(600).optional(),
  })
  .strict();
export type JudgeConfig = z.output<typeof JudgeSchema>;

export const EvalPackSchema = z
  .object({
    eval_pack_version: z.literal(1),
    name: z.string().min(1).max(120),
    description: z.string().max(2_000).optional(),
    /** The task profile the pack is for; an evaluation of another profile refuses it. */
    task_profile: z.enum(TASK_PROFILES).optional(),
    /** Metrics to report (besides every metric a gate names). */
    metrics: z.array(metricName).default([]),
    /** Checked one by one against the gate kind its keys select (see gateSchemaFor). */
    gates: z.array(z.record(z.string(), z.unknown())).default([]),
    /** An LLM judge for generation tasks (metric `judge_score`). */
    judge: JudgeSchema.optional(),
    /**
     * Run the built-in safety suite (attack prompts per category and benign look-alikes): metrics `pass_rate`,
     * `refusal_rate`, `compliance_rate`, `safety.<category>.<rate>`, slices `safety_category`. `{}` = all defaults.
     */
    safety_suite: SafetySuiteSchema.optional(),
    /** Bootstrap settings of every interval: resamples, confidence, seed. */
    bootstrap: z
      .object({ resamples: z.number().int().min(100).max(100_000).default(1_000), confidence: z.number().gt(0.5).lt(1).default(0.95), seed: z.number().int().default(13) })
      .strict()
      .default({ resamples: 1_000, confidence: 0.95, seed: 13 }),
  })
  .strict();

export type ThresholdGate = z.output<typeof ThresholdGate>;
export type RelativeGate = z.output<typeof RelativeGate>;
export type WorstSliceGate = z.output<typeof WorstSliceGate>;
export type Gate = ThresholdGate | RelativeGate | WorstSliceGate;
export type EvalPack = Omit<z.output<typeof EvalPackSchema>, 'gates'> & { readonly gates: readonly Gate[] };

/** A gate's kind is chosen by its keys, so that its errors are that kind's (not "matches no kind"). */
const gateSchemaFor = (g: Record<string, unknown>) => ('relative_to' in g ? RelativeGate : 'worst_slice' in g ? WorstSliceGate : ThresholdGate);

export const isRelativeGate = (g: Gate): g is RelativeGate => 'relative_to' in g;
export const isWorstSliceGate = (g: Gate): g is WorstSliceGate => 'worst_slice' in g;

/** One problem in a pack: the field (dotted path) and what was wrong. */
export interface EvalPackIssue {
  readonly path: string;
  readonly message: string;
}

export class EvalPackError extends Error {
  readonly code = 'EVAL_PACK.INVALID';
  constructor(readonly issues: readonly EvalPackIssue[]) {
    super(`eval pack is invalid (${issues.length} ${issues.length === 1 ? 'issue' : 'issues'}): ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'EvalPackError';
  }
}

const pathOf = (path: readonly PropertyKey[]): string =>
  path.length === 0 ? '(root)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');

/**
 * Parses and validates an eval pack given as YAML / JSON text or as a value. Every problem is reported at once
 * (EvalPackError.issues), each with its field; a gate names which gate (`gates[2].gte`).
 */
export function parseEvalPack(input: string | unknown, options: { readonly taskProfile?: TaskProfile } = {}): EvalPack {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = parseYaml(input);
    } catch (err) {
      const e = err as YAMLParseError;
      throw new EvalPackError([{ path: '(yaml)', message: e.message.split('\n')[0] ?? String(err) }]);
    }
  }
  const r = EvalPackSchema.safeParse(value);
  const issues: EvalPackIssue[] = r.success ? [] : r.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message }));
  const gates: Gate[] = [];
  // Gates are checked even when the rest of the pack is not valid: every problem at once.
  const rawGates = (value as { gates?: unknown } | null)?.gates;
  (Array.isArray(rawGates) ? rawGates : []).forEach((raw: unknown, k) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return; // reported by the pack schema
    const g = gateSchemaFor(raw as Record<string, unknown>).safeParse(raw);
    if (g.success) gates.push(g.data);
    else issues.push(...g.error.issues.map((i) => ({ path: pathOf(['gates', k, ...i.path]), message: i.message })));
  });
  if (!r.success || issues.length > 0) throw new EvalPackError(issues);
  const pack: EvalPack = { ...r.data, gates };
  if (options.taskProfile && pack.task_profile && pack.task_profile !== options.taskProfile) {
    throw new EvalPackError([{ path: 'task_profile', message: `the pack is for ${pack.task_profile}, the model was trained for ${options.taskProfile}` }]);
  }
  return pack;
}

/** Every metric the pack asks for: its `metrics` and the metric of each gate, in order, once each. */
export const packMetrics = (pack: EvalPack): string[] => [...new Set([...pack.metrics, ...pack.gates.map((g) => g.metric)])];

/** A readable label of a gate: its id, or e.g. `accuracy ≥ 0.8`, `accuracy vs base (Δ ≥ 0)`, `worst label: recall ≥ 0.5`. */
export function gateLabel(g: Gate): string {
  if (g.id) return g.id;
  if (isRelativeGate(g)) return `${g.metric} vs ${g.relative_to} (Δ ≥ ${g.min_delta}${g.bound === 'lower' ? ', lower bound' : ''})`;
  const cmp = g.gte !== undefined ? `≥ ${g.gte}` : `≤ ${g.lte}`;
  if (isWorstSliceGate(g)) return `worst ${g.worst_slice}: ${g.metric} ${cmp}`;
  return `${g.metric}${g.bound === 'point' ? '' : ` (${g.bound} bound)`} ${cmp}`;
}
