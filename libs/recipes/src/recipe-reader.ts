import { closest } from './suggest.js';

/**
 * The validating reader behind parseRecipe: walks a plain object, collects every issue (path + what was expected)
 * instead of stopping at the first, and suggests the key or value that was probably meant.
 */

export type Path = readonly (string | number)[];
export type Obj = Readonly<Record<string, unknown>>;

export const TOP_KEYS = [
  'recipe_version',
  'base_model',
  'method',
  'lora',
  'dpo',
  'optim',
  'batch',
  'max_seq_len',
  'precision',
  'checkpoint_cadence',
  'eval_every',
  'seed',
  'max_duration',
  'engine',
] as const;
export const SECTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  optim: ['learning_rate', 'min_lr_ratio', 'scheduler', 'warmup_ratio', 'epochs', 'weight_decay', 'max_grad_norm', 'betas', 'eps'],
  batch: ['per_device', 'grad_accum'],
  lora: ['r', 'alpha', 'dropout', 'target_modules'],
  dpo: ['beta', 'reference'],
  checkpoint_cadence: ['steps'],
};

/** Names people bring from transformers / PEFT / TRL / Tinker configs, mapped to where the recipe keeps them. */
const ALIASES: Readonly<Record<string, string>> = {
  lr: 'optim.learning_rate',
  num_epochs: 'optim.epochs',
  num_train_epochs: 'optim.epochs',
  lr_scheduler_type: 'optim.scheduler',
  lr_schedule: 'optim.scheduler',
  warmup: 'optim.warmup_ratio',
  adam_beta1: 'optim.betas',
  adam_beta2: 'optim.betas',
  adam_epsilon: 'optim.eps',
  batch_size: 'batch.per_device',
  per_device_train_batch_size: 'batch.per_device',
  gradient_accumulation_steps: 'batch.grad_accum',
  rank: 'lora.r',
  lora_rank: 'lora.r',
  lora_r: 'lora.r',
  lora_alpha: 'lora.alpha',
  lora_dropout: 'lora.dropout',
  max_length: 'max_seq_len',
  max_seq_length: 'max_seq_len',
  model: 'base_model',
  model_name: 'base_model',
  save_every: 'checkpoint_cadence',
  save_strategy: 'checkpoint_cadence',
  timeout: 'max_duration',
  version: 'recipe_version',
};

export interface RawIssue {
  readonly path: Path;
  readonly message: string;
  /** Point at the key rather than its value (unknown keys). */
  readonly atKey?: boolean;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const join = (path: Path): string =>
  path.length === 0 ? '(root)' : path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s === '' ? p : `${s}.${p}`), '');

export interface NumRule {
  readonly int?: boolean;
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
}

function expectation(r: NumRule): string {
  const what = r.int ? 'an integer' : 'a number';
  const lo = r.gt !== undefined ? `> ${r.gt}` : r.gte !== undefined ? `≥ ${r.gte}` : undefined;
  const hi = r.lt !== undefined ? `< ${r.lt}` : r.lte !== undefined ? `≤ ${r.lte}` : undefined;
  if (r.gte !== undefined && r.lt !== undefined) return `${what} in [${r.gte}, ${r.lt})`;
  if (r.gte !== undefined && r.lte !== undefined) return `${what} from ${r.gte} to ${r.lte}`;
  return [what, lo, hi === undefined ? undefined : lo === undefined ? hi : `and ${hi}`].filter((s) => s !== undefined).join(' ');
}

const satisfies = (v: number, r: NumRule): boolean =>
  (!r.int || Number.isInteger(v)) &&
  (r.gt === undefined || v > r.gt) &&
  (r.gte === undefined || v >= r.gte) &&
  (r.lt === undefined || v < r.lt) &&
  (r.lte === undefined || v <= r.lte);

/** Collects issues while reading a plain-object recipe. Every reader returns undefined for an invalid value. */
export class Reader {
  readonly issues: RawIssue[] = [];

  add(path: Path, message: string, atKey = false): void {
    this.issues.push({ path, message, atKey });
  }

  mapping(value: unknown, path: Path): Obj | undefined {
    if (isObj(value)) return value;
    this.add(path, `expected a mapping, got ${describe(value)}`);
    return undefined;
  }

  keys(obj: Obj, path: Path, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      this.add([...path, key], `unknown key${suggestKey(key, path, known)}`, true);
    }
  }

  number(obj: Obj, key: string, path: Path, rule: NumRule, fallback?: number): number | undefined {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    return this.numberAt(v, [...path, key], rule);
  }

  numberAt(v: unknown, path: Path, rule: NumRule): number | undefined {
    if (typeof v === 'number' && Number.isFinite(v) && satisfies(v, rule)) return v;
    this.add(path, `expected ${expectation(rule)}, got ${describe(v)}`);
    return undefined;
  }

  oneOf<T extends string>(obj: Obj, key: string, path: Path, values: readonly T[], fallback?: T): T | undefined {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    const near = typeof v === 'string' ? closest(v, values) : undefined;
    this.add([...path, key], `expected one of ${values.join(' | ')}, got ${describe(v)}${near === undefined ? '' : `; did you mean "${near}"?`}`);
    return undefined;
  }
}

function suggestKey(key: string, path: Path, known: readonly string[]): string {
  const sibling = closest(key, known);
  if (sibling !== undefined) return `; did you mean "${sibling}"?`;
  const alias = ALIASES[key.toLowerCase()];
  if (alias !== undefined) return `; did you mean ${alias}?`;
  // A key of another section written in the wrong place (e.g. `epochs` at the top level).
  const here = path.filter((p) => typeof p === 'string').join('.');
  for (const [section, keys] of Object.entries(SECTION_KEYS)) {
    if (section === here) continue;
    const hit = closest(key, keys);
    if (hit !== undefined && hit.length > 2) return `; did you mean ${section}.${hit}?`;
  }
  const top = path.length > 0 ? closest(key, TOP_KEYS) : undefined;
  return top === undefined ? '' : `; did you mean ${top} (at the top level)?`;
}
