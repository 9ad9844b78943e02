import { codePoints, splitWhitespace, stripWhitespace } from './common.js';

/** One transcript row: the reference transcript and the model's hypothesis. */
export interface TranscriptRow {
  readonly reference: string;
  readonly hypothesis: string;
}

/** Edit operations of an alignment (reference → hypothesis). */
export interface EditCounts {
  readonly hits: number;
  readonly substitutions: number;
  readonly deletions: number;
  readonly insertions: number;
}

/** WER or CER with its edit counts, summed over rows. */
export interface ErrorRate extends EditCounts {
  /** (substitutions + deletions + insertions) / reference units; above 1 when the hypothesis inserts a lot. */
  readonly rate: number;
  /** Reference words (WER) or characters (CER), summed over rows. */
  readonly reference_units: number;
}

/**
 * Minimum edit alignment of two sequences (unit costs). The total of substitutions + deletions + insertions is the
 * Levenshtein distance; among equally short alignments the backtrace prefers a match or substitution, then a
 * deletion, then an insertion. Memory is O(n·m): meant for sentence- or utterance-sized rows.
 */
export function alignmentCounts(reference: readonly string[], hypothesis: readonly string[]): EditCounts {
  const n = reference.length;
  const m = hypothesis.length;
  const d: Uint32Array[] = Array.from({ length: n + 1 }, (_, i) => {
    const row = new Uint32Array(m + 1);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= m; j++) d[0]![j] = j;
  for (let i = 1; i <= n; i++) {
    const row = d[i]!;
    const prev = d[i - 1]!;
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1]! + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      row[j] = Math.min(sub, prev[j]! + 1, row[j - 1]! + 1);
    }
  }
  let hits = 0;
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = d[i]![j]!;
    if (i > 0 && j > 0) {
      const same = reference[i - 1] === hypothesis[j - 1];
      if (here === d[i - 1]![j - 1]! + (same ? 0 : 1)) {
        if (same) hits++;
        else substitutions++;
        i--;
        j--;
        continue;
      }
    }
    if (i > 0 && here === d[i - 1]![j]! + 1) {
      deletions++;
      i--;
    } else {
      insertions++;
      j--;
    }
  }
  return { hits, substitutions, deletions, insertions };
}

function errorRate(rows: readonly TranscriptRow[], units: (text: string) => string[]): ErrorRate {
  let hits = 0;
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let referenceUnits = 0;
  for (const row of rows) {
    const ref = units(row.reference);
    const c = alignmentCounts(ref, units(row.hypothesis));
    hits += c.hits;
    substitutions += c.substitutions;
    deletions += c.deletions;
    insertions += c.insertions;
    referenceUnits += ref.length;
  }
  if (referenceUnits === 0) throw new RangeError('the references hold no words or characters: the error rate is undefined');
  return {
    rate: (substitutions + deletions + insertions) / referenceUnits,
    hits,
    substitutions,
    deletions,
    insertions,
    reference_units: referenceUnits,
  };
}

/**
 * Word error rate as jiwer computes it: each row aligned on its own, total edits over total reference words. Words are
 * split on whitespace (jiwer collapses runs of whitespace to one space and splits on spaces; the two differ only for a
 * lone tab or newline between words, which jiwer keeps inside one word). Case and punctuation count.
 */
export function wordErrorRate(rows: readonly TranscriptRow[]): ErrorRate {
  return errorRate(rows, splitWhitespace);
}

/**
 * Character error rate as jiwer's `cer`: leading and trailing whitespace stripped, then every character (code point)
 * counts, spaces included, per row; total edits over total reference characters.
 */
export function characterErrorRate(rows: readonly TranscriptRow[]): ErrorRate {
  return errorRate(rows, (text) => codePoints(stripWhitespace(text)));
}
