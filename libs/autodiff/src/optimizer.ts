import { gradients } from './autodiff.js';
import { AutodiffError, AutodiffErrorCodes } from './errors.js';
import { add, div, min, mul, sqrt, sub, sum } from './ops/elementwise.js';
import { reduceSum } from './ops/reduce.js';
import type { Shape, Tensor, TensorSpec } from './tensor.js';

/** Scalar float32 inputs of a training step, fed every run so a scheduler can change them without a rebuild. */
export const HYPERPARAMETER_INPUTS = ['lr', 'beta1', 'beta2', 'eps', 'weight_decay', 'bias_correction1', 'bias_correction2', 'max_grad_norm'] as const;
export type HyperparameterInput = (typeof HYPERPARAMETER_INPUTS)[number];

/** Output names of the loss and of the global gradient norm (before clipping). */
export const LOSS_OUTPUT = 'loss';
export const GRAD_NORM_OUTPUT = 'grad_norm';

/** Added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does. */
export const CLIP_EPSILON = 1e-6;

/** One trainable parameter's slots in the step graph. Each `*Output` feeds the matching `*Input` of the next step. */
export interface ParamSlot {
  readonly name: string;
  readonly shape: Shape;
  /** Whether AdamW's decoupled weight decay applies to it. */
  readonly decay: boolean;
  readonly input: string;
  readonly output: string;
  readonly mInput: string;
  readonly mOutput: string;
  readonly vInput: string;
  readonly vOutput: string;
  /** Present with outputGradients: the clipped gradient. */
  readonly gradOutput?: string;
}

/** The I/O contract of a training-step model: what to feed, what comes back, and which outputs feed which inputs. */
export interface TrainingStepGraph {
  /** Every graph input, in model order: data inputs and params as declared, then m and v, then the hyperparameters. */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly params: readonly ParamSlot[];
  /** Inputs that are neither params, optimizer state nor hyperparameters: token ids, targets, masks. */
  readonly data: readonly TensorSpec[];
  readonly hyperparameters: readonly HyperparameterInput[];
  /** After each run, feed output `from` as input `to` (new params, m and v). */
  readonly feedback: readonly { readonly from: string; readonly to: string }[];
  readonly loss: typeof LOSS_OUTPUT;
  readonly gradNorm: typeof GRAD_NORM_OUTPUT;
}

export interface TrainingStepOptions {
  /** Which params get weight decay (default: all). Norm weights and biases usually do not. */
  readonly decay?: (param: Tensor) => boolean;
  /** Also output each clipped gradient as `grad.<param>` (debugging, tests). */
  readonly outputGradients?: boolean;
  /** Train params that do not reach the loss (zero gradient: only weight decay moves them). Default: throw. */
  readonly allowUnusedParams?: boolean;
  /** Further outputs to expose, e.g. logits. */
  readonly extraOutputs?: Readonly<Record<string, Tensor>>;
  /**
   * Gradient accumulation: each param also takes `gacc.<param>` (the gradients summed over the earlier micro-batches
   * of this optimizer step, from buildGradientPass) and the step clips and applies their sum with this graph's own.
   */
  readonly accumulated?: boolean;
}

/** Input name of a param's accumulated gradient, and output name of the running sum (see buildGradientPass). */
export const accumulatedGradientInput = (param: string): string => `gacc.${param}`;
export const gradientSumOutput = (param: string): string => `gsum.${param}`;

/** The contract of a gradient pass: the loss, and per param the running gradient sum to feed the next micro-batch. */
export interface GradientPassGraph {
  readonly loss: typeof LOSS_OUTPUT;
  readonly params: readonly { readonly name: string; readonly shape: Shape; readonly input: string; readonly gaccInput: string; readonly gsumOutput: string }[];
}

/**
 * The first micro-batches of an accumulated optimizer step: forward, backward and `gsum.<p> = gacc.<p> + ∂loss/∂p`
 * for every param, no update. The last micro-batch runs the training step built with `accumulated: true`, which
 * clips and applies the total. Scale each micro-batch's loss by its share of the step (an input of the forward
 * graph) and the sum of the gradients is the gradient of the whole step's loss.
 */
export function buildGradientPass(loss: Tensor, params: readonly Tensor[], options: Pick<TrainingStepOptions, 'allowUnusedParams' | 'extraOutputs'> = {}): GradientPassGraph {
  const g = loss.graph;
  const { grads } = gradientsOf(loss, params, options.allowUnusedParams === true, 'buildGradientPass');
  g.output(LOSS_OUTPUT, loss);
  const slots = params.map((p, i) => {
    const gacc = g.input(accumulatedGradientInput(p.name), p.shape);
    g.output(gradientSumOutput(p.name), add(gacc, grads[i] as Tensor));
    return { name: p.name, shape: p.shape, input: p.name, gaccInput: gacc.name, gsumOutput: gradientSumOutput(p.name) };
  });
  for (const [name, t] of Object.entries(options.extraOutputs ?? {})) g.output(name, t);
  return { loss: LOSS_OUTPUT, params: slots };
}

function gradientsOf(loss: Tensor, ps: readonly Tensor[], allowUnused: boolean, where: string): { grads: Tensor[] } {
  if (ps.length === 0) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, 'no params to train', where);
  for (const p of ps) {
    if (p.kind !== 'param') throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `${p} is a ${p.kind}, not a param`, where);
  }
  const { grads, reached } = gradients(loss, ps);
  const unused = ps.filter((_, i) => !reached[i]).map((p) => p.name);
  if (unused.length > 0 && !allowUnused) {
    throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `params ${unused.join(', ')} do not reach the loss (pass allowUnusedParams to train them anyway)`, where);
  }
  return { grads };
}

/**
 * Turns a forward graph with a scalar loss into one training step: the gradients of `params` (default: every param
 * of the graph), global-norm clipping to max_grad_norm (feed Infinity to disable) and an AdamW update with
 * torch.optim.AdamW semantics:
 *
 *   g ← g · min(1, max_grad_norm / (‖g‖ + 1e-6))        ‖g‖ over all params together, reported as grad_norm
 *   p ← p · (1 − lr · weight_decay)                      (params with decay only)
 *   m ← beta1 · m + (1 − beta1) · g
 *   v ← beta2 · v + (1 − beta2) · g²
 *   p ← p − (lr / bias_correction1) · m / (sqrt(v) / sqrt(bias_correction2) + eps)
 *
 * where bias_correction1 = 1 − beta1^t and bias_correction2 = 1 − beta2^t at step t (see adamwInputs). The graph
 * is extended in place; serialize(loss.graph) then writes the step model.
 */
export function buildTrainingStep(loss: Tensor, params?: readonly Tensor[], options: TrainingStepOptions = {}): TrainingStepGraph {
  const g = loss.graph;
  const ps = params ?? g.params;
  const dataInputs = g.inputs.filter((t) => t.kind !== 'param').map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype }));
  const own = gradientsOf(loss, ps, options.allowUnusedParams === true, 'buildTrainingStep').grads;
  const grads = options.accumulated === true ? own.map((gr, i) => add(g.input(accumulatedGradientInput((ps[i] as Tensor).name), (ps[i] as Tensor).shape), gr)) : own;
  const m = ps.map((p) => g.input(`m_prev.${p.name}`, p.shape));
  const v = ps.map((p) => g.input(`v_prev.${p.name}`, p.shape));
  const hp = Object.fromEntries(HYPERPARAMETER_INPUTS.map((n) => [n, g.input(n, [])])) as Record<HyperparameterInput, Tensor>;

  // Scalars first (cheap), so that each parameter needs few full-size nodes. With c = the clipping factor:
  //   m' = beta1·m + [c·(1 − beta1)]·g
  //   v' = beta2·v + [c²·(1 − beta2)]·g²                 (g² is shared with the norm)
  //   p' = p·(1 − lr·wd) − [lr·sqrt(bc2)/bc1] · m' / (sqrt(v') + [eps·sqrt(bc2)])
  // which is the update written in the doc comment, rearranged.
  const squares = grads.map((gr) => mul(gr, gr));
  const norm = sqrt(sum(squares.map((sq) => reduceSum(sq))));
  const coef = min(div(hp.max_grad_norm, add(norm, CLIP_EPSILON)), 1);
  const mScale = mul(coef, sub(1, hp.beta1));
  const vScale = mul(mul(coef, coef), sub(1, hp.beta2));
  const sqrtBc2 = sqrt(hp.bias_correction2);
  const epsHat = mul(hp.eps, sqrtBc2);
  const stepHat = div(mul(hp.lr, sqrtBc2), hp.bias_correction1);
  const decayFactor = sub(1, mul(hp.lr, hp.weight_decay));

  g.output(LOSS_OUTPUT, loss);
  g.output(GRAD_NORM_OUTPUT, norm);
  const slots = ps.map((p, i): ParamSlot => {
    const gi = grads[i] as Tensor;
    const decay = options.decay?.(p) ?? true;
    const mNew = add(mul(m[i] as Tensor, hp.beta1), mul(gi, mScale));
    const vNew = add(mul(v[i] as Tensor, hp.beta2), mul(squares[i] as Tensor, vScale));
    const update = mul(div(mNew, add(sqrt(vNew), epsHat)), stepHat);
    const pNew = sub(decay ? mul(p, decayFactor) : p, update);
    const slot = {
      name: p.name,
      shape: p.shape,
      decay,
      input: p.name,
      output: `new.${p.name}`,
      mInput: `m_prev.${p.name}`,
      mOutput: `m.${p.name}`,
      vInput: `v_prev.${p.name}`,
      vOutput: `v.${p.name}`,
      ...(options.outputGradients ? { gradOutput: `grad.${p.name}` } : {}),
    };
    g.output(slot.output, pNew);
    g.output(slot.mOutput, mNew);
    g.output(slot.vOutput, vNew);
    if (slot.gradOutput !== undefined) g.output(slot.gradOutput, mul(gi, coef));
    return slot;
  });
  for (const [name, t] of Object.entries(options.extraOutputs ?? {})) g.output(name, t);

  return {
    inputs: g.inputSpecs(),
    outputs: g.outputSpecs(),
    params: slots,
    data: dataInputs,
    hyperparameters: HYPERPARAMETER_INPUTS,
    feedback: slots.flatMap((s) => [
      { from: s.output, to: s.input },
      { from: s.mOutput, to: s.mInput },
      { from: s.vOutput, to: s.vInput },
    ]),
    loss: LOSS_OUTPUT,
    gradNorm: GRAD_NORM_OUTPUT,
  };
}

export interface AdamWConfig {
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  /** Default Infinity (no clipping). */
  readonly maxGradNorm?: number;
}

/** The hyperparameter inputs for step t (1-based), defaults as torch.optim.AdamW (0.9, 0.999, 1e-8, 0.01). */
export function adamwInputs(step: number, c: AdamWConfig): Record<HyperparameterInput, number> {
  if (!Number.isInteger(step) || step < 1) throw new AutodiffError(AutodiffErrorCodes.INVALID_ARGUMENT, `step ${step} must be an integer >= 1`, 'adamwInputs');
  const beta1 = c.beta1 ?? 0.9;
  const beta2 = c.beta2 ?? 0.999;
  return {
    lr: c.lr,
    beta1,
    beta2,
    eps: c.eps ?? 1e-8,
    weight_decay: c.weightDecay ?? 0.01,
    bias_correction1: 1 - beta1 ** step,
    bias_correction2: 1 - beta2 ** step,
    max_grad_norm: c.maxGradNorm ?? Number.POSITIVE_INFINITY,
  };
}
