import type { PreparedManifest } from '@distillery/contracts';
import { formatDuration, humanDuration } from './duration.js';
import { estimatePeakMemory, estimateStepSeconds, ESTIMATE_PROFILES, estimateProfile, type Device, type ModelShape } from './estimates.js';
import { AUTOPILOT_RULES, autopilotLearningRate, autopilotLora, DEFAULT_SEQ_LEN, targetEffectiveBatch } from './autopilot.rules.js';
import { fmtBytes, fmtInt, fmtNum, fmtParams, niceCeil, niceFloor, pow2Floor } from './format.js';
import { primaryAccelerator, type BaseModelSummary, type HardwareProfile } from './hardware.js';
import {
  DEFAULT_DPO,
  DPO_TASK_PROFILES,
  RECIPE_VERSION,
  RecipeSchema,
  recipeDefaults,
  type CheckpointCadence,
  type Engine,
  type LoraConfig,
  type Method,
  type Precision,
  type Recipe,
} from './recipe.js';

/**
 * Autopilot: a complete recipe from the prepared manifest, the hardware and the base model, with one line per choice
 * saying why. The rules and their thresholds are in autopilot.rules.ts (README "Autopilot rules").
 */

export interface AutopilotOptions {
  /** Force a method (dpo still needs a dpo dataset). */
  readonly method?: Method;
  /** Force an engine; default torch with a GPU, ort without. */
  readonly engine?: Engine;
  readonly seed?: number;
  /** Token lengths of the rendered train rows (prompt + response through the chat template); p95 sets max_seq_len. */
  readonly token_lengths?: { readonly p95: number; readonly max?: number };
  /** Share of host memory to plan for on a CPU (default 0.5). */
  readonly memory_fraction?: number;
  /** Upper bound on total optimizer steps (default 5,000). */
  readonly max_steps?: number;
}

export interface AutopilotDecision {
  /** The recipe field decided (dotted path). */
  readonly field: string;
  readonly value: string;
  readonly reason: string;
  /** `field value: reason`, one line. */
  readonly line: string;
}

export interface AutopilotResult {
  readonly recipe: Recipe;
  readonly decisions: readonly AutopilotDecision[];
  /** Things a person should know before starting (long runs, memory that does not fit, tiny data). */
  readonly warnings: readonly string[];
  readonly estimates: {
    readonly steps_per_epoch: number;
    readonly total_steps: number;
    readonly peak_memory_bytes: number;
    readonly memory_budget_bytes: number;
    readonly fits_memory: boolean;
    /** Seconds per optimizer step (all grad_accum micro-batches). */
    readonly step_seconds: number;
    /** Training + evaluation + start-up, estimated. */
    readonly duration_seconds: number;
  };
}

export class AutopilotError extends Error {
  readonly code = 'RECIPES.AUTOPILOT_IMPOSSIBLE';
  constructor(message: string) {
    super(message);
    this.name = 'AutopilotError';
  }
}

function roundUpTo(x: number, step: number): number {
  return Math.ceil(x / step) * step;
}

export function autopilot(manifest: PreparedManifest, hardware: HardwareProfile, model: BaseModelSummary, options: AutopilotOptions = {}): AutopilotResult {
  const R = AUTOPILOT_RULES;
  const rows = manifest.counts.train;
  const evalRows = manifest.counts.eval;
  const profile = manifest.task_profile;
  if (rows < 1) throw new AutopilotError(`the manifest has no train rows (task profile ${profile}); prepare the dataset again with a train split`);
  const isDpoData = (DPO_TASK_PROFILES as readonly string[]).includes(profile);
  if (options.method === 'dpo' && !isDpoData) throw new AutopilotError(`method dpo needs preference pairs (task profile dpo); this dataset is ${profile}`);

  const decisions: AutopilotDecision[] = [];
  const warnings: string[] = [];
  const decide = (field: string, value: string, reason: string): void => {
    decisions.push({ field, value, reason, line: `${field} ${value}: ${reason}` });
  };
  const shape: ModelShape = {
    parameters: model.parameters,
    hidden_size: model.hidden_size,
    layers: model.layers,
    heads: model.heads ?? Math.max(1, Math.round(model.hidden_size / 64)),
    vocab: model.vocab,
    ...(model.intermediate_size === undefined ? {} : { intermediate_size: model.intermediate_size }),
  };
  const what = profile === 'dpo' ? 'preference pairs' : 'train rows';

  decide('base_model', model.locator, `${fmtParams(model.parameters)} parameters, ${fmtInt(model.layers)} layers, ${fmtInt(model.max_position_embeddings)} positions`);

  // ---- engine, device, precision
  const gpu = primaryAccelerator(hardware);
  const engine: Engine = options.engine ?? (gpu ? 'torch' : 'ort');
  const device: Device = engine === 'torch' && gpu ? 'cuda' : 'cpu';
  decide(
    'engine',
    engine,
    options.engine !== undefined
      ? 'requested'
      : gpu
        ? `a CUDA GPU (${fmtBytes(gpu.memory_bytes)}) is present; torch is the GPU engine`
        : `no GPU; the ONNX Runtime engine is the CPU default (${hardware.cpu_cores} cores)`,
  );
  const precision: Precision = device === 'cuda' ? (gpu?.bf16 === false ? 'fp16' : 'bf16') : 'fp32';
  decide(
    'precision',
    precision,
    device === 'cuda'
      ? `mixed precision on the GPU halves activation memory and uses the tensor cores${precision === 'fp16' ? ' (this GPU has no bf16)' : ''}`
      : `the CPU engines compute in fp32 only`,
  );

  // ---- max_seq_len
  const cap = model.max_position_embeddings;
  const seqDecision = decisions.length;
  let maxSeqLen: number;
  if (options.token_lengths !== undefined) {
    const want = Math.max(64, roundUpTo(options.token_lengths.p95, 64));
    maxSeqLen = Math.min(want, cap);
    decide(
      'max_seq_len',
      String(maxSeqLen),
      `p95 of the rendered ${what} is ${fmtInt(options.token_lengths.p95)} tokens, rounded up to a multiple of 64` +
        (want > cap ? `, capped by the model's ${fmtInt(cap)} positions` : '') +
        '; the longest 5 % are truncated',
    );
  } else {
    const want = DEFAULT_SEQ_LEN[profile];
    maxSeqLen = Math.min(want, cap);
    decide('max_seq_len', String(maxSeqLen), `no token-length statistics; the ${profile} default${want > cap ? `, capped by the model's ${fmtInt(cap)} positions` : ''}`);
  }
  maxSeqLen = Math.max(16, maxSeqLen);

  // ---- memory budget and a batch finder
  const budget = device === 'cuda' && gpu ? gpu.memory_bytes * R.gpu_memory_fraction : hardware.memory_bytes * (options.memory_fraction ?? R.cpu_memory_fraction);
  const budgetWhat = device === 'cuda' ? `${fmtBytes(budget)} of GPU memory (90 %)` : `a ${fmtBytes(budget)} budget (${Math.round((options.memory_fraction ?? R.cpu_memory_fraction) * 100)} % of host memory)`;
  const loraFor = autopilotLora(model.parameters, rows);
  const memFor = (method: Method, batch: number) =>
    estimatePeakMemory({
      ...shape,
      method,
      ...(method === 'lora' ? { lora_r: loraFor.r, lora_target_modules: loraFor.target_modules } : {}),
      precision,
      batch,
      seq_len: maxSeqLen,
      engine,
      device,
    });
  const stepFor = (method: Method, batch: number) =>
    estimateStepSeconds(
      { ...shape, method, ...(method === 'lora' ? { lora_r: loraFor.r, lora_target_modules: loraFor.target_modules } : {}), precision, batch, seq_len: maxSeqLen, engine },
      device === 'cuda' ? hardware : { ...hardware, accelerators: [] },
    );

  // ---- method
  const target = targetEffectiveBatch(rows);
  let method: Method;
  if (options.method !== undefined) {
    method = options.method;
    decide('method', method, 'requested');
  } else if (isDpoData) {
    method = 'dpo';
    decide('method', 'dpo', `the dataset holds ${fmtInt(rows)} preference pairs (task profile dpo); DPO trains on them directly, against the frozen base model`);
  } else {
    const probe = Math.min(target, 8);
    const ratio = stepFor('full', probe) / stepFor('lora', probe);
    const fullFits = memFor('full', 1).total_bytes <= budget;
    const bigData = rows >= R.full_min_train_rows;
    const fullOk = bigData && fullFits && (device === 'cuda' || model.parameters <= R.cpu_full_max_parameters);
    const where = device === 'cuda' ? 'a GPU' : 'a CPU';
    if (fullOk) {
      method = 'full';
      const share = (memFor('lora', 1).trainable_parameters / model.parameters) * 100;
      decide('method', 'full', `${fmtInt(rows)} ${what} and ${where} with room for every weight's AdamW state; LoRA would train only ${fmtNum(share)} % of the weights`);
    } else {
      method = 'lora';
      const why = !bigData
        ? `${fmtInt(rows)} ${what} and ${where} (full fine-tunes start at ${fmtInt(R.full_min_train_rows)} rows)`
        : !fullFits
          ? `a full fine-tune needs ~${fmtBytes(memFor('full', 1).total_bytes)}, more than ${budgetWhat}`
          : `${fmtInt(rows)} ${what}, but a ${fmtParams(model.parameters)}-parameter model on a CPU (full fine-tunes on a CPU stop at ${fmtParams(R.cpu_full_max_parameters)})`;
      const extra = memFor('full', 1).total_bytes - memFor('lora', 1).total_bytes;
      decide('method', 'lora', `${why}; a full fine-tune would take ~${fmtNum(Math.round(ratio * 10) / 10)}× longer per step and ~${fmtBytes(extra)} more memory`);
    }
  }
  let lora: LoraConfig | undefined;
  if (method === 'lora') {
    lora = loraFor;
    decide('lora.r', String(lora.r), `a ${fmtParams(model.parameters)}-parameter model (r 8 below 100M, 16 below 1B, 32 above); alpha ${lora.alpha} = 2r`);
    decide('lora.target_modules', 'all linear layers', 'adapting the MLP as well as attention matters more than a larger rank');
    decide('lora.dropout', String(lora.dropout), rows < 1_000 ? `only ${fmtInt(rows)} ${what}: more regularisation` : 'the usual value');
  } else if (method === 'dpo') {
    decide('dpo.beta', String(DEFAULT_DPO.beta), 'the usual strength of the pull towards the reference (the base model)');
  }

  // ---- batch
  const maxPer = Math.min(target, device === 'cuda' ? R.gpu_max_per_device : R.cpu_max_per_device);
  const findBatch = (): { perDevice: number; fits: boolean } => {
    for (let b = pow2Floor(maxPer); b >= 1; b /= 2) if (memFor(method, b).total_bytes <= budget) return { perDevice: b, fits: true };
    return { perDevice: 1, fits: false };
  };
  let { perDevice, fits } = findBatch();
  // Not even one sequence fits: shorten sequences (down to 128 tokens) before giving up.
  const wantedSeqLen = maxSeqLen;
  while (!fits && maxSeqLen > R.min_fit_seq_len) {
    maxSeqLen = Math.max(R.min_fit_seq_len, Math.floor(maxSeqLen / 2 / 64) * 64);
    ({ perDevice, fits } = findBatch());
  }
  if (maxSeqLen < wantedSeqLen) {
    const previous = decisions[seqDecision];
    const reason = `${previous?.value ?? wantedSeqLen} tokens do not fit ${budgetWhat} even one ${method === 'dpo' ? 'pair' : 'sequence'} at a time; ${fits ? 'halved until they do' : `not even ${maxSeqLen} fit`}`;
    decisions[seqDecision] = { field: 'max_seq_len', value: String(maxSeqLen), reason, line: `max_seq_len ${maxSeqLen}: ${reason}` };
    warnings.push(`max_seq_len lowered from ${wantedSeqLen} to ${maxSeqLen} to fit memory: longer rows are truncated`);
  }
  const gradAccum = Math.max(1, Math.ceil(target / perDevice));
  const peak = memFor(method, perDevice).total_bytes;
  const unit = `${method === 'dpo' ? 'pair' : 'sequence'}${perDevice === 1 ? '' : 's'}`;
  decide(
    'batch',
    `${perDevice} × ${gradAccum}`,
    `effective batch ${perDevice * gradAccum} for ${fmtInt(rows)} ${what}; ${perDevice} ${unit} of ${maxSeqLen} tokens at a time peak at ~${fmtBytes(peak)}, ${fits ? 'within' : 'over'} ${budgetWhat}` +
      (device === 'cpu' && perDevice === maxPer && maxPer === R.cpu_max_per_device ? ' (larger CPU micro-batches add memory, not speed)' : ''),
  );
  if (!fits) {
    warnings.push(
      `even 1 ${method === 'dpo' ? 'pair' : 'sequence'} of ${maxSeqLen} tokens needs ~${fmtBytes(peak)}, more than ${budgetWhat}: preflight will block this run; use LoRA, a smaller base model or more memory`,
    );
  }

  // ---- epochs and steps
  const worldSize = 1;
  const stepsPerEpoch = Math.ceil(rows / (perDevice * gradAccum * worldSize));
  const maxSteps = options.max_steps ?? R.default_max_total_steps;
  const base = R.base_epochs[method];
  let epochs = base;
  let epochWhy: string;
  if (stepsPerEpoch * base < R.min_total_steps) {
    epochs = Math.min(R.max_epochs[method], Math.ceil(R.min_total_steps / stepsPerEpoch));
    epochWhy = `only ${stepsPerEpoch} steps per epoch; ${epochs} epochs give ${stepsPerEpoch * epochs} steps (at most ${R.max_epochs[method]} epochs: more would memorise the data)`;
  } else if (stepsPerEpoch * base > maxSteps) {
    epochs = Math.max(1, Math.floor(maxSteps / stepsPerEpoch));
    epochWhy = `${fmtInt(stepsPerEpoch)} steps per epoch; ${epochs} epoch${epochs === 1 ? '' : 's'} keep${epochs === 1 ? 's' : ''} the run near ${fmtInt(maxSteps)} steps (never less than one epoch)`;
  } else {
    epochWhy = `${fmtInt(stepsPerEpoch)} steps per epoch, ${fmtInt(stepsPerEpoch * base)} in all: the usual ${base} passes for ${method === 'dpo' ? 'DPO' : 'fine-tuning'}`;
  }
  const totalSteps = stepsPerEpoch * epochs;
  decide('optim.epochs', String(epochs), epochWhy);

  const learningRate = autopilotLearningRate(method, model.parameters);
  decide(
    'optim.learning_rate',
    fmtNum(learningRate),
    `${method === 'lora' ? 'LoRA' : method === 'dpo' ? 'DPO' : 'full fine-tune'} rate for a ${fmtParams(model.parameters)}-parameter model` +
      (method === 'lora' ? ' (adapters train at ~10× the full fine-tune rate)' : method === 'dpo' ? ' (DPO drifts quickly: a low rate)' : ''),
  );
  const warmupRatio = Math.min(0.1, Math.max(0.03, Math.round((10 / totalSteps) * 100) / 100));
  decide('optim.scheduler', `cosine, warmup_ratio ${warmupRatio}`, `${Math.ceil(warmupRatio * totalSteps)} warmup steps of ${fmtInt(totalSteps)}, then cosine decay to 0`);

  // ---- time, checkpoints, evaluation
  const microSeconds = stepFor(method, perDevice);
  const stepSeconds = microSeconds * gradAccum;
  const trainSeconds = totalSteps * stepSeconds;
  const profileId = estimateProfile(engine, device);
  const forwardShare = method === 'lora' ? 1 / ESTIMATE_PROFILES[profileId].lora_flop_factor : method === 'dpo' ? 1 / 4 : 1 / 3;
  const evalSeconds = Math.ceil(evalRows / perDevice) * microSeconds * forwardShare;

  const maxBetween = Math.max(1, Math.floor(R.max_seconds_between_checkpoints / stepSeconds));
  let checkpoint: CheckpointCadence;
  if (epochs >= 2 && stepsPerEpoch <= maxBetween) {
    checkpoint = 'epoch';
    decide('checkpoint_cadence', 'epoch', `${epochs} checkpoints, one per epoch (~${humanDuration(stepsPerEpoch * stepSeconds)} apart)`);
  } else {
    const every = Math.min(niceCeil(totalSteps / 5), niceFloor(maxBetween));
    checkpoint = { steps: every };
    decide(
      'checkpoint_cadence',
      `every ${fmtInt(every)} steps`,
      `~${Math.ceil(totalSteps / every)} checkpoints over ${fmtInt(totalSteps)} steps, at most ${humanDuration(R.max_seconds_between_checkpoints)} of training apart`,
    );
  }

  let evalEvery: number | 'epoch';
  let evals: number;
  if (evalRows === 0) {
    evalEvery = 'epoch';
    evals = 0;
    warnings.push('the manifest has no eval rows: training loss is the only signal until the gold-set evaluation');
    decide('eval_every', 'epoch', 'no eval rows; the engine skips evaluation');
  } else {
    const affordable = evalSeconds > 0 ? Math.floor((R.max_eval_share * trainSeconds) / evalSeconds) : R.target_evals;
    const wanted = Math.max(1, Math.min(R.target_evals, affordable));
    const every = Math.min(totalSteps, niceCeil(totalSteps / wanted));
    evalEvery = every;
    evals = Math.floor(totalSteps / every);
    decide(
      'eval_every',
      String(every),
      `${evals} evaluations of ${fmtInt(evalRows)} eval rows (~${humanDuration(evalSeconds)} each), kept under ~${Math.round(R.max_eval_share * 100)} % of training time`,
    );
  }

  const duration = trainSeconds + evals * evalSeconds + R.startup_seconds;
  const limit = roundUpTo(2 * duration + 300, duration > 4 * 3600 ? 1800 : 300);
  decide(
    'max_duration',
    formatDuration(limit),
    `~${fmtInt(totalSteps)} steps × ${fmtNum(stepSeconds)} s${evals > 0 ? ` + ${evals} evaluations` : ''} ≈ ${humanDuration(duration)} estimated; twice that plus 5 min of slack`,
  );
  if (duration > R.long_run_seconds) {
    warnings.push(
      device === 'cpu'
        ? `the run is estimated at ${humanDuration(duration)} on ${hardware.cpu_cores} CPU cores; a GPU (engine torch), a smaller base model or fewer rows would be faster`
        : `the run is estimated at ${humanDuration(duration)}; consider fewer epochs or rows`,
    );
  }
  if (rows < 100) warnings.push(`only ${fmtInt(rows)} ${what}: expect memorisation; the gold set will tell whether the model generalises`);

  const seed = options.seed ?? recipeDefaults(method).seed;
  decide('seed', String(seed), options.seed !== undefined ? 'requested' : 'fixed, so a rerun of this recipe reproduces the run');

  const defaults = recipeDefaults(method);
  const common = {
    recipe_version: RECIPE_VERSION,
    base_model: model.locator,
    optim: { ...defaults.optim, learning_rate: learningRate, warmup_ratio: warmupRatio, epochs, scheduler: 'cosine' as const },
    batch: { per_device: perDevice, grad_accum: gradAccum },
    max_seq_len: maxSeqLen,
    precision,
    checkpoint_cadence: checkpoint,
    eval_every: evalEvery,
    seed,
    max_duration: limit,
    engine,
  };
  const recipe: Recipe =
    method === 'lora' && lora !== undefined
      ? { ...common, method, lora }
      : method === 'dpo'
        ? { ...common, method, dpo: DEFAULT_DPO }
        : { ...common, method: 'full' };
  RecipeSchema.parse(recipe); // a broken rule is a bug here, not a bad recipe later

  return {
    recipe,
    decisions,
    warnings,
    estimates: {
      steps_per_epoch: stepsPerEpoch,
      total_steps: totalSteps,
      peak_memory_bytes: peak,
      memory_budget_bytes: Math.round(budget),
      fits_memory: fits,
      step_seconds: stepSeconds,
      duration_seconds: duration,
    },
  };
}
