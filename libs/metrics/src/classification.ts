import { prf, safeDivide, type PrecisionRecallF1 } from './common.js';

/** One scored row: the gold label and the label parsed from the model's output (`null` when nothing parsed). */
export interface ClassificationRow {
  readonly reference: string;
  readonly prediction: string | null;
}

/** Per-class scores, scikit-learn `classification_report` style. */
export interface ClassScores extends PrecisionRecallF1 {
  readonly label: string;
  /** Rows whose reference is this label. */
  readonly support: number;
}

/** Confusion counts: `matrix[i][j]` rows with reference `labels[i]` and prediction `labels[j]`. */
export interface ConfusionMatrix {
  readonly labels: readonly string[];
  readonly matrix: readonly (readonly number[])[];
  /** `unparseable[i]`: rows with reference `labels[i]` whose prediction is unparseable (the extra column). */
  readonly unparseable: readonly number[];
}

/** Classification metrics over rows (see `classificationReport`). */
export interface ClassificationReport {
  readonly n: number;
  /** Correct rows / all rows; an unparseable prediction is wrong. */
  readonly accuracy: number;
  readonly unparseable: number;
  readonly unparseable_rate: number;
  readonly per_class: readonly ClassScores[];
  /** Unweighted mean over `labels` (labels without support included, as scikit-learn does with explicit labels). */
  readonly macro: PrecisionRecallF1;
  /** Mean over `labels` weighted by support. */
  readonly weighted: PrecisionRecallF1;
  /**
   * Pooled counts over `labels`: precision = Σ TP / parseable predictions, recall = Σ TP / rows. Unparseable outputs
   * lower recall, not precision, so micro precision differs from accuracy when some outputs do not parse.
   */
  readonly micro: PrecisionRecallF1;
  readonly confusion: ConfusionMatrix;
}

/**
 * Classification metrics with scikit-learn's conventions (`classification_report(labels=…, zero_division=0)`):
 * a prediction that is `null` or not one of `labels` counts as unparseable, which scikit-learn sees as a label outside
 * `labels`. Every reference must be one of `labels` (a `RangeError` otherwise).
 */
export function classificationReport(rows: readonly ClassificationRow[], options: { readonly labels: readonly string[] }): ClassificationReport {
  const labels = options.labels;
  const index = new Map(labels.map((label, i) => [label, i] as const));
  if (index.size !== labels.length) throw new RangeError('labels must be distinct');
  const matrix = labels.map(() => labels.map(() => 0));
  const unparseable = labels.map(() => 0);
  for (const row of rows) {
    const r = index.get(row.reference);
    if (r === undefined) throw new RangeError(`reference label '${row.reference}' is not one of the labels`);
    const p = row.prediction === null ? undefined : index.get(row.prediction);
    if (p === undefined) unparseable[r]!++;
    else matrix[r]![p]!++;
  }

  const perClass = labels.map((label, i): ClassScores => {
    const tp = matrix[i]![i]!;
    const predicted = matrix.reduce((sum, row) => sum + row[i]!, 0);
    const support = matrix[i]!.reduce((a, b) => a + b, 0) + unparseable[i]!;
    return { label, ...prf(tp, predicted, support), support };
  });
  const n = rows.length;
  const correct = perClass.reduce((sum, _, i) => sum + matrix[i]![i]!, 0);
  const unparseableTotal = unparseable.reduce((a, b) => a + b, 0);
  return {
    n,
    accuracy: safeDivide(correct, n),
    unparseable: unparseableTotal,
    unparseable_rate: safeDivide(unparseableTotal, n),
    per_class: perClass,
    macro: average(perClass, () => 1),
    weighted: average(perClass, (c) => c.support),
    micro: prf(correct, n - unparseableTotal, n),
    confusion: { labels: [...labels], matrix, unparseable },
  };
}

function average(perClass: readonly ClassScores[], weight: (c: ClassScores) => number): PrecisionRecallF1 {
  const total = perClass.reduce((sum, c) => sum + weight(c), 0);
  const of = (pick: (c: ClassScores) => number): number => safeDivide(perClass.reduce((sum, c) => sum + weight(c) * pick(c), 0), total);
  return { precision: of((c) => c.precision), recall: of((c) => c.recall), f1: of((c) => c.f1) };
}
