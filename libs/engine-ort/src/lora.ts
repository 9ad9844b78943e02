import type { DecoderConfig, Tensor } from '@distillery/models';
import { ENGINE_LORA_TARGETS, type EngineLoraConfig, type EngineLoraTarget } from './engine.js';
import { EngineConfigError } from './errors.js';
import { mulberry32, seedOf } from './rng.js';

/**
 * LoRA in the PEFT layout: for a linear module `model.layers.N.self_attn.q_proj` (W [out, in]) the adapter is
 * `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight` [r, in] and `….lora_B.weight` [out, r], and the
 * module computes x·Wᵀ + (alpha / r) · dropout(x)·Aᵀ·Bᵀ. A starts kaiming-uniform (a = √5, as PEFT: uniform in
 * ±1/√in), B at zero, so a fresh adapter leaves the model unchanged.
 */

const PARENT: Readonly<Record<EngineLoraTarget, string>> = {
  q_proj: 'self_attn',
  k_proj: 'self_attn',
  v_proj: 'self_attn',
  o_proj: 'self_attn',
  gate_proj: 'mlp',
  up_proj: 'mlp',
  down_proj: 'mlp',
};

export const PEFT_PREFIX = 'base_model.model.';

/** A module targeted by LoRA: its transformers path, the adapter names and the shapes. */
export interface LoraModule {
  readonly module: string;
  readonly target: EngineLoraTarget;
  readonly layer: number;
  readonly in: number;
  readonly out: number;
  readonly aName: string;
  readonly bName: string;
}

/** [out, in] of a target's weight. */
function dims(config: DecoderConfig, target: EngineLoraTarget): { out: number; in: number } {
  const h = config.hidden_size;
  const q = config.num_attention_heads * config.head_dim;
  const kv = config.num_key_value_heads * config.head_dim;
  const i = config.intermediate_size;
  switch (target) {
    case 'q_proj':
      return { out: q, in: h };
    case 'k_proj':
    case 'v_proj':
      return { out: kv, in: h };
    case 'o_proj':
      return { out: h, in: q };
    case 'gate_proj':
    case 'up_proj':
      return { out: i, in: h };
    case 'down_proj':
      return { out: h, in: i };
  }
}

export function validateLora(lora: EngineLoraConfig | undefined): EngineLoraConfig {
  if (lora === undefined) throw new EngineConfigError('method lora needs a lora section {r, alpha, dropout, target_modules}', 'lora');
  if (!Number.isInteger(lora.r) || lora.r <= 0) throw new EngineConfigError(`lora.r must be a positive integer, got ${lora.r}`, 'lora.r');
  if (!(lora.alpha > 0)) throw new EngineConfigError(`lora.alpha must be positive, got ${lora.alpha}`, 'lora.alpha');
  if (!(lora.dropout >= 0 && lora.dropout < 1)) throw new EngineConfigError(`lora.dropout must be in [0, 1), got ${lora.dropout}`, 'lora.dropout');
  if (lora.target_modules.length === 0) throw new EngineConfigError('lora.target_modules is empty', 'lora.target_modules');
  for (const t of lora.target_modules) {
    if (!ENGINE_LORA_TARGETS.includes(t)) {
      throw new EngineConfigError(`lora.target_modules: '${String(t)}' is not a linear layer of the decoder (${ENGINE_LORA_TARGETS.join(', ')})`, 'lora.target_modules');
    }
  }
  return lora;
}

/** Every adapted module, in layer order then target order. */
export function loraModules(config: DecoderConfig, lora: EngineLoraConfig): LoraModule[] {
  const targets = ENGINE_LORA_TARGETS.filter((t) => lora.target_modules.includes(t));
  const out: LoraModule[] = [];
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    for (const target of targets) {
      const module = `model.layers.${layer}.${PARENT[target]}.${target}`;
      out.push({ module, target, layer, ...dims(config, target), aName: `${PEFT_PREFIX}${module}.lora_A.weight`, bName: `${PEFT_PREFIX}${module}.lora_B.weight` });
    }
  }
  return out;
}

export const loraScale = (lora: Pick<EngineLoraConfig, 'r' | 'alpha'>): number => lora.alpha / lora.r;

/** Fresh adapters: A uniform in ±1/√in from (seed, name), B zeros. */
export function initLora(modules: readonly LoraModule[], r: number, seed: number): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const m of modules) {
    const rand = mulberry32(seedOf(seed, 'lora_A', m.aName));
    const bound = 1 / Math.sqrt(m.in);
    const a = new Float32Array(r * m.in);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rand() - 1) * bound;
    out.set(m.aName, { shape: [r, m.in], data: a });
    out.set(m.bName, { shape: [m.out, r], data: new Float32Array(m.out * r) });
  }
  return out;
}

/** W + scale · B·A, accumulated in float64 and rounded once. */
export function mergeAdapter(w: Float32Array, a: Float32Array, b: Float32Array, out: number, inp: number, r: number, scale: number): Float32Array {
  const merged = new Float32Array(out * inp);
  const row = new Float64Array(inp);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = (b[o * r + k] as number) * scale;
      if (bk === 0) continue;
      const off = k * inp;
      for (let i = 0; i < inp; i++) row[i] = (row[i] as number) + bk * (a[off + i] as number);
    }
    const wo = o * inp;
    for (let i = 0; i < inp; i++) merged[wo + i] = (w[wo + i] as number) + (row[i] as number);
  }
  return merged;
}

/** adapter_config.json as PEFT writes it for a LoRA adapter of a causal LM. */
export function adapterConfig(lora: EngineLoraConfig, baseModel: string): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: ENGINE_LORA_TARGETS.filter((t) => lora.target_modules.includes(t)),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
}
