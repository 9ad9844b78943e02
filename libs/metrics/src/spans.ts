import { mean, prf, type PrecisionRecallF1 } from './common.js';

/** A typed span; offsets are whatever the task uses (characters or tokens), compared exactly. */
export interface Span {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/** One span_set row: gold spans and the spans parsed from the model's output. */
export interface SpanRow {
  readonly gold: readonly Span[];
  readonly predicted: readonly Span[];
}

/** Strict matching counts of one row. An off-by-one boundary is one miss plus one hallucination. */
export interface SpanRowCounts {
  readonly matched: number;
  readonly missed: number;
  readonly hallucinated: number;
}

/** Strict-match scores of one span type. */
export interface SpanTypeScores extends PrecisionRecallF1 {
  readonly type: string;
  /** Gold spans of this type. */
  readonly support: number;
  readonly predicted: number;
  readonly matched: number;
}

/** span_set metrics over rows (see `spanSetScores`). */
export interface SpanSetScores {
  readonly n: number;
  /** Pooled over every span of every type. */
  readonly micro: PrecisionRecallF1;
  /** Unweighted mean over the types of `per_type`. */
  readonly macro: PrecisionRecallF1;
  readonly per_type: readonly SpanTypeScores[];
  readonly totals: SpanRowCounts;
  readonly per_row: readonly SpanRowCounts[];
}

const keyOf = (s: Span): string => JSON.stringify([s.type, s.start, s.end]);

function counted(spans: readonly Span[]): Map<string, { span: Span; count: number }> {
  const out = new Map<string, { span: Span; count: number }>();
  for (const span of spans) {
    const key = keyOf(span);
    const entry = out.get(key);
    if (entry) entry.count++;
    else out.set(key, { span, count: 1 });
  }
  return out;
}

/**
 * Strict span matching (seqeval's strict mode, CoNLL style): a predicted span counts only when type, start and end all
 * equal a gold span's. Spans are multisets: a span predicted twice but gold once is one match and one hallucination.
 * Per-type and macro scores cover the union of gold and predicted types (sorted), or exactly `options.types` when
 * given (spans of other types then count in micro scores only).
 */
export function spanSetScores(rows: readonly SpanRow[], options: { readonly types?: readonly string[] } = {}): SpanSetScores {
  const byType = new Map<string, { gold: number; predicted: number; matched: number }>();
  const bump = (type: string, field: 'gold' | 'predicted' | 'matched', by: number): void => {
    const entry = byType.get(type) ?? { gold: 0, predicted: 0, matched: 0 };
    entry[field] += by;
    byType.set(type, entry);
  };
  const perRow = rows.map((row): SpanRowCounts => {
    const gold = counted(row.gold);
    const predicted = counted(row.predicted);
    let matched = 0;
    for (const [key, g] of gold) {
      const m = Math.min(g.count, predicted.get(key)?.count ?? 0);
      matched += m;
      bump(g.span.type, 'gold', g.count);
      bump(g.span.type, 'matched', m);
    }
    for (const p of predicted.values()) bump(p.span.type, 'predicted', p.count);
    return { matched, missed: row.gold.length - matched, hallucinated: row.predicted.length - matched };
  });

  const types = options.types ?? [...byType.keys()].sort();
  const perType = types.map((type): SpanTypeScores => {
    const c = byType.get(type) ?? { gold: 0, predicted: 0, matched: 0 };
    return { type, ...prf(c.matched, c.predicted, c.gold), support: c.gold, predicted: c.predicted, matched: c.matched };
  });
  const totals = {
    matched: perRow.reduce((sum, r) => sum + r.matched, 0),
    missed: perRow.reduce((sum, r) => sum + r.missed, 0),
    hallucinated: perRow.reduce((sum, r) => sum + r.hallucinated, 0),
  };
  return {
    n: rows.length,
    micro: prf(totals.matched, totals.matched + totals.hallucinated, totals.matched + totals.missed),
    macro: {
      precision: mean(perType.map((t) => t.precision)),
      recall: mean(perType.map((t) => t.recall)),
      f1: mean(perType.map((t) => t.f1)),
    },
    per_type: perType,
    totals,
    per_row: perRow,
  };
}
