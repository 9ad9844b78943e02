import { gateLabel, isLowerBetter, isRelativeGate, isWorstSliceGate, type EvalPack, type Gate, type RelativeGate, type ThresholdGate, type WorstSliceGate } from './eval-pack.js';

/** A metric's value with its confidence interval (bootstrap over rows) and the rows behind it. */
export interface MetricValue {
  readonly value: number;
  readonly ci?: readonly [number, number];
  readonly n?: number;
}

export type MetricTable = Readonly<Record<string, MetricValue>>;

/** What gates are judged on. Lifts are paired differences candidate − reference on the same rows, with intervals. */
export interface GateInputs {
  readonly candidate: MetricTable;
  /** Per slice field, per slice value: that slice's metrics (e.g. `label` → `billing` → { recall, … }). */
  readonly slices?: Readonly<Record<string, Readonly<Record<string, MetricTable>>>>;
  readonly lifts?: {
    readonly base?: MetricTable;
    /** Absent when no version is promoted yet. */
    readonly champion?: MetricTable;
  };
}

export interface GateResult {
  readonly gate: string;
  readonly kind: 'threshold' | 'relative' | 'worst_slice';
  readonly metric: string;
  readonly required: boolean;
  readonly passed: boolean;
  /** The number compared (point value, interval bound, lift or its bound, the worst slice's value); null if missing. */
  readonly value: number | null;
  readonly threshold: number;
  /** Why it passed or failed, in words: e.g. `accuracy 0.71 < 0.8`, `worst label 'bug': recall 0.42 < 0.5`. */
  readonly detail: string;
  /** Worst-slice gates: the slice judged worst. */
  readonly slice?: string;
}

export interface Verdict {
  /** Every required gate passed. */
  readonly promotable: boolean;
  readonly gates: readonly GateResult[];
  /** Labels of the required gates that failed (the reasons promotion is refused). */
  readonly blocking: readonly string[];
  /** Labels of optional gates that failed (reported, not blocking). */
  readonly warnings: readonly string[];
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));

function passes(value: number, g: { gte?: number | undefined; lte?: number | undefined }): boolean {
  return g.gte !== undefined ? value >= g.gte : value <= (g.lte as number);
}

function threshold(g: ThresholdGate, inputs: GateInputs): GateResult {
  const base = { gate: gateLabel(g), kind: 'threshold' as const, metric: g.metric, required: g.required, threshold: (g.gte ?? g.lte) as number };
  const m = inputs.candidate[g.metric];
  if (m === undefined || !Number.isFinite(m.value)) return { ...base, passed: false, value: null, detail: `${g.metric} was not computed` };
  let value = m.value;
  let what = g.metric;
  if (g.bound !== 'point') {
    if (m.ci === undefined) return { ...base, passed: false, value: null, detail: `${g.metric} has no confidence interval for its ${g.bound} bound` };
    value = g.bound === 'lower' ? m.ci[0] : m.ci[1];
    what = `${g.metric} ${g.bound} bound`;
  }
  const ok = passes(value, g);
  const cmp = g.gte !== undefined ? (ok ? '≥' : '<') : ok ? '≤' : '>';
  return { ...base, passed: ok, value, detail: `${what} ${fmt(value)} ${cmp} ${fmt(base.threshold)}` };
}

function relative(g: RelativeGate, inputs: GateInputs): GateResult {
  const base = { gate: gateLabel(g), kind: 'relative' as const, metric: g.metric, required: g.required, threshold: g.min_delta };
  const lifts = inputs.lifts?.[g.relative_to];
  if (lifts === undefined) {
    // No champion yet: the first version has nothing to beat. No base evaluation: the gate cannot be judged.
    if (g.relative_to === 'champion') return { ...base, passed: true, value: null, detail: 'no champion yet: nothing to compare with' };
    return { ...base, passed: false, value: null, detail: 'the base model was not evaluated' };
  }
  const lift = lifts[g.metric];
  if (lift === undefined || !Number.isFinite(lift.value)) return { ...base, passed: false, value: null, detail: `no ${g.metric} lift vs ${g.relative_to}` };
  // Improvement in the metric's better direction: a drop of WER is a positive improvement.
  const sign = isLowerBetter(g.metric) ? -1 : 1;
  let improvement = sign * lift.value;
  let what = `${g.metric} improvement vs ${g.relative_to}`;
  if (g.bound === 'lower') {
    if (lift.ci === undefined) return { ...base, passed: false, value: null, detail: `the ${g.metric} lift vs ${g.relative_to} has no confidence interval` };
    improvement = Math.min(sign * lift.ci[0], sign * lift.ci[1]);
    what = `${what} (lower bound)`;
  }
  const ok = improvement >= g.min_delta;
  return { ...base, passed: ok, value: improvement, detail: `${what} ${fmt(improvement)} ${ok ? '≥' : '<'} ${fmt(g.min_delta)}` };
}

function worstSlice(g: WorstSliceGate, inputs: GateInputs): GateResult {
  const base = { gate: gateLabel(g), kind: 'worst_slice' as const, metric: g.metric, required: g.required, threshold: (g.gte ?? g.lte) as number };
  const slices = inputs.slices?.[g.worst_slice];
  if (slices === undefined) return { ...base, passed: false, value: null, detail: `no slices by ${g.worst_slice}` };
  let worst: { name: string; value: number } | undefined;
  const lower = g.lte !== undefined;
  for (const [name, table] of Object.entries(slices)) {
    const m = table[g.metric];
    if (m === undefined || !Number.isFinite(m.value) || (m.n !== undefined && m.n < g.min_rows)) continue;
    if (worst === undefined || (lower ? m.value > worst.value : m.value < worst.value)) worst = { name, value: m.value };
  }
  if (worst === undefined) return { ...base, passed: false, value: null, detail: `no ${g.worst_slice} slice has ${g.metric} (with ≥ ${g.min_rows} rows)` };
  const ok = passes(worst.value, g);
  const cmp = g.gte !== undefined ? (ok ? '≥' : '<') : ok ? '≤' : '>';
  return { ...base, passed: ok, value: worst.value, slice: worst.name, detail: `worst ${g.worst_slice} '${worst.name}': ${g.metric} ${fmt(worst.value)} ${cmp} ${fmt(base.threshold)}` };
}

export function judgeGate(g: Gate, inputs: GateInputs): GateResult {
  if (isRelativeGate(g)) return relative(g, inputs);
  if (isWorstSliceGate(g)) return worstSlice(g, inputs);
  return threshold(g, inputs);
}

/**
 * The promotability verdict of an evaluation under a pack: every gate judged, with the value compared, the threshold
 * and why; promotable when every required gate passed. A pack without gates makes everything promotable (and says
 * so in `warnings`).
 */
export function judge(pack: Pick<EvalPack, 'gates'>, inputs: GateInputs): Verdict {
  const gates = pack.gates.map((g) => judgeGate(g, inputs));
  const blocking = gates.filter((r) => r.required && !r.passed).map((r) => `${r.gate}: ${r.detail}`);
  const warnings = gates.filter((r) => !r.required && !r.passed).map((r) => `${r.gate}: ${r.detail}`);
  if (gates.length === 0) warnings.push('the eval pack declares no gates: nothing is checked before promotion');
  return { promotable: blocking.length === 0, gates, blocking, warnings };
}
