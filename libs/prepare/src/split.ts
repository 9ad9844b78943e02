import type { SplitStrategy } from '@distillery/contracts';
import { hashUnit } from '@distillery/cleaning';

/**
 * Train / eval / gold splits that are deterministic from a seed and stable per row: a row's place comes from
 * u = hashUnit(row_id, seed), a number in [0, 1) that depends on nothing else. The unit interval is cut gold first:
 *
 *   [0, gold)            → gold
 *   [gold, gold + eval)  → eval
 *   [gold + eval, 1)     → train
 *
 * so the gold set of a seed never changes when rows are added, removed or reordered, and changing the eval ratio
 * never moves a row into or out of gold. Split counts are then binomial around the ratios (exact quotas would make a
 * row's split depend on the other rows); `stratified` trades a little of that stability for exact quotas per stratum
 * (see splitRows).
 */
export const SPLITS = ['train', 'eval', 'gold'] as const;
export type SplitName = (typeof SPLITS)[number];

export interface SplitRatios {
  readonly train: number;
  readonly eval: number;
  readonly gold: number;
}

export const DEFAULT_RATIOS: SplitRatios = { train: 0.8, eval: 0.1, gold: 0.1 };

export class SplitConfigError extends Error {
  readonly code = 'PREPARE.SPLIT_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SplitConfigError';
  }
}

export class SplitInvariantError extends Error {
  readonly code = 'PREPARE.SPLIT_INVARIANT_BROKEN';
  constructor(
    message: string,
    readonly row_ids: readonly string[],
  ) {
    super(message);
    this.name = 'SplitInvariantError';
  }
}

/** Ratios must be finite, ≥ 0, sum to 1 (±1e-9), and leave train a positive share. */
export function validateRatios(r: SplitRatios): SplitRatios {
  for (const k of SPLITS) {
    const v = r[k];
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new SplitConfigError(`ratio ${k} must be in [0, 1], got ${v}`);
  }
  if (Math.abs(r.train + r.eval + r.gold - 1) > 1e-9) throw new SplitConfigError(`ratios must sum to 1, got ${r.train + r.eval + r.gold}`);
  if (r.train <= 0) throw new SplitConfigError('the train ratio must be positive');
  return r;
}

/** The split a unit value falls in (gold band first, then eval, then train). */
export function splitOfUnit(u: number, ratios: SplitRatios): SplitName {
  if (u < ratios.gold) return 'gold';
  if (u < ratios.gold + ratios.eval) return 'eval';
  return 'train';
}

/** The stable split of one row: the same row_id and seed give the same split whatever the other rows are. */
export function assignSplit(rowId: string, seed: number, ratios: SplitRatios = DEFAULT_RATIOS): SplitName {
  return splitOfUnit(hashUnit(rowId, seed), ratios);
}

/** The stable split of a group (group_disjoint): every row of the group goes there. */
export function assignGroupSplit(groupKey: string, seed: number, ratios: SplitRatios = DEFAULT_RATIOS): SplitName {
  return splitOfUnit(hashUnit(`group\u0000${groupKey}`, seed), ratios);
}

/** Stratum / group key used for rows whose field is missing, null or empty. */
export const MISSING_KEY = '\u2205';

/**
 * The value of `field` in a record as a key: dotted paths reach into objects (`meta.source`); strings as they are,
 * numbers and booleans as text, other values as JSON. Undefined when missing, null or an empty string.
 */
export function fieldKey(record: Readonly<Record<string, unknown>>, field: string): string | undefined {
  let v: unknown = record;
  for (const step of field.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, step)) return undefined;
    v = (v as Record<string, unknown>)[step];
  }
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export interface SplitInput {
  readonly row_id: string;
  readonly record: Readonly<Record<string, unknown>>;
}

export interface SplitResult {
  readonly strategy: SplitStrategy;
  readonly ratios: SplitRatios;
  readonly assignments: ReadonlyMap<string, SplitName>;
  readonly counts: Readonly<Record<SplitName, number>>;
  /** stratified: rows per split in each stratum. group_disjoint: rows per split in each group is implied (one split). */
  readonly strata?: Readonly<Record<string, Readonly<Record<SplitName, number>>>>;
  /** group_disjoint: groups per split. */
  readonly groups?: Readonly<Record<SplitName, number>>;
  /**
   * `empty_split:<name>` (a split with a positive ratio got no rows), `missing_field:<n>` (rows without the
   * stratify / group field; they form their own stratum, or one group per row), `strata_without_holdout:<n>` (strata
   * too small for any eval or gold row), `ratio_drift:<name>` (group_disjoint: a split's share is off its ratio by
   * more than 0.05 because groups differ in size).
   */
  readonly warnings: readonly string[];
}

const emptyCounts = (): Record<SplitName, number> => ({ train: 0, eval: 0, gold: 0 });

interface Ranked {
  readonly row_id: string;
  readonly u: number;
}

/**
 * Largest-remainder allocation of `total` holdout rows over strata proportional to `share · n_s`, never taking a
 * stratum's last train row. Ties go to the stratum key that sorts first.
 */
function allocate(sizes: ReadonlyMap<string, number>, share: number, total: number, taken: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  const keys = [...sizes.keys()].sort();
  let given = 0;
  for (const k of keys) {
    const n = sizes.get(k) ?? 0;
    const room = Math.max(0, n - 1 - (taken.get(k) ?? 0));
    const base = Math.min(room, Math.floor(n * share));
    out.set(k, base);
    given += base;
  }
  const byRemainder = keys
    .map((k) => ({ k, frac: (sizes.get(k) ?? 0) * share - Math.floor((sizes.get(k) ?? 0) * share) }))
    .sort((a, b) => b.frac - a.frac || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  for (const { k } of byRemainder) {
    if (given >= total) break;
    const n = sizes.get(k) ?? 0;
    const cur = out.get(k) ?? 0;
    if (n - 1 - (taken.get(k) ?? 0) - cur <= 0) continue;
    out.set(k, cur + 1);
    given++;
  }
  return out;
}

/**
 * Splits a dataset. Rows need unique row_ids (dedup is the caller's job, before splitting).
 *
 * - `random`: assignSplit per row — fully stable, counts binomial.
 * - `group_disjoint`: every distinct value of `field` is one group placed by assignGroupSplit, so all rows of a group
 *   share a split (no speaker / document / patient crosses from train into eval). Rows without the field are
 *   groups of one. Stable per group; the realised ratios drift when groups differ in size (warned).
 * - `stratified`: per value of `field` (missing → its own stratum), exact quotas: gold and eval each get round(N·r)
 *   rows overall, shared out over strata by largest remainder (so each stratum gets ⌊n_s·r⌋ or one more, and no
 *   stratum gives away its last train row: a singleton class stays in train). Inside a stratum rows are ranked by
 *   the same u = hashUnit(row_id, seed): the lowest go to gold, the next to eval. A row's split therefore depends
 *   only on the rows of its own stratum, never on order, and matches assignSplit except near the quota boundary;
 *   adding rows to a stratum can move the rows closest to its boundaries (that is the price of exact quotas).
 */
export function splitRows(rows: Iterable<SplitInput>, strategy: SplitStrategy, ratios: SplitRatios = DEFAULT_RATIOS): SplitResult {
  validateRatios(ratios);
  const assignments = new Map<string, SplitName>();
  const counts = emptyCounts();
  const warnings: string[] = [];
  let missing = 0;
  const seen = new Set<string>();
  const checkId = (id: string): void => {
    if (seen.has(id)) throw new SplitInvariantError(`row_id ${id} appears twice: dedup and give rows unique ids before splitting`, [id]);
    seen.add(id);
  };
  const put = (id: string, split: SplitName): void => {
    assignments.set(id, split);
    counts[split]++;
  };

  let strataOut: Record<string, Record<SplitName, number>> | undefined;
  let groupsOut: Record<SplitName, number> | undefined;

  if (strategy.kind === 'random') {
    for (const r of rows) {
      checkId(r.row_id);
      put(r.row_id, assignSplit(r.row_id, strategy.seed, ratios));
    }
  } else if (strategy.kind === 'group_disjoint') {
    const groupSplit = new Map<string, SplitName>();
    for (const r of rows) {
      checkId(r.row_id);
      let key = fieldKey(r.record, strategy.field);
      if (key === undefined) {
        missing++;
        key = `${MISSING_KEY}row:${r.row_id}`;
      }
      let split = groupSplit.get(key);
      if (!split) {
        split = assignGroupSplit(key, strategy.seed, ratios);
        groupSplit.set(key, split);
      }
      put(r.row_id, split);
    }
    groupsOut = emptyCounts();
    for (const s of groupSplit.values()) groupsOut[s]++;
    const n = assignments.size;
    for (const s of SPLITS) if (n >= 20 && Math.abs(counts[s] / n - ratios[s]) > 0.05) warnings.push(`ratio_drift:${s}`);
  } else {
    const strata = new Map<string, Ranked[]>();
    for (const r of rows) {
      checkId(r.row_id);
      let key = fieldKey(r.record, strategy.field);
      if (key === undefined) {
        missing++;
        key = MISSING_KEY;
      }
      const list = strata.get(key);
      const item = { row_id: r.row_id, u: hashUnit(r.row_id, strategy.seed) };
      if (list) list.push(item);
      else strata.set(key, [item]);
    }
    const sizes = new Map([...strata].map(([k, v]) => [k, v.length]));
    const n = seen.size;
    const gold = allocate(sizes, ratios.gold, Math.round(n * ratios.gold), new Map());
    const evalQ = allocate(sizes, ratios.eval, Math.round(n * ratios.eval), gold);
    strataOut = {};
    let noHoldout = 0;
    for (const key of [...strata.keys()].sort()) {
      const list = (strata.get(key) ?? []).sort((a, b) => a.u - b.u || (a.row_id < b.row_id ? -1 : 1));
      const g = gold.get(key) ?? 0;
      const e = evalQ.get(key) ?? 0;
      const c = emptyCounts();
      list.forEach((item, i) => {
        const split: SplitName = i < g ? 'gold' : i < g + e ? 'eval' : 'train';
        put(item.row_id, split);
        c[split]++;
      });
      if (c.eval + c.gold === 0 && ratios.eval + ratios.gold > 0) noHoldout++;
      strataOut[key] = c;
    }
    if (noHoldout > 0) warnings.push(`strata_without_holdout:${noHoldout}`);
  }
  if (missing > 0) warnings.push(`missing_field:${missing}`);
  for (const s of SPLITS) if (ratios[s] > 0 && counts[s] === 0 && assignments.size > 0) warnings.push(`empty_split:${s}`);
  return {
    strategy,
    ratios,
    assignments,
    counts,
    ...(strataOut ? { strata: strataOut } : {}),
    ...(groupsOut ? { groups: groupsOut } : {}),
    warnings,
  };
}

/**
 * Checks the split invariants on the row ids actually written: no row in two splits (in particular gold ∩ train = ∅),
 * and, given `groupOf`, no group in two splits. Throws SplitInvariantError naming the offending rows.
 */
export function assertSplitInvariants(
  splits: Readonly<Record<SplitName, Iterable<string>>>,
  options: { readonly groupOf?: (rowId: string) => string | undefined } = {},
): void {
  const where = new Map<string, SplitName>();
  const dupes: string[] = [];
  for (const s of SPLITS) {
    for (const id of splits[s]) {
      const prev = where.get(id);
      if (prev !== undefined && prev !== s) dupes.push(id);
      where.set(id, s);
    }
  }
  if (dupes.length > 0) throw new SplitInvariantError(`${dupes.length} row(s) appear in more than one split (e.g. ${dupes[0]})`, dupes);
  if (!options.groupOf) return;
  const groupSplit = new Map<string, SplitName>();
  const crossing: string[] = [];
  for (const [id, s] of where) {
    const g = options.groupOf(id);
    if (g === undefined) continue;
    const prev = groupSplit.get(g);
    if (prev !== undefined && prev !== s) crossing.push(id);
    else groupSplit.set(g, s);
  }
  if (crossing.length > 0) throw new SplitInvariantError(`${crossing.length} row(s) share a group with rows of another split`, crossing);
}
