import type { TaskProfile } from '@distillery/contracts';
import type { GateInputs, MetricTable } from '@distillery/eval-packs';
import {
  bleuFromStats,
  bleuSegmentStats,
  bootstrapCi,
  chrfFromStats,
  chrfSegmentStats,
  classificationReport,
  fieldMatchScores,
  jsonTypeOf,
  pairedBootstrap,
  preferenceScores,
  qaScores,
  ragScores,
  rougeScores,
  sumBleuStats,
  sumChrfStats,
  type BootstrapOptions,
  type FieldSchema,
  type FieldType,
} from '@distillery/metrics';

/**
 * What a model did with one eval row, whatever the task: the decoded prediction (a label, an answer, a JSON object
 * as text) and the numbers the metrics need. One row shape for every task keeps bootstrap and paired lifts generic.
 */
export interface RowOutcome {
  readonly row_id: string;
  /** The gold answer(s): a label, an answer, a JSON object as text, a translation. */
  readonly references: readonly string[];
  /** The model's decoded output; `null` when it produced nothing usable (an unparseable label). */
  readonly prediction: string | null;
  /** Label tasks: Σ log p of each label as the answer. */
  readonly label_logprobs?: Readonly<Record<string, number>>;
  /** RAG: the context the model was given. */
  readonly context?: string;
  /** Alignment: Σ log p of the chosen and of the rejected response. */
  readonly chosen_logprob?: number;
  readonly rejected_logprob?: number;
  /** Language modelling: Σ −log p of the answer tokens and their count. */
  readonly nll?: number;
  readonly tokens?: number;
  /** Seq2seq corpus metrics: per-row sufficient statistics, computed once. */
  readonly bleu_stats?: readonly number[];
  readonly chrf_stats?: readonly number[];
}

export interface ScoreContext {
  readonly profile: TaskProfile;
  /** Label tasks: the label set (the manifest's). */
  readonly labels?: readonly string[];
}

/** A metric as a statistic over rows, so that its interval (and a paired lift) is a bootstrap of the same function. */
export type Statistic = (rows: readonly RowOutcome[]) => number;

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const answers = (rows: readonly RowOutcome[]) => rows.map((r) => ({ prediction: r.prediction ?? '', answers: r.references }));

/** The JSON schema of field_match rows: each field of the gold objects with its JSON type. */
function schemaOf(rows: readonly RowOutcome[]): FieldSchema {
  const schema: Record<string, FieldType> = {};
  for (const r of rows) {
    try {
      const gold = JSON.parse(r.references[0] ?? '') as unknown;
      if (gold === null || typeof gold !== 'object' || Array.isArray(gold)) continue;
      for (const [k, v] of Object.entries(gold)) {
        const t = jsonTypeOf(v);
        if (t !== null && schema[k] === undefined) schema[k] = t;
      }
    } catch {
      // a reference that is not JSON has no fields
    }
  }
  return schema;
}

/**
 * The metrics of a task profile as statistics over rows (the handler's score(): the metric shape follows the task).
 * Label tasks add per-class precision / recall / F1 as `per_class.<label>.<metric>`.
 */
export function statistics(ctx: ScoreContext, sample: readonly RowOutcome[]): Record<string, Statistic> {
  switch (ctx.profile) {
    case 'classification':
    case 'safety': {
      const labels = ctx.labels ?? [...new Set(sample.flatMap((r) => r.references))].sort();
      const report = (rows: readonly RowOutcome[]) => classificationReport(rows.map((r) => ({ reference: r.references[0] ?? '', prediction: r.prediction })), { labels });
      const out: Record<string, Statistic> = {
        accuracy: (rows) => report(rows).accuracy,
        macro_f1: (rows) => report(rows).macro.f1,
        micro_f1: (rows) => report(rows).micro.f1,
        unparseable_rate: (rows) => report(rows).unparseable_rate,
      };
      labels.forEach((label, i) => {
        for (const m of ['precision', 'recall', 'f1'] as const) out[`per_class.${label}.${m}`] = (rows) => report(rows).per_class[i]?.[m] ?? Number.NaN;
      });
      return out;
    }
    case 'qa':
    case 'chat_sft':
    case 'vision_language':
      return { exact_match: (rows) => qaScores(answers(rows)).exact_match, f1: (rows) => qaScores(answers(rows)).f1 };
    case 'rag_qa': {
      const rag = (rows: readonly RowOutcome[]) => ragScores(rows.map((r) => ({ prediction: r.prediction ?? '', answers: r.references, context: r.context ?? '' })));
      return {
        exact_match: (rows) => rag(rows).exact_match,
        f1: (rows) => rag(rows).f1,
        faithfulness: (rows) => rag(rows).faithfulness,
        context_recall: (rows) => rag(rows).context_recall,
        unsupported_token_rate: (rows) => rag(rows).unsupported_token_rate,
      };
    }
    case 'seq2seq': {
      const sumLen = (rows: readonly RowOutcome[], i: 0 | 1) => rows.reduce((n, r) => n + ((r.bleu_stats?.[i] as number | undefined) ?? 0), 0);
      return {
        bleu: (rows) => bleuFromStats(sumBleuStats(rows.map((r) => r.bleu_stats ?? []))).score,
        chrf: (rows) => chrfFromStats(sumChrfStats(rows.map((r) => r.chrf_stats ?? []))),
        rouge_l: (rows) => rougeScores(rows.map((r) => r.prediction ?? ''), rows.map((r) => r.references)).rougeL.fmeasure,
        // bleu stats start with (hypothesis length, reference length)
        length_ratio: (rows) => sumLen(rows, 0) / Math.max(1, sumLen(rows, 1)),
      };
    }
    case 'structured_extraction': {
      const schema = schemaOf(sample);
      const fm = (rows: readonly RowOutcome[]) =>
        fieldMatchScores(
          rows.map((r) => ({ prediction: r.prediction ?? '', reference: (() => { try { return JSON.parse(r.references[0] ?? '{}') as Record<string, unknown>; } catch { return {}; } })() })),
          schema,
        );
      return {
        json_valid_rate: (rows) => fm(rows).json_valid_rate,
        schema_compliance_rate: (rows) => fm(rows).schema_compliance_rate,
        field_exact_match: (rows) => mean(fm(rows).fields.map((f) => f.exact_match)),
        field_f1: (rows) => mean(fm(rows).fields.map((f) => f.f1)),
      };
    }
    case 'dpo': {
      const pref = (rows: readonly RowOutcome[]) => preferenceScores(rows.map((r) => ({ chosen: r.chosen_logprob ?? Number.NaN, rejected: r.rejected_logprob ?? Number.NaN })));
      return { preference_accuracy: (rows) => pref(rows).accuracy, mean_margin: (rows) => pref(rows).mean_margin };
    }
    case 'language_modeling':
      return {
        eval_loss: (rows) => rows.reduce((a, r) => a + (r.nll ?? 0), 0) / Math.max(1, rows.reduce((a, r) => a + (r.tokens ?? 0), 0)),
        perplexity: (rows) => Math.exp(rows.reduce((a, r) => a + (r.nll ?? 0), 0) / Math.max(1, rows.reduce((a, r) => a + (r.tokens ?? 0), 0))),
      };
    case 'audio_transcript':
      return {};
  }
}

/** Seq2seq rows get their corpus statistics once (BLEU, chrF), before resampling. */
export function withSegmentStats(profile: TaskProfile, rows: readonly RowOutcome[]): RowOutcome[] {
  if (profile !== 'seq2seq') return [...rows];
  return rows.map((r) => ({ ...r, bleu_stats: bleuSegmentStats(r.prediction ?? '', r.references), chrf_stats: chrfSegmentStats(r.prediction ?? '', r.references) }));
}

export interface MetricWithInterval {
  readonly value: number;
  readonly ci: readonly [number, number] | null;
  readonly n: number;
}

export interface Lift {
  readonly base: number;
  readonly candidate: number;
  readonly difference: number;
  readonly ci: readonly [number, number] | null;
  /** Share of resamples where the candidate did not beat the base. */
  readonly share_not_better: number | null;
}

export interface ScoredEval {
  readonly metrics: Record<string, MetricWithInterval>;
  /** Per slice field (`label` for label tasks), per slice value: that slice's metrics. */
  readonly slices: Record<string, Record<string, Record<string, MetricWithInterval>>>;
  readonly lifts?: Record<string, Lift>;
  readonly base?: Record<string, MetricWithInterval>;
}

const pair = (low: number | null, high: number | null): readonly [number, number] | null => (low === null || high === null ? null : [low, high]);

function table(stats: Record<string, Statistic>, rows: readonly RowOutcome[], boot: BootstrapOptions, withCi: (metric: string) => boolean): Record<string, MetricWithInterval> {
  const out: Record<string, MetricWithInterval> = {};
  for (const [name, f] of Object.entries(stats)) {
    if (rows.length === 0) {
      out[name] = { value: Number.NaN, ci: null, n: 0 };
    } else if (withCi(name)) {
      const b = bootstrapCi(rows, f, boot);
      out[name] = { value: b.estimate, ci: pair(b.low, b.high), n: rows.length };
    } else {
      out[name] = { value: f(rows), ci: null, n: rows.length };
    }
  }
  return out;
}

/**
 * Every metric of the task with its bootstrap interval; slices by gold label for label tasks; and, given the base
 * model's outcomes on the same rows, the paired lift of every headline metric (per-class metrics get no interval,
 * their slices stand for them).
 */
export function scoreEval(ctx: ScoreContext, candidate: readonly RowOutcome[], base: readonly RowOutcome[] | undefined, boot: BootstrapOptions): ScoredEval {
  const rows = withSegmentStats(ctx.profile, candidate);
  const stats = statistics(ctx, rows);
  const headline = (m: string) => !m.startsWith('per_class.');
  const metrics = table(stats, rows, boot, headline);
  const slices: ScoredEval['slices'] = {};
  if (ctx.profile === 'classification' || ctx.profile === 'safety') {
    const byLabel: Record<string, Record<string, MetricWithInterval>> = {};
    for (const label of ctx.labels ?? []) {
      const slice = rows.filter((r) => r.references[0] === label);
      const acc = slice.length === 0 ? Number.NaN : slice.filter((r) => r.prediction === label).length / slice.length;
      byLabel[label] = {
        recall: { value: acc, ci: null, n: slice.length },
        accuracy: { value: acc, ci: null, n: slice.length },
        precision: metrics[`per_class.${label}.precision`] ?? { value: Number.NaN, ci: null, n: 0 },
        f1: metrics[`per_class.${label}.f1`] ?? { value: Number.NaN, ci: null, n: 0 },
      };
    }
    slices['label'] = byLabel;
  }
  if (base === undefined || base.length === 0) return { metrics, slices };
  const vsBase = compareWith(ctx, candidate, base, boot, stats);
  return { metrics, slices, lifts: vsBase.lifts, base: vsBase.metrics };
}

/** A reference model's metrics on the same rows and the candidate's paired lift over it (bootstrap of the same rows). */
export interface Comparison {
  readonly metrics: Record<string, MetricWithInterval>;
  readonly lifts: Record<string, Lift>;
}

/**
 * The paired lift of the candidate over a reference model (the base model, the champion) on the same rows: every
 * headline metric's difference with its interval, and the reference's own metrics (per-class metrics get no lift).
 * `stats` defaults to the statistics of the candidate's rows, so both sides are measured by the same functions.
 */
export function compareWith(ctx: ScoreContext, candidate: readonly RowOutcome[], reference: readonly RowOutcome[], boot: BootstrapOptions, stats?: Record<string, Statistic>): Comparison {
  const rows = withSegmentStats(ctx.profile, candidate);
  const refRows = withSegmentStats(ctx.profile, reference);
  if (refRows.length !== rows.length || refRows.some((r, i) => r.row_id !== rows[i]?.row_id)) throw new RangeError('reference and candidate outcomes must cover the same rows in the same order');
  const measured = stats ?? statistics(ctx, rows);
  const lifts: Record<string, Lift> = {};
  for (const [name, f] of Object.entries(measured)) {
    if (name.startsWith('per_class.')) continue;
    const p = pairedBootstrap(refRows, rows, f, boot);
    lifts[name] = { base: p.base, candidate: p.candidate, difference: p.difference, ci: pair(p.low, p.high), share_not_better: p.share_not_better };
  }
  return { metrics: table(measured, refRows, boot, () => false), lifts };
}

/**
 * `judge_score`: the mean LLM-judge rating / 10 over the rows the judge rated (ratings that did not parse are left
 * out, not guessed), with a bootstrap interval over those rows. Undefined when no row was rated.
 */
export function judgeScore(ratings: ReadonlyArray<number | null>, boot: BootstrapOptions): MetricWithInterval | undefined {
  const rated = ratings.filter((r): r is number => r !== null && Number.isFinite(r)).map((r) => r / 10);
  if (rated.length === 0) return undefined;
  const b = bootstrapCi(rated, (xs) => mean(xs), boot);
  return { value: b.estimate, ci: pair(b.low, b.high), n: rated.length };
}

/** The gate inputs of an evaluation: candidate metrics, label slices, and lifts vs base (and champion, if any). */
export function gateInputs(scored: ScoredEval, champion?: Record<string, Lift>): GateInputs {
  const asTable = (m: Record<string, MetricWithInterval>): MetricTable => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { value: v.value, ...(v.ci ? { ci: v.ci } : {}), n: v.n }]));
  const liftTable = (l: Record<string, Lift>): MetricTable => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, { value: v.difference, ...(v.ci ? { ci: v.ci } : {}) }]));
  return {
    candidate: asTable(scored.metrics),
    slices: Object.fromEntries(Object.entries(scored.slices).map(([field, s]) => [field, Object.fromEntries(Object.entries(s).map(([k, m]) => [k, asTable(m)]))])),
    lifts: { ...(scored.lifts ? { base: liftTable(scored.lifts) } : {}), ...(champion ? { champion: liftTable(champion) } : {}) },
  };
}
