/**
 * Drift checks of a live deployment, as pure functions over numbers the deployment service gathers:
 * - metric drift: the gold set re-run against the live endpoint scores below the promoted baseline beyond the
 *   baseline's confidence bound (an improvement is never drift);
 * - input drift: recent requests against the training data's statistics — prompt length (population stability index
 *   over fixed length buckets), vocabulary (share of words never seen in training, against the same share on the
 *   held-out eval rows) and, for label tasks, the distribution of predicted labels (PSI against the training labels).
 */

export interface BaselineMetric {
  readonly value: number;
  /** The promoted version's confidence interval of the metric (from its evaluation). */
  readonly ci: readonly [number, number];
  readonly lower_is_better?: boolean;
}

export interface MetricDrift {
  readonly metric: string;
  readonly baseline: number;
  readonly bound: number;
  readonly current: number;
  readonly drifted: boolean;
  readonly detail: string;
}

/** Whether `current` fell behind the baseline beyond its confidence bound, in the metric's worse direction. */
export function metricDrift(metric: string, baseline: BaselineMetric, current: number): MetricDrift {
  const lower = baseline.lower_is_better === true;
  const bound = lower ? baseline.ci[1] : baseline.ci[0];
  const drifted = Number.isNaN(current) || (lower ? current > bound : current < bound);
  const rel = lower ? (drifted ? '>' : '≤') : drifted ? '<' : '≥';
  return { metric, baseline: baseline.value, bound, current, drifted, detail: `${metric} ${current.toFixed(4)} ${rel} the baseline's ${lower ? 'upper' : 'lower'} bound ${bound.toFixed(4)} (baseline ${baseline.value.toFixed(4)})` };
}

/** Prompt-length buckets (in words): upper bounds; the last bucket is open. */
export const LENGTH_BUCKETS = [8, 16, 32, 64, 128, 256, 512] as const;

/** A small share in place of an empty bucket, so PSI stays finite (the usual practice). */
const EPSILON = 1e-4;

/** Shares per category of `counts` over the union of keys of both sides. */
function shares(counts: ReadonlyMap<string, number>, keys: readonly string[]): number[] {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return keys.map((k) => Math.max(EPSILON, total > 0 ? (counts.get(k) ?? 0) / total : 0));
}

/** Population stability index Σ (a − e) · ln(a / e) between two categorical distributions (counts). */
export function psi(expected: ReadonlyMap<string, number>, actual: ReadonlyMap<string, number>): number {
  const keys = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  const e = shares(expected, keys);
  const a = shares(actual, keys);
  return keys.reduce((sum, _, i) => sum + ((a[i] as number) - (e[i] as number)) * Math.log((a[i] as number) / (e[i] as number)), 0);
}

/** Rule of thumb for PSI: < 0.1 stable, 0.1–0.2 moderate, > 0.2 a significant shift. */
export const PSI_DRIFT = 0.2;
/** Unseen-word share above the eval rows' by more than this is vocabulary drift. */
export const OOV_DRIFT = 0.1;

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

const bucketOf = (n: number): string => {
  for (const b of LENGTH_BUCKETS) if (n <= b) return `≤${b}`;
  return `>${LENGTH_BUCKETS[LENGTH_BUCKETS.length - 1]}`;
};

/** What input drift is measured against: computed once from the training (and eval) rows. */
export interface InputProfile {
  readonly lengths: Readonly<Record<string, number>>;
  readonly vocabulary: readonly string[];
  /** Share of the eval rows' words not in `vocabulary`: the unseen rate to expect without drift. */
  readonly eval_oov_rate: number;
  readonly labels?: Readonly<Record<string, number>>;
}

const countBy = <T>(xs: Iterable<T>, key: (x: T) => string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
};

function oovRate(texts: readonly string[], vocabulary: ReadonlySet<string>): number {
  let total = 0;
  let unseen = 0;
  for (const t of texts) {
    for (const w of words(t)) {
      total++;
      if (!vocabulary.has(w)) unseen++;
    }
  }
  return total > 0 ? unseen / total : 0;
}

/** The profile of the training prompts (and labels), with the eval prompts' unseen-word rate as the reference. */
export function inputProfile(train: readonly string[], evalPrompts: readonly string[], labels?: readonly string[]): InputProfile {
  const vocabulary = new Set(train.flatMap(words));
  return {
    lengths: Object.fromEntries(countBy(train, (t) => bucketOf(words(t).length))),
    vocabulary: [...vocabulary].sort(),
    eval_oov_rate: oovRate(evalPrompts, vocabulary),
    ...(labels ? { labels: Object.fromEntries(countBy(labels, (l) => l)) } : {}),
  };
}

export interface InputDrift {
  readonly requests: number;
  readonly length_psi: number;
  readonly oov_rate: number;
  readonly oov_increase: number;
  readonly label_psi?: number;
  /** Which signals drifted: `length`, `vocabulary`, `labels`. */
  readonly drifted: readonly string[];
}

/** Input drift of recent request prompts (and predicted labels) against the training profile. */
export function inputDrift(profile: InputProfile, prompts: readonly string[], predictedLabels?: readonly string[]): InputDrift {
  const length_psi = psi(new Map(Object.entries(profile.lengths)), countBy(prompts, (t) => bucketOf(words(t).length)));
  const oov_rate = oovRate(prompts, new Set(profile.vocabulary));
  const oov_increase = oov_rate - profile.eval_oov_rate;
  const label_psi = profile.labels && predictedLabels && predictedLabels.length > 0 ? psi(new Map(Object.entries(profile.labels)), countBy(predictedLabels, (l) => l)) : undefined;
  const drifted: string[] = [];
  if (length_psi > PSI_DRIFT) drifted.push('length');
  if (oov_increase > OOV_DRIFT) drifted.push('vocabulary');
  if (label_psi !== undefined && label_psi > PSI_DRIFT) drifted.push('labels');
  return { requests: prompts.length, length_psi, oov_rate, oov_increase, ...(label_psi !== undefined ? { label_psi } : {}), drifted };
}
