import type { TaskProfile } from '@distillery/contracts';
import { parseBaseModelLocator } from './base-model-locator.js';
import { parseDuration } from './duration.js';
import {
  DEFAULT_DPO,
  DEFAULT_LORA,
  DPO_TASK_PROFILES,
  ENGINES,
  LORA_TARGET_MODULES,
  METHODS,
  PRECISIONS,
  RECIPE_VERSION,
  recipeDefaults,
  SCHEDULERS,
  type BatchConfig,
  type CheckpointCadence,
  type DpoConfig,
  type EvalCadence,
  type LoraConfig,
  type LoraTargetModule,
  type Method,
  type OptimConfig,
  type Recipe,
} from './recipe.js';
import { describe, isObj, Reader, SECTION_KEYS, TOP_KEYS, type Obj, type Path } from './recipe-reader.js';
import { closest } from './suggest.js';

/** The recipe's sections, read and checked field by field, then the cross-field rules. */

export interface ReadRecipeOptions {
  /** The dataset's task profile, when known: enables the "dpo needs preference pairs" check. */
  readonly task_profile?: TaskProfile;
}

function readOptim(r: Reader, raw: unknown, method: Method | undefined): OptimConfig | undefined {
  const path = ['optim'];
  const d = recipeDefaults(method ?? 'lora').optim;
  const o = raw === undefined ? {} : r.mapping(raw, path);
  if (o === undefined) return undefined;
  r.keys(o, path, SECTION_KEYS.optim ?? []);
  const learning_rate = r.number(o, 'learning_rate', path, { gt: 0, lte: 1 }, d.learning_rate);
  const min_lr_ratio = r.number(o, 'min_lr_ratio', path, { gte: 0, lte: 1 }, d.min_lr_ratio);
  const scheduler = r.oneOf(o, 'scheduler', path, SCHEDULERS, d.scheduler);
  const warmup_ratio = r.number(o, 'warmup_ratio', path, { gte: 0, lt: 1 }, d.warmup_ratio);
  const epochs = r.number(o, 'epochs', path, { gt: 0, lte: 1000 }, d.epochs);
  const weight_decay = r.number(o, 'weight_decay', path, { gte: 0, lte: 1 }, d.weight_decay);
  const max_grad_norm = r.number(o, 'max_grad_norm', path, { gte: 0 }, d.max_grad_norm);
  const eps = r.number(o, 'eps', path, { gt: 0, lte: 0.01 }, d.eps);
  let betas: readonly [number, number] | undefined = d.betas;
  if (o['betas'] !== undefined) {
    const b = o['betas'];
    if (!Array.isArray(b) || b.length !== 2) {
      r.add([...path, 'betas'], `expected a list of two numbers [beta1, beta2], each in [0, 1), got ${Array.isArray(b) ? `a list of ${b.length}` : describe(b)}`);
      betas = undefined;
    } else {
      const b1 = r.numberAt(b[0], [...path, 'betas', 0], { gte: 0, lt: 1 });
      const b2 = r.numberAt(b[1], [...path, 'betas', 1], { gte: 0, lt: 1 });
      betas = b1 === undefined || b2 === undefined ? undefined : [b1, b2];
    }
  }
  if (scheduler === 'constant' && min_lr_ratio !== undefined && min_lr_ratio > 0) {
    r.add([...path, 'min_lr_ratio'], `expected 0 with scheduler constant (only cosine and linear decay to a minimum), got ${min_lr_ratio}`);
  }
  if (
    learning_rate === undefined ||
    min_lr_ratio === undefined ||
    scheduler === undefined ||
    warmup_ratio === undefined ||
    epochs === undefined ||
    weight_decay === undefined ||
    max_grad_norm === undefined ||
    eps === undefined ||
    betas === undefined
  )
    return undefined;
  return { learning_rate, min_lr_ratio, scheduler, warmup_ratio, epochs, weight_decay, max_grad_norm, betas, eps };
}

function readBatch(r: Reader, raw: unknown, method: Method | undefined): BatchConfig | undefined {
  const path = ['batch'];
  const d = recipeDefaults(method ?? 'lora').batch;
  const o = raw === undefined ? {} : r.mapping(raw, path);
  if (o === undefined) return undefined;
  r.keys(o, path, SECTION_KEYS.batch ?? []);
  const per_device = r.number(o, 'per_device', path, { int: true, gte: 1, lte: 4096 }, d.per_device);
  const grad_accum = r.number(o, 'grad_accum', path, { int: true, gte: 1, lte: 4096 }, d.grad_accum);
  return per_device === undefined || grad_accum === undefined ? undefined : { per_device, grad_accum };
}

function readLora(r: Reader, raw: unknown): LoraConfig | undefined {
  const path = ['lora'];
  const o = raw === undefined ? {} : r.mapping(raw, path);
  if (o === undefined) return undefined;
  r.keys(o, path, SECTION_KEYS.lora ?? []);
  const rank = r.number(o, 'r', path, { int: true, gte: 1, lte: 1024 }, DEFAULT_LORA.r);
  const alpha = r.number(o, 'alpha', path, { gt: 0 }, rank === undefined ? DEFAULT_LORA.alpha : 2 * rank);
  const dropout = r.number(o, 'dropout', path, { gte: 0, lt: 1 }, DEFAULT_LORA.dropout);
  const target_modules = readTargetModules(r, o['target_modules'], [...path, 'target_modules']);
  if (rank === undefined || alpha === undefined || dropout === undefined || target_modules === undefined) return undefined;
  return { r: rank, alpha, dropout, target_modules };
}

function readTargetModules(r: Reader, raw: unknown, path: Path): readonly LoraTargetModule[] | undefined {
  if (raw === undefined) return DEFAULT_LORA.target_modules;
  if (raw === 'all-linear') return LORA_TARGET_MODULES;
  const expected = `a non-empty list of ${LORA_TARGET_MODULES.join(', ')} (or "all-linear")`;
  if (!Array.isArray(raw) || raw.length === 0) {
    const near = typeof raw === 'string' ? closest(raw, LORA_TARGET_MODULES) : undefined;
    r.add(path, `expected ${expected}, got ${Array.isArray(raw) ? 'an empty list' : describe(raw)}${near === undefined ? '' : `; did you mean ["${near}"]?`}`);
    return undefined;
  }
  const out: LoraTargetModule[] = [];
  let ok = true;
  raw.forEach((m: unknown, i) => {
    if (typeof m === 'string' && (LORA_TARGET_MODULES as readonly string[]).includes(m)) {
      if (out.includes(m as LoraTargetModule)) {
        r.add([...path, i], `expected each module once, got "${m}" again`);
        ok = false;
      } else out.push(m as LoraTargetModule);
      return;
    }
    const near = typeof m === 'string' ? closest(m, LORA_TARGET_MODULES) : undefined;
    r.add([...path, i], `expected one of ${LORA_TARGET_MODULES.join(' | ')}, got ${describe(m)}${near === undefined ? '' : `; did you mean "${near}"?`}`);
    ok = false;
  });
  return ok ? out : undefined;
}

function readDpo(r: Reader, raw: unknown): DpoConfig | undefined {
  const path = ['dpo'];
  const o = raw === undefined ? {} : r.mapping(raw, path);
  if (o === undefined) return undefined;
  r.keys(o, path, SECTION_KEYS.dpo ?? []);
  const beta = r.number(o, 'beta', path, { gt: 0, lte: 10 }, DEFAULT_DPO.beta);
  const reference = r.oneOf(o, 'reference', path, ['base'] as const, DEFAULT_DPO.reference);
  return beta === undefined || reference === undefined ? undefined : { beta, reference };
}

function readCheckpointCadence(r: Reader, raw: unknown): CheckpointCadence | undefined {
  const path = ['checkpoint_cadence'];
  if (raw === undefined || raw === 'epoch') return 'epoch';
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1) return { steps: raw };
  if (isObj(raw)) {
    r.keys(raw, path, SECTION_KEYS.checkpoint_cadence ?? []);
    const steps = r.number(raw, 'steps', path, { int: true, gte: 1 });
    return steps === undefined ? undefined : { steps };
  }
  r.add(path, `expected "epoch" or {steps: N} with N an integer ≥ 1, got ${describe(raw)}`);
  return undefined;
}

function readEvalEvery(r: Reader, raw: unknown): EvalCadence | undefined {
  if (raw === undefined || raw === 'epoch') return 'epoch';
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1) return raw;
  r.add(['eval_every'], `expected an integer ≥ 1 (optimizer steps) or "epoch", got ${describe(raw)}`);
  return undefined;
}

function readBaseModel(r: Reader, raw: unknown): string | undefined {
  if (typeof raw !== 'string') {
    r.add(['base_model'], `expected a model locator file:<dir> or hf:<id>[@revision], got ${describe(raw)}`);
    return undefined;
  }
  const parsed = parseBaseModelLocator(raw);
  if (parsed.ok) return raw;
  const hint = /^[A-Za-z0-9][\w.-]*\/[\w.-]+(@[\w./-]+)?$/.test(raw) ? `; did you mean "hf:${raw}"?` : '';
  r.add(['base_model'], `expected a model locator file:<dir> or hf:<id>[@revision] (${parsed.reason}), got ${describe(raw)}${hint}`);
  return undefined;
}

/** Validates a plain-object recipe; issue paths are relative to `root`. */
export function readRecipe(r: Reader, doc: Obj, options: ReadRecipeOptions): Recipe | undefined {
  r.keys(doc, [], TOP_KEYS);

  let version: typeof RECIPE_VERSION | undefined;
  if (doc['recipe_version'] === RECIPE_VERSION) version = RECIPE_VERSION;
  else r.add(['recipe_version'], `expected ${RECIPE_VERSION} (the recipe format this version of Distillery reads), got ${describe(doc['recipe_version'])}`);

  const base_model = readBaseModel(r, doc['base_model']);
  const method = r.oneOf(doc, 'method', [], METHODS);
  const d = recipeDefaults(method ?? 'lora');

  // Cross-field: a section for another method is a mistake, not something to ignore silently.
  if (doc['lora'] !== undefined && method !== undefined && method !== 'lora') {
    r.add(['lora'], `a lora section needs method lora, but method is ${method}`);
  }
  if (doc['dpo'] !== undefined && method !== undefined && method !== 'dpo') {
    r.add(['dpo'], `a dpo section needs method dpo, but method is ${method}`);
  }
  if (method === 'dpo' && options.task_profile !== undefined && !(DPO_TASK_PROFILES as readonly string[]).includes(options.task_profile)) {
    r.add(['method'], `expected a method other than dpo for task profile ${options.task_profile}: dpo needs preference pairs (task profile ${DPO_TASK_PROFILES.join(' | ')})`);
  }
  const lora = method === 'lora' || (method === undefined && doc['lora'] !== undefined) ? readLora(r, doc['lora']) : undefined;
  const dpo = method === 'dpo' || (method === undefined && doc['dpo'] !== undefined) ? readDpo(r, doc['dpo']) : undefined;

  const optim = readOptim(r, doc['optim'], method);
  const batch = readBatch(r, doc['batch'], method);
  const max_seq_len = r.number(doc, 'max_seq_len', [], { int: true, gte: 16, lte: 1_048_576 }, d.max_seq_len);
  const precision = r.oneOf(doc, 'precision', [], PRECISIONS, d.precision);
  const checkpoint_cadence = readCheckpointCadence(r, doc['checkpoint_cadence']);
  const eval_every = readEvalEvery(r, doc['eval_every']);
  const seed = r.number(doc, 'seed', [], { int: true, gte: 0, lte: 2 ** 32 - 1 }, d.seed);
  const engine = r.oneOf(doc, 'engine', [], ENGINES, d.engine);

  let max_duration: number | null | undefined = null;
  const rawDuration = doc['max_duration'];
  if (rawDuration !== undefined && rawDuration !== null) {
    max_duration = parseDuration(rawDuration);
    if (max_duration === undefined) {
      r.add(['max_duration'], `expected a duration > 0 such as 5400 (seconds), "90m", "2h" or "1h30m", got ${describe(rawDuration)}`);
    }
  }

  if (
    r.issues.length > 0 ||
    version === undefined ||
    base_model === undefined ||
    method === undefined ||
    optim === undefined ||
    batch === undefined ||
    max_seq_len === undefined ||
    precision === undefined ||
    checkpoint_cadence === undefined ||
    eval_every === undefined ||
    seed === undefined ||
    engine === undefined ||
    max_duration === undefined
  )
    return undefined;

  const head = { recipe_version: version, base_model };
  const tail = { optim, batch, max_seq_len, precision, checkpoint_cadence, eval_every, seed, max_duration, engine };
  switch (method) {
    case 'full':
      return { ...head, method, ...tail };
    case 'lora':
      return lora === undefined ? undefined : { ...head, method, lora, ...tail };
    case 'dpo':
      return dpo === undefined ? undefined : { ...head, method, dpo, ...tail };
    default: {
      const _never: never = method;
      return _never;
    }
  }
}
