import {
  buildGradientPass,
  buildTrainingStep,
  concat,
  crossEntropy,
  Graph,
  logSoftmax,
  mul,
  neg,
  reduceMean,
  reshape,
  serialize,
  slice,
  sub,
  type GradientPassGraph,
  type Tensor,
  type TrainingStepGraph,
} from '@distillery/autodiff';
import type { DecoderConfig, Tensor as WeightTensor } from '@distillery/models';
import { decoderLogits, nllSum, sequenceLogProbs, type LoraWiring } from './decoder.js';
import type { EngineLoraConfig } from './engine.js';
import { EngineConfigError } from './errors.js';
import { loraScale, type LoraModule } from './lora.js';

/**
 * The graphs a run executes, one ONNX model per (kind, batch, seq):
 * - `train`: forward + loss + backward + clipping + AdamW (the autodiff's training-step contract). The loss is the
 *   mean next-token cross-entropy, or for DPO runs the mean −log σ(β((π_c − ref_c) − (π_r − ref_r))) over the pairs
 *   (rows 0..P−1 chosen, P..2P−1 rejected; the reference log-probs are an input).
 * - `grad`: forward + loss + backward, adding the gradients to the running sums it is fed (gradient accumulation:
 *   every micro-batch of an optimizer step but the last; the last runs `train` with `accumulate`, which applies the
 *   sum). Accumulating graphs scale the loss by `loss_scale`, the micro-batch's share of the step's tokens (pairs).
 * - `logits`, `nll` (Σ −log p and the token count) and `logps` (per-row Σ log p): forward only.
 * Trainable tensors are graph params in `train` and plain inputs in the forward graphs (their values change every
 * step); frozen base weights (LoRA) are initializers or inputs (ModelPlan.frozenAs).
 */

export type GraphKind = 'train' | 'grad' | 'logits' | 'nll' | 'logps';

export interface ModelPlan {
  readonly config: DecoderConfig;
  /** Trainable tensors by name (HF names; PEFT names for adapters), in a fixed order. */
  readonly trainable: ReadonlyMap<string, readonly number[]>;
  /** Frozen tensors (the LoRA base model). */
  readonly frozen: ReadonlyMap<string, WeightTensor>;
  /**
   * How frozen tensors enter the graphs: `initializers` (stored in each model; onnxruntime may pre-pack them, but
   * every session holds its own copy) or `inputs` (fed from one shared copy on every run; the default of openRun).
   */
  readonly frozenAs?: 'initializers' | 'inputs';
  readonly lora?: { readonly config: EngineLoraConfig; readonly modules: readonly LoraModule[] };
  /** Set for DPO runs: the train graph takes preference rows and `ref_logps`. */
  readonly dpoBeta?: number;
}

export interface GraphRequest {
  readonly kind: GraphKind;
  /** Rows (2 × pairs for DPO graphs). */
  readonly batch: number;
  readonly seq: number;
  /** Apply the LoRA adapters (false: the frozen base model, e.g. the DPO reference). */
  readonly adapters: boolean;
  /** Train graphs of LoRA runs with dropout > 0: one mask input per adapted module. */
  readonly dropout: boolean;
  /** Also output each clipped gradient as `grad.<name>` (tests). */
  readonly outputGradients?: boolean;
  /** `train` graphs: take the earlier micro-batches' gradient sums and a `loss_scale` (see `grad`). */
  readonly accumulate?: boolean;
}

export interface DropoutInput {
  readonly name: string;
  readonly module: string;
  readonly shape: readonly [number, number, number];
}

export interface BuiltGraph {
  readonly request: GraphRequest;
  readonly bytes: Uint8Array;
  /** Train graphs: the step's I/O contract. */
  readonly step?: TrainingStepGraph;
  /** Grad graphs: the pass's I/O contract. */
  readonly pass?: GradientPassGraph;
  /** Trainable tensors this graph takes as inputs (params of a train graph, plain inputs of a forward graph). */
  readonly weightInputs: readonly string[];
  /** Frozen tensors this graph takes as inputs (`frozenAs: 'inputs'`). */
  readonly frozenInputs: readonly string[];
  readonly dropoutInputs: readonly DropoutInput[];
}

export const DATA_INPUTS = { ids: 'input_ids', attention: 'attention_mask', targets: 'targets', lossMask: 'loss_mask', refLogps: 'ref_logps', lossScale: 'loss_scale' } as const;

/** Not decayed by AdamW: biases and norm weights (transformers Trainer's default split). */
export const noDecay = (name: string): boolean => name.endsWith('.bias') || /norm/.test(name);

/** −log σ(z), stably: −logSoftmax([z, 0])[0]. */
function negLogSigmoid(z: Tensor): Tensor {
  const g = z.graph;
  const p = z.size;
  const pair = concat([reshape(z, [p, 1]), g.constant([p, 1], new Float32Array(p))], 1);
  return neg(reshape(slice(logSoftmax(pair, -1), [0], [1], [1]), [p]));
}

export function buildGraph(plan: ModelPlan, req: GraphRequest): BuiltGraph {
  const { batch: b, seq: s, kind } = req;
  const g = new Graph();
  const ids = g.input(DATA_INPUTS.ids, [b, s], 'int64');
  const attentionMask = g.input(DATA_INPUTS.attention, [b, s], 'bool');

  const weights = new Map<string, Tensor>();
  const weightInputs: string[] = [];
  const frozenInputs: string[] = [];
  const weight = (name: string): Tensor => {
    const known = weights.get(name);
    if (known !== undefined) return known;
    const shape = plan.trainable.get(name);
    let t: Tensor;
    if (shape !== undefined) {
      t = kind === 'train' || kind === 'grad' ? g.param(name, shape) : g.input(name, shape);
      weightInputs.push(name);
    } else {
      const f = plan.frozen.get(name);
      if (f === undefined) throw new EngineConfigError(`the model has no weight ${name}`, 'weights');
      if (plan.frozenAs === 'inputs') {
        t = g.input(name, f.shape);
        frozenInputs.push(name);
      } else {
        t = g.initializer(name, f.shape, f.data);
      }
    }
    weights.set(name, t);
    return t;
  };

  const dropoutInputs: DropoutInput[] = [];
  let lora: LoraWiring | undefined;
  if (req.adapters && plan.lora !== undefined) {
    const byModule = new Map(plan.lora.modules.map((m) => [m.module, m]));
    lora = {
      scale: loraScale(plan.lora.config),
      targets: new Set(plan.lora.config.target_modules),
      adapter: (module) => {
        const m = byModule.get(module);
        if (m === undefined) return undefined;
        let dropout: Tensor | undefined;
        if (req.dropout && (kind === 'train' || kind === 'grad')) {
          const d: DropoutInput = { name: `dropout.${module}`, module, shape: [b, s, m.in] };
          dropout = g.input(d.name, d.shape);
          dropoutInputs.push(d);
        }
        return { a: weight(m.aName), b: weight(m.bName), ...(dropout === undefined ? {} : { dropout }) };
      },
    };
  }

  const logits = decoderLogits(plan.config, weight, { ids, attentionMask }, lora);
  let step: TrainingStepGraph | undefined;
  let pass: GradientPassGraph | undefined;
  if (kind === 'logits') {
    g.output('logits', logits);
  } else {
    const targets = g.input(DATA_INPUTS.targets, [b, s], 'int64');
    const lossMask = g.input(DATA_INPUTS.lossMask, [b, s]);
    if (kind === 'nll') {
      const { sum, count } = nllSum(logits, targets, lossMask);
      g.output('nll_sum', sum);
      g.output('token_count', count);
    } else if (kind === 'logps') {
      g.output('logps', sequenceLogProbs(logits, targets, lossMask));
    } else {
      let loss: Tensor;
      const extraOutputs: Record<string, Tensor> = {};
      if (plan.dpoBeta === undefined) {
        loss = crossEntropy(logits, targets, lossMask);
      } else {
        if (b % 2 !== 0) throw new EngineConfigError(`a DPO graph needs an even number of rows (chosen then rejected), got ${b}`, 'batch');
        const p = b / 2;
        const ref = g.input(DATA_INPUTS.refLogps, [b]);
        const delta = sub(sequenceLogProbs(logits, targets, lossMask), ref);
        const z = mul(sub(slice(delta, [0], [p]), slice(delta, [p], [b])), plan.dpoBeta);
        loss = reduceMean(negLogSigmoid(z));
        extraOutputs['margins'] = z;
      }
      const accumulate = kind === 'grad' || req.accumulate === true;
      if (accumulate) loss = mul(loss, g.input(DATA_INPUTS.lossScale, []));
      const params = weightInputs.map((n) => weights.get(n) as Tensor);
      if (kind === 'grad') pass = buildGradientPass(loss, params, { extraOutputs });
      else step = buildTrainingStep(loss, params, { decay: (t) => !noDecay(t.name), outputGradients: req.outputGradients === true, extraOutputs, accumulated: accumulate });
    }
  }
  const bytes = serialize(g, { name: `engine-ort ${kind}${req.accumulate === true ? '+acc' : ''} ${b}x${s}` });
  return { request: req, bytes, ...(step === undefined ? {} : { step }), ...(pass === undefined ? {} : { pass }), weightInputs, frozenInputs, dropoutInputs };
}
