import type { ShapeHypothesis } from '@distillery/contracts';
import { signatureOf, type ColumnSignature } from './signature.js';
import { MAPPER_RULES, isGenericName, isMetadataName, nameCue, type ColumnView, type MapperRule, type RoleRule } from './rules.js';
import { normalizeValue } from './values.js';

/** Below this confidence nothing is imported without an explicit choice (`--force` / a picked mapper). */
export const AUTO_IMPORT_MIN_CONFIDENCE = 0.8;

/** A role is only filled by a column scoring at least this much. */
const MIN_ROLE_SCORE = 0.25;
/** Optional roles are filled only by a convincing column. */
const MIN_OPTIONAL_SCORE = 0.5;
/** Candidates kept per role for the assignment search. */
const CANDIDATES_PER_ROLE = 4;
/** Hypotheses under this confidence are not listed. */
const MIN_LISTED_CONFIDENCE = 0.15;
/** A runner-up this close to the top makes the top ambiguous. */
const CLOSE_RUNNER_UP = 0.05;
const MAX_LEFTOVER_PENALTY = 0.45;

export interface IntrospectInput {
  /** Column names in source order (the header, or the keys seen in JSON rows). */
  readonly columns: readonly string[];
  /** The sample rows (~20; sample across the file when it may be sorted). */
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Source format (`csv`, `tsv`, `jsonl`, `txt`, `conll`, `parquet`, `hf`, …): reported back as given. */
  readonly format?: string;
}

export interface NamedColumnSignature extends ColumnSignature {
  readonly name: string;
}

export interface IntrospectionResult {
  readonly format?: string;
  readonly sample_size: number;
  /** One signature per column, in column order (keys found only in rows are appended). */
  readonly columns: readonly NamedColumnSignature[];
  /** Ranked, best first; only hypotheses whose required roles all found a column. */
  readonly hypotheses: readonly ShapeHypothesis[];
  /** The top hypothesis, or null when no mapper fits at all. Proposed, not chosen: see `auto_ok`. */
  readonly proposed: ShapeHypothesis | null;
  /** proposed.confidence ≥ AUTO_IMPORT_MIN_CONFIDENCE: safe to import without asking. */
  readonly auto_ok: boolean;
  /** Problems with the sample as a whole. */
  readonly warnings: readonly string[];
}

interface Scored {
  readonly role: RoleRule;
  readonly col: ColumnView;
  readonly score: number;
  readonly fit: number;
  readonly cue: number;
}

function roleScore(role: RoleRule, col: ColumnView): Scored {
  const fit = Math.max(0, Math.min(1, role.fit(col)));
  const raw = nameCue(col.name, role.cues);
  // Roles that content cannot tell apart (chosen vs rejected) get nothing from a name that says nothing.
  const cue = role.nameRequired && raw === 0.5 && isGenericName(col.name) ? 0 : raw;
  const score = fit * (1 - role.nameWeight + role.nameWeight * cue);
  return { role, col, score, fit, cue };
}

/** How much an unexplained column counts against a hypothesis (× its non-null share). */
function leftoverWeight(col: ColumnView): number {
  const s = col.signature;
  if (s.kind === 'empty' || s.id_like || s.numbers_only) return 0;
  // A bookkeeping name (title, source, …) excuses short values, not free text: a dropped paragraph is still dropped.
  if (isMetadataName(col.name) && !(s.kind === 'text' && s.mean_words >= 3)) return 0;
  switch (s.kind) {
    case 'numeric':
    case 'boolean':
      return 0.03;
    case 'categorical':
      return 0.2;
    case 'text':
      return 0.2;
    case 'mixed':
      return 0.08;
    default:
      return 0.1;
  }
}

const squash = (v: unknown): string => (Array.isArray(v) ? v.map(String).join('') : typeof v === 'string' ? v : '').replace(/\s+/g, '');

/**
 * A leftover that only restates assigned columns explains nothing new and is not "dropped": e.g. CoNLL's `# text`
 * line, which is the sentence's tokens joined (compared without whitespace, as tokenization moves spaces).
 */
function derivedFrom(col: ColumnView, assignment: readonly Scored[]): boolean {
  if (col.signature.kind !== 'text') return false;
  return assignment.some((a) => {
    let seen = 0;
    for (let i = 0; i < col.values.length; i += 1) {
      const mine = squash(col.values[i]);
      if (!mine) continue;
      if (mine !== squash(a.col.values[i])) return false;
      seen += 1;
    }
    return seen > 0;
  });
}

/** Exhaustive search over the top candidates per role: distinct columns, maximal total score. */
function bestAssignment(rule: MapperRule, cols: readonly ColumnView[]): Scored[] | undefined {
  const perRole = rule.roles.map((role) =>
    cols
      .map((c) => roleScore(role, c))
      .filter((s) => s.score >= (role.required ? MIN_ROLE_SCORE : MIN_OPTIONAL_SCORE))
      .sort((a, b) => b.score - a.score)
      .slice(0, CANDIDATES_PER_ROLE),
  );
  if (rule.roles.some((r, i) => r.required && (perRole[i]?.length ?? 0) === 0)) return undefined;

  let best: Scored[] | undefined;
  let bestTotal = -1;
  const walk = (i: number, used: Set<string>, acc: Scored[], total: number): void => {
    if (i === rule.roles.length) {
      if (total > bestTotal) {
        bestTotal = total;
        best = [...acc];
      }
      return;
    }
    const role = rule.roles[i] as RoleRule;
    for (const cand of perRole[i] ?? []) {
      if (used.has(cand.col.name)) continue;
      used.add(cand.col.name);
      acc.push(cand);
      walk(i + 1, used, acc, total + cand.score);
      acc.pop();
      used.delete(cand.col.name);
    }
    if (!role.required) walk(i + 1, used, acc, total);
  };
  walk(0, new Set(), [], 0);
  return best;
}

function describe(s: Scored): string {
  const sig = s.col.signature;
  const name = s.cue === 1 ? 'name matches' : s.cue >= 0.7 ? 'name suggests it' : s.cue === 0.5 ? 'unnamed column' : 'name does not say';
  return `${s.role.name} ← '${s.col.name}' (${sig.kind}, fit ${s.fit.toFixed(2)}, ${name})`;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function hypothesize(rule: MapperRule, cols: readonly ColumnView[], sampleFactor: number): ShapeHypothesis | undefined {
  const assignment = bestAssignment(rule, cols);
  if (!assignment) return undefined;
  const required = assignment.filter((s) => s.role.required).map((s) => s.score);
  if (required.length === 0) return undefined;
  const base = 0.5 * Math.min(...required) + 0.5 * (required.reduce((a, b) => a + b, 0) / required.length);
  const optionalBonus = 0.02 * assignment.filter((s) => !s.role.required).length;

  const assigned: Record<string, ColumnView> = {};
  for (const s of assignment) assigned[s.role.name] = s.col;
  const check = rule.check?.(assigned) ?? { factor: 1, warnings: [], notes: [] };
  const warnings = [...check.warnings];

  const used = new Set(assignment.map((s) => s.col.name));
  const leftovers = cols.filter((c) => !used.has(c.name) && !derivedFrom(c, assignment));
  const leftoverPenalty = Math.min(
    MAX_LEFTOVER_PENALTY,
    leftovers.reduce((sum, c) => sum + leftoverWeight(c) * c.signature.non_null_share, 0),
  );
  const unexplained = leftovers.filter((c) => leftoverWeight(c) * c.signature.non_null_share >= 0.05);
  if (unexplained.length > 0) {
    warnings.push(`not used by this mapper: ${unexplained.map((c) => `'${c.name}' (${c.signature.kind})`).join(', ')}`);
  }

  // Ambiguity inside the hypothesis: another column fits a role about as well as the chosen one.
  let ambiguity = 0;
  for (const s of assignment) {
    const rival = leftovers
      .map((c) => roleScore(s.role, c))
      .filter((r) => r.score >= 0.5 && r.score >= s.score - 0.03)
      .sort((a, b) => b.score - a.score)[0];
    if (rival) {
      ambiguity += 0.08;
      warnings.push(`ambiguous: '${rival.col.name}' fits role ${s.role.name} as well as '${s.col.name}'; check the field map`);
    }
  }

  const confidence = Math.max(
    0,
    Math.min(0.99, rule.prior * base * check.factor * sampleFactor + optionalBonus - leftoverPenalty - ambiguity),
  );
  const field_map: Record<string, string> = {};
  for (const role of rule.roles) {
    const s = assignment.find((a) => a.role === role);
    if (s) field_map[role.name] = s.col.name;
  }
  const variant = rule.variant ? ` · ${rule.variant}` : '';
  const rationale = [
    `${rule.mapper_id} (${rule.task_profile}${variant}): ${assignment.map(describe).join('; ')}`,
    ...check.notes,
  ].join('. ');
  return { mapper_id: rule.mapper_id, task_profile: rule.task_profile, field_map, confidence: round3(confidence), rationale, warnings };
}

/**
 * Sniffs the shape of a sample and proposes mappers.
 *
 * Each rule (see `MAPPER_RULES`) fills its roles with the columns that fit best — content first (a column's
 * signature), name second (at most ±12 % for most roles; chosen / rejected, which content cannot tell apart, lean on
 * names more) — and scores: prior × (½ min + ½ mean of the required role scores) × structural check (token/tag
 * alignment, answers found in contexts, chosen ≠ rejected, …), minus penalties for informative columns the mapper
 * leaves unexplained and for roles another column fits as well. A top hypothesis whose runner-up is within 0.05 is
 * capped below the auto-import threshold. Nothing here decides: `auto_ok` tells the caller whether it may.
 */
export function introspect(input: IntrospectInput): IntrospectionResult {
  const seen = new Set(input.columns);
  const names = [...seen];
  for (const row of input.rows) {
    for (const k of Object.keys(row)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }

  const cols: ColumnView[] = names.map((name) => {
    const raw = input.rows.map((r) => (Object.prototype.hasOwnProperty.call(r, name) ? r[name] : null));
    return { name, signature: signatureOf(raw), values: raw.map((v) => normalizeValue(v).value) };
  });

  const n = input.rows.length;
  const warnings: string[] = [];
  if (n === 0) warnings.push('the sample is empty');
  else if (n < 10) warnings.push(`only ${n} sample rows: confidence is reduced`);
  const sampleFactor = n >= 10 ? 1 : 0.8 + 0.02 * n;

  const hypotheses = MAPPER_RULES.map((rule) => hypothesize(rule, cols, sampleFactor))
    .filter((h): h is ShapeHypothesis => h !== undefined && h.confidence >= MIN_LISTED_CONFIDENCE)
    .sort((a, b) => b.confidence - a.confidence);

  const [top, second] = hypotheses;
  if (top && second && top.confidence >= AUTO_IMPORT_MIN_CONFIDENCE && top.confidence - second.confidence < CLOSE_RUNNER_UP) {
    // Too close to call: everything is capped just under the threshold (order kept), and the top says why.
    const cap = round3(AUTO_IMPORT_MIN_CONFIDENCE - 0.01);
    hypotheses.forEach((h, i) => {
      const warnings = i === 0 ? [...h.warnings, `runner-up ${second.mapper_id} is within ${CLOSE_RUNNER_UP} (${second.confidence}): choose explicitly`] : h.warnings;
      hypotheses[i] = { ...h, confidence: Math.min(h.confidence, cap), warnings };
    });
  }
  const proposed = hypotheses[0] ?? null;
  if (!proposed) warnings.push('no mapper fits this sample');
  else if (proposed.confidence < AUTO_IMPORT_MIN_CONFIDENCE) {
    warnings.push(
      `best guess ${proposed.mapper_id} has confidence ${proposed.confidence} < ${AUTO_IMPORT_MIN_CONFIDENCE}: choose the mapper and field map explicitly`,
    );
  }
  return {
    ...(input.format !== undefined ? { format: input.format } : {}),
    sample_size: n,
    columns: cols.map((c) => ({ name: c.name, ...c.signature })),
    hypotheses,
    proposed,
    auto_ok: proposed !== null && proposed.confidence >= AUTO_IMPORT_MIN_CONFIDENCE,
    warnings,
  };
}
