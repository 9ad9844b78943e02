import type { DecoderConfig, Tensor, TensorMap, TokenizerFiles } from '@distillery/models';
import type { PaddedBatch } from '@distillery/tasks';

/**
 * The engine-neutral training API: what a trainer worker calls, whichever engine runs the maths. The `ort` engine in
 * this lib implements it with onnxruntime-node; a `torch` engine can implement the same interface (DESIGN "Training
 * engines"). Shapes and names follow the Hugging Face layout: weights are keyed by their transformers names, LoRA
 * adapters by their PEFT names.
 *
 * The option types are structural subsets of libs/recipes' `LoraConfig`, `DpoConfig` and `OptimConfig`, so a resolved
 * recipe's sections can be passed as they are.
 */

export type EngineMethod = 'full' | 'lora' | 'dpo';

/** The linear layers LoRA can adapt (transformers module names). */
export const ENGINE_LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type EngineLoraTarget = (typeof ENGINE_LORA_TARGETS)[number];

export interface EngineLoraConfig {
  readonly r: number;
  readonly alpha: number;
  /** Dropout on each adapter's input while training (0 = none); masks depend only on (seed, step, module). */
  readonly dropout: number;
  readonly target_modules: readonly EngineLoraTarget[];
}

export interface EngineDpoConfig {
  /** The β of −log σ(β((π_c − ref_c) − (π_r − ref_r))). */
  readonly beta: number;
}

/** AdamW settings (torch.optim.AdamW semantics, with global-norm clipping); the learning rate comes with each step. */
export interface EngineOptimConfig {
  readonly weight_decay: number;
  /** Global-norm clipping; 0 (or Infinity) turns clipping off. */
  readonly max_grad_norm: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

export interface EngineRunOptions {
  readonly config: DecoderConfig;
  /** The base model's weights by transformers name (F32 values), e.g. `Checkpoint.readAll()` of a model folder. */
  readonly weights: TensorMap<Tensor>;
  /**
   * `full`: every weight trains. `lora`: adapters on `lora.target_modules`, the base frozen. `dpo`: preference
   * pairs against the frozen base model as reference; the policy trains fully, or only adapters when `lora` is given.
   */
  readonly method: EngineMethod;
  readonly lora?: EngineLoraConfig;
  readonly dpo?: EngineDpoConfig;
  readonly optim: EngineOptimConfig;
  /** Seeds the LoRA initialisation and the dropout masks. */
  readonly seed: number;
  /** Sequence-length buckets (e.g. `defaultBuckets(max_seq_len)`): every batch's `seq` must be one of them. */
  readonly buckets: readonly number[];
  /** onnxruntime intra-op threads (default 2). */
  readonly threads?: number;
  /**
   * ort engine: how the frozen base weights of a LoRA run reach the graphs — `inputs` (default: one shared copy fed
   * on every run) or `initializers` (each graph stores its own copy; same speed within noise, one more copy of the
   * base model per graph and bucket).
   */
  readonly frozenAs?: 'initializers' | 'inputs';
}

/** A preference batch (DPO): row i of `chosen` and row i of `rejected` share a prompt. */
export interface PreferenceBatch {
  readonly chosen: PaddedBatch;
  readonly rejected: PaddedBatch;
}

/** Token ids (and optionally which are real) for a forward pass: row-major [batch, seq]. */
export interface ForwardInput {
  readonly batch: number;
  readonly seq: number;
  readonly input_ids: Int32Array | readonly number[];
  /** 1 = a real token, 0 = padding (default: all real). */
  readonly attention_mask?: Uint8Array | readonly number[];
}

export interface StepOptions {
  readonly lr: number;
}

export interface StepResult {
  /** The loss of this batch before the update (mean token cross-entropy, or the mean DPO loss; over all micro-batches). */
  readonly loss: number;
  /** Global L2 norm of the gradients before clipping. */
  readonly grad_norm: number;
  /** Tokens that counted in the loss (labels after the next-token shift that are not IGNORE_INDEX). */
  readonly tokens: number;
  /** DPO only: mean of β((π_c − ref_c) − (π_r − ref_r)) and the share of pairs where it is positive. */
  readonly reward_margin?: number;
  readonly reward_accuracy?: number;
}

/** Everything a run needs to continue exactly where it was: trainable values, AdamW moments, optimizer steps taken. */
export interface RunState {
  readonly step: number;
  readonly params: ReadonlyMap<string, Tensor>;
  readonly m: ReadonlyMap<string, Tensor>;
  readonly v: ReadonlyMap<string, Tensor>;
}

export interface ExportOptions {
  /** Tokenizer files written into every model folder (required for a model folder: HF layout). */
  readonly tokenizer?: TokenizerFiles;
  /** LoRA runs: also write the merged model (W + α/r · B·A) as an HF folder in `<dir>/merged` (needs tokenizer). */
  readonly merged?: boolean;
  /** `base_model_name_or_path` of adapter_config.json (default ''). */
  readonly baseModel?: string;
}

export interface ExportedModel {
  /** HF-layout model folder (full and full-DPO runs; LoRA runs with `merged`). */
  readonly modelDir?: string;
  /** PEFT adapter folder (LoRA runs). */
  readonly adapterDir?: string;
  readonly files: readonly string[];
}

/** One training run of one model with one method. Not safe for concurrent calls: await each before the next. */
export interface TrainingRun {
  readonly method: EngineMethod;
  readonly config: DecoderConfig;
  readonly seed: number;
  /** Optimizer steps taken so far. */
  readonly stepCount: number;
  /** Names and shapes of the trainable tensors (HF names; PEFT names for adapters). */
  readonly trainable: ReadonlyMap<string, readonly number[]>;
  /**
   * One AdamW step on the batch at learning rate `lr`. DPO runs take a PreferenceBatch. Given several micro-batches
   * (gradient accumulation), their gradients are summed, each weighted by its share of the step's loss tokens (DPO:
   * pairs), and applied once: the same update as one batch of all their rows, in the memory of the largest one.
   */
  step(batch: PaddedBatch | PreferenceBatch | ReadonlyArray<PaddedBatch | PreferenceBatch>, options: StepOptions): Promise<StepResult>;
  /** Token-weighted mean cross-entropy over the batches (DPO runs given preference batches: mean DPO loss). */
  evalLoss(batches: Iterable<PaddedBatch> | Iterable<PreferenceBatch>): Promise<number>;
  /** Forward pass of the current model (adapters applied): logits [batch, seq, vocab], row-major. */
  logits(input: ForwardInput, options?: { readonly adapters?: boolean }): Promise<Float32Array>;
  /** A copy of the run's state (for checkpoints). */
  state(): RunState;
  /** Replaces the run's state with a saved one (same trainable names and shapes). */
  restore(state: RunState): void;
  /** The model's full weights by transformers name (LoRA merged into the base), copied. */
  mergedWeights(): Map<string, Tensor>;
  exportModel(dir: string, options?: ExportOptions): Promise<ExportedModel>;
  /** Releases the onnxruntime sessions. */
  close(): Promise<void>;
}

/** The recipe sections a run needs (structurally libs/recipes' resolved Recipe). */
export interface RecipeLike {
  readonly method: EngineMethod;
  readonly lora?: EngineLoraConfig;
  readonly dpo?: EngineDpoConfig;
  readonly optim: EngineOptimConfig;
}

/** The method-dependent part of EngineRunOptions from a resolved recipe: method, its LoRA / DPO section, AdamW. */
export function runOptionsFromRecipe(recipe: RecipeLike): Pick<EngineRunOptions, 'method' | 'lora' | 'dpo' | 'optim'> {
  const o = recipe.optim;
  return {
    method: recipe.method,
    ...(recipe.method === 'lora' && recipe.lora ? { lora: recipe.lora } : {}),
    ...(recipe.method === 'dpo' && recipe.dpo ? { dpo: { beta: recipe.dpo.beta } } : {}),
    optim: { weight_decay: o.weight_decay, max_grad_norm: o.max_grad_norm, betas: o.betas, eps: o.eps },
  };
}
