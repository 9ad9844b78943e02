import { accumulatedGradientInput, adamwInputs } from '@distillery/autodiff';
import { assertWeights, expectedTensorShapes, tensorEntries, type DecoderConfig, type Tensor } from '@distillery/models';
import type { PaddedBatch } from '@distillery/tasks';
import type * as ort from 'onnxruntime-node';
import { dropoutMask, forwardFeeds, isPreferenceBatch, lmFeeds, preferenceRows, type BatchFeeds } from './batch.js';
import type {
  EngineMethod,
  EngineRunOptions,
  ExportedModel,
  ExportOptions,
  ForwardInput,
  PreferenceBatch,
  RunState,
  StepOptions,
  StepResult,
  TrainingRun,
} from './engine.js';
import { EngineConfigError } from './errors.js';
import { exportRun } from './export.js';
import { DATA_INPUTS, type GraphRequest, type ModelPlan } from './graphs.js';
import { initLora, loraModules, loraScale, mergeAdapter, validateLora } from './lora.js';
import { bool, f32, GraphCache, i64, runSession, scalar, valueOf, type Feeds, type GraphSession } from './sessions.js';

/** Opens a training run of the ort engine (see `TrainingRun`). Graphs are built and loaded on first use per bucket. */
export async function openRun(options: EngineRunOptions): Promise<TrainingRun> {
  return Promise.resolve(new OrtTrainingRun(options));
}

function validate(o: EngineRunOptions): void {
  if (!['full', 'lora', 'dpo'].includes(o.method)) throw new EngineConfigError(`method '${String(o.method)}' is not one of full, lora, dpo`, 'method');
  if (o.method === 'dpo' && !(o.dpo !== undefined && o.dpo.beta > 0)) throw new EngineConfigError('method dpo needs dpo.beta > 0', 'dpo.beta');
  if (o.buckets.length === 0 || !o.buckets.every((s) => Number.isInteger(s) && s > 0)) {
    throw new EngineConfigError(`buckets must be positive sequence lengths, got [${o.buckets.join(', ')}]`, 'buckets');
  }
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads > 0)) throw new EngineConfigError(`threads must be a positive integer, got ${o.threads}`, 'threads');
  const [b1, b2] = o.optim.betas;
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1 && o.optim.eps > 0 && o.optim.weight_decay >= 0 && o.optim.max_grad_norm >= 0)) {
    throw new EngineConfigError(`optim ${JSON.stringify(o.optim)} is not a valid AdamW setting`, 'optim');
  }
}

const copy = (t: Tensor): Tensor => ({ shape: [...t.shape], data: Float32Array.from(t.data) });

class OrtTrainingRun implements TrainingRun {
  readonly method: EngineMethod;
  readonly config: DecoderConfig;
  readonly seed: number;
  readonly trainable: ReadonlyMap<string, readonly number[]>;
  readonly plan: ModelPlan;
  private readonly options: EngineRunOptions;
  private readonly cache: GraphCache;
  private params = new Map<string, ort.Tensor>();
  private m = new Map<string, ort.Tensor>();
  private v = new Map<string, ort.Tensor>();
  /** Full-weight DPO: the reference model's weights (the initial ones). */
  private readonly reference?: ReadonlyMap<string, ort.Tensor>;
  /** Frozen weights fed as inputs (frozenAs 'inputs'), one tensor each, shared by every graph. */
  private readonly frozenFeeds = new Map<string, ort.Tensor>();
  private steps = 0;

  constructor(options: EngineRunOptions) {
    validate(options);
    this.options = options;
    this.method = options.method;
    this.config = options.config;
    this.seed = options.seed;
    const config = options.config;
    const given = new Map(tensorEntries(options.weights));
    assertWeights(config, new Map([...given].map(([n, t]) => [n, t.shape])), 'the weights given to openRun');
    const base = new Map<string, Tensor>();
    for (const name of expectedTensorShapes(config).keys()) base.set(name, given.get(name) as Tensor);

    const useLora = options.method === 'lora' || (options.method === 'dpo' && options.lora !== undefined);
    let initial: Map<string, Tensor>;
    let frozen = new Map<string, Tensor>();
    let lora: ModelPlan['lora'];
    if (useLora) {
      const cfg = validateLora(options.lora);
      const modules = loraModules(config, cfg);
      lora = { config: cfg, modules };
      initial = initLora(modules, cfg.r, options.seed);
      frozen = base;
    } else {
      initial = base;
    }
    this.trainable = new Map([...initial].map(([n, t]) => [n, [...t.shape]]));
    const frozenAs = options.frozenAs ?? 'inputs';
    this.plan = { config, trainable: this.trainable, frozen, frozenAs, ...(lora === undefined ? {} : { lora }), ...(options.method === 'dpo' ? { dpoBeta: options.dpo?.beta as number } : {}) };
    this.cache = new GraphCache(this.plan, options.threads ?? 2);
    // Inputs are never written by onnxruntime, so the caller's arrays can back the initial tensors without a copy.
    for (const [name, t] of initial) {
      this.params.set(name, f32(t.shape, t.data));
      this.m.set(name, f32(t.shape, new Float32Array(t.data.length)));
      this.v.set(name, f32(t.shape, new Float32Array(t.data.length)));
    }
    if (options.method === 'dpo' && !useLora) this.reference = new Map(this.params);
    if (frozenAs === 'inputs') for (const [name, t] of frozen) this.frozenFeeds.set(name, f32(t.shape, t.data));
  }

  get stepCount(): number {
    return this.steps;
  }

  private get usesAdapters(): boolean {
    return this.plan.lora !== undefined;
  }

  private request(kind: GraphRequest['kind'], f: { batch: number; seq: number }, adapters = true): GraphRequest {
    const dropout = (kind === 'train' || kind === 'grad') && (this.plan.lora?.config.dropout ?? 0) > 0;
    return { kind, batch: f.batch, seq: f.seq, adapters: adapters && this.usesAdapters, dropout };
  }

  private dataFeeds(f: BatchFeeds, withTargets: boolean): Feeds {
    const shape = [f.batch, f.seq];
    const feeds: Feeds = { [DATA_INPUTS.ids]: i64(shape, f.ids), [DATA_INPUTS.attention]: bool(shape, f.attention) };
    if (withTargets) {
      feeds[DATA_INPUTS.targets] = i64(shape, f.targets);
      feeds[DATA_INPUTS.lossMask] = f32(shape, f.lossMask);
    }
    return feeds;
  }

  /** Weight inputs of a graph, from the current params (or the DPO reference's weights). */
  private weightFeeds(gs: GraphSession, feeds: Feeds, source: ReadonlyMap<string, ort.Tensor> = this.params): void {
    for (const name of gs.graph.weightInputs) feeds[name] = source.get(name) as ort.Tensor;
    for (const name of gs.graph.frozenInputs) feeds[name] = this.frozenFeeds.get(name) as ort.Tensor;
  }

  private rows(batch: PaddedBatch | PreferenceBatch): PaddedBatch {
    if (this.method === 'dpo') {
      if (!isPreferenceBatch(batch)) throw new EngineConfigError('a dpo run trains on preference batches {chosen, rejected}', 'batch');
      return preferenceRows(batch);
    }
    if (isPreferenceBatch(batch)) throw new EngineConfigError(`a ${this.method} run trains on padded batches, not preference pairs`, 'batch');
    return batch;
  }

  /** Σ log p per row of the reference (the frozen base model). */
  private async referenceLogps(f: BatchFeeds, during: string): Promise<Float32Array> {
    const gs = await this.cache.get(this.request('logps', f, false));
    const feeds = this.dataFeeds(f, true);
    this.weightFeeds(gs, feeds, this.reference ?? this.params);
    const out = await runSession(gs, feeds, during);
    return out['logps']?.data as Float32Array;
  }

  /** Data, dropout and (DPO) reference inputs of one micro-batch of optimizer step `t`. */
  private async microFeeds(f: BatchFeeds, gs: GraphSession, t: number, micro: number, during: string): Promise<Feeds> {
    const feeds = this.dataFeeds(f, true);
    if (this.method === 'dpo') feeds[DATA_INPUTS.refLogps] = f32([f.batch], await this.referenceLogps(f, during));
    for (const d of gs.graph.dropoutInputs) {
      const n = d.shape[0] * d.shape[1] * d.shape[2];
      // The first micro-batch keeps the masks of an unaccumulated step; later ones draw their own.
      feeds[d.name] = f32(d.shape, dropoutMask(n, this.plan.lora?.config.dropout ?? 0, this.seed, t, micro === 0 ? d.module : `${d.module}#${micro}`));
    }
    for (const name of gs.graph.frozenInputs) feeds[name] = this.frozenFeeds.get(name) as ort.Tensor;
    return feeds;
  }

  async step(input: PaddedBatch | PreferenceBatch | ReadonlyArray<PaddedBatch | PreferenceBatch>, options: StepOptions): Promise<StepResult> {
    const micro = (Array.isArray(input) ? input : [input]) as ReadonlyArray<PaddedBatch | PreferenceBatch>;
    if (micro.length === 0) throw new EngineConfigError('a step needs at least one micro-batch', 'batch');
    const fs = micro.map((b) => lmFeeds(this.rows(b), this.config.vocab_size, this.options.buckets));
    const t = this.steps + 1;
    const during = `step ${t}`;
    const accumulate = fs.length > 1;
    // Each micro-batch's share of the step: its loss tokens (DPO: its pairs), so the summed gradients are those of
    // the whole step's mean loss, as if it had run as one batch.
    const units = fs.map((f) => (this.method === 'dpo' ? f.batch / 2 : f.tokens));
    const totalUnits = units.reduce((a, b) => a + b, 0);
    const share = (i: number) => (totalUnits > 0 ? (units[i] as number) / totalUnits : 1 / fs.length);
    let loss = 0;
    let tokens = 0;
    const margins: number[] = [];
    let gacc: Map<string, ort.Tensor> | undefined;
    if (accumulate) gacc = new Map([...this.trainable].map(([name, shape]) => [name, f32(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)))]));
    for (let i = 0; i < fs.length - 1; i++) {
      const f = fs[i] as BatchFeeds;
      const gs = await this.cache.get(this.request('grad', f));
      const pass = gs.graph.pass;
      if (pass === undefined) throw new Error('a grad graph without a pass contract');
      const feeds = await this.microFeeds(f, gs, t, i, `${during} micro-batch ${i + 1}/${fs.length}`);
      feeds[DATA_INPUTS.lossScale] = scalar(share(i));
      for (const p of pass.params) {
        feeds[p.input] = this.params.get(p.name) as ort.Tensor;
        feeds[p.gaccInput] = gacc?.get(p.name) as ort.Tensor;
      }
      const out = await runSession(gs, feeds, `${during} micro-batch ${i + 1}/${fs.length}`);
      for (const p of pass.params) gacc?.set(p.name, out[p.gsumOutput] as ort.Tensor);
      loss += valueOf(out, pass.loss);
      tokens += f.tokens;
      margins.push(...((out['margins']?.data as Float32Array | undefined) ?? []));
    }
    const f = fs.at(-1) as BatchFeeds;
    const gs = await this.cache.get({ ...this.request('train', f), ...(accumulate ? { accumulate: true } : {}) });
    const feeds = await this.microFeeds(f, gs, t, fs.length - 1, during);
    if (accumulate) feeds[DATA_INPUTS.lossScale] = scalar(share(fs.length - 1));
    const o = this.options.optim;
    const hp = adamwInputs(t, {
      lr: options.lr,
      beta1: o.betas[0],
      beta2: o.betas[1],
      eps: o.eps,
      weightDecay: o.weight_decay,
      maxGradNorm: o.max_grad_norm > 0 ? o.max_grad_norm : Number.POSITIVE_INFINITY,
    });
    for (const [k, value] of Object.entries(hp)) feeds[k] = scalar(value);
    const step = gs.graph.step;
    if (step === undefined) throw new Error('a train graph without a step contract');
    for (const p of step.params) {
      feeds[p.input] = this.params.get(p.name) as ort.Tensor;
      feeds[p.mInput] = this.m.get(p.name) as ort.Tensor;
      feeds[p.vInput] = this.v.get(p.name) as ort.Tensor;
      if (gacc !== undefined) feeds[accumulatedGradientInput(p.name)] = gacc.get(p.name) as ort.Tensor;
    }
    const out = await runSession(gs, feeds, during);
    for (const p of step.params) {
      this.params.set(p.name, out[p.output] as ort.Tensor);
      this.m.set(p.name, out[p.mOutput] as ort.Tensor);
      this.v.set(p.name, out[p.vOutput] as ort.Tensor);
    }
    this.steps = t;
    loss += valueOf(out, step.loss);
    tokens += f.tokens;
    margins.push(...((out['margins']?.data as Float32Array | undefined) ?? []));
    const result: StepResult = { loss, grad_norm: valueOf(out, step.gradNorm), tokens };
    if (margins.length === 0) return result;
    return { ...result, reward_margin: margins.reduce((a, x) => a + x, 0) / margins.length, reward_accuracy: margins.filter((x) => x > 0).length / margins.length };
  }

  async evalLoss(batches: Iterable<PaddedBatch> | Iterable<PreferenceBatch>): Promise<number> {
    let sum = 0;
    let count = 0;
    for (const batch of batches as Iterable<PaddedBatch | PreferenceBatch>) {
      if (isPreferenceBatch(batch)) {
        if (this.method !== 'dpo') throw new EngineConfigError(`a ${this.method} run evaluates padded batches, not preference pairs`, 'batch');
        const f = lmFeeds(preferenceRows(batch), this.config.vocab_size, this.options.buckets);
        const ref = await this.referenceLogps(f, 'eval');
        const gs = await this.cache.get(this.request('logps', f));
        const feeds = this.dataFeeds(f, true);
        this.weightFeeds(gs, feeds);
        const pol = (await runSession(gs, feeds, 'eval'))['logps']?.data as Float32Array;
        const p = f.batch / 2;
        const beta = this.plan.dpoBeta as number;
        for (let i = 0; i < p; i++) {
          const z = beta * ((pol[i] as number) - (ref[i] as number) - ((pol[i + p] as number) - (ref[i + p] as number)));
          sum += Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
        }
        count += p;
        continue;
      }
      const f = lmFeeds(batch, this.config.vocab_size, this.options.buckets);
      const gs = await this.cache.get(this.request('nll', f));
      const feeds = this.dataFeeds(f, true);
      this.weightFeeds(gs, feeds);
      const out = await runSession(gs, feeds, 'eval');
      sum += valueOf(out, 'nll_sum');
      count += valueOf(out, 'token_count');
    }
    return count > 0 ? sum / count : Number.NaN;
  }

  async logits(input: ForwardInput, options: { readonly adapters?: boolean } = {}): Promise<Float32Array> {
    const { ids, attention } = forwardFeeds(input, this.config.vocab_size);
    const gs = await this.cache.get(this.request('logits', input, options.adapters ?? true));
    const shape = [input.batch, input.seq];
    const feeds: Feeds = { [DATA_INPUTS.ids]: i64(shape, ids), [DATA_INPUTS.attention]: bool(shape, attention) };
    this.weightFeeds(gs, feeds);
    return (await runSession(gs, feeds, 'forward'))['logits']?.data as Float32Array;
  }

  state(): RunState {
    const grab = (src: ReadonlyMap<string, ort.Tensor>) => new Map([...src].map(([n, t]) => [n, { shape: [...t.dims], data: Float32Array.from(t.data as Float32Array) }]));
    return { step: this.steps, params: grab(this.params), m: grab(this.m), v: grab(this.v) };
  }

  restore(state: RunState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new EngineConfigError(`state.step ${state.step} must be a non-negative integer`, 'state.step');
    const take = (what: string, src: ReadonlyMap<string, Tensor>): Map<string, ort.Tensor> => {
      const out = new Map<string, ort.Tensor>();
      for (const [name, shape] of this.trainable) {
        const t = src.get(name);
        if (t === undefined) throw new EngineConfigError(`state.${what} has no ${name}`, `state.${what}`);
        if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
          throw new EngineConfigError(`state.${what}: ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`, `state.${what}`);
        }
        out.set(name, f32(shape, Float32Array.from(t.data)));
      }
      const extra = [...src.keys()].filter((n) => !this.trainable.has(n));
      if (extra.length > 0) throw new EngineConfigError(`state.${what} has tensors this run does not train: ${extra.slice(0, 5).join(', ')}`, `state.${what}`);
      return out;
    };
    const params = take('params', state.params);
    const m = take('m', state.m);
    const v = take('v', state.v);
    this.params = params;
    this.m = m;
    this.v = v;
    this.steps = state.step;
  }

  mergedWeights(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, t] of this.plan.frozen) out.set(name, copy(t));
    const current = (name: string) => this.params.get(name)?.data as Float32Array;
    if (this.plan.lora === undefined) {
      for (const [name, shape] of this.trainable) out.set(name, copy({ shape, data: current(name) }));
      return new Map([...expectedTensorShapes(this.config).keys()].map((n) => [n, out.get(n) as Tensor]));
    }
    const { config: cfg, modules } = this.plan.lora;
    for (const mod of modules) {
      const wName = `${mod.module}.weight`;
      const w = out.get(wName) as Tensor;
      out.set(wName, { shape: w.shape, data: mergeAdapter(w.data, current(mod.aName), current(mod.bName), mod.out, mod.in, cfg.r, loraScale(cfg)) });
    }
    return out;
  }

  /** The trainable tensors' current values (adapters for LoRA runs), copied. */
  trainedTensors(): Map<string, Tensor> {
    return new Map([...this.trainable].map(([name, shape]) => [name, copy({ shape, data: this.params.get(name)?.data as Float32Array })]));
  }

  exportModel(dir: string, options: ExportOptions = {}): Promise<ExportedModel> {
    return exportRun(this, dir, options);
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}

export type { OrtTrainingRun };
