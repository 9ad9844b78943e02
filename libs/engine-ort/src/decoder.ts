import {
  add,
  attention,
  attr,
  broadcastShapes,
  gather,
  gatherElements,
  gemm,
  Graph,
  logSoftmax,
  mul,
  neg,
  numel,
  reduceSum,
  reshape,
  rmsNorm,
  swiglu,
  type AttentionWeights,
  type Tensor,
} from '@distillery/autodiff';
import type { DecoderConfig } from '@distillery/models';
import type { EngineLoraTarget } from './engine.js';

/**
 * The Llama decoder family (Llama, Mistral, Qwen2, SmolLM2) as an autodiff graph, in the transformers layout: every
 * linear weight is [out, in] as in the checkpoint, applied as x · Wᵀ by one Gemm(transB) — no transposed copies,
 * neither when loading nor per step. Token embedding → per layer RMSNorm → rotary grouped-query attention (q/k/v
 * biases for Qwen2-style configs) → residual → RMSNorm → SwiGLU → residual; final RMSNorm; tied or untied head.
 */

/** x · Wᵀ (+ b) over the last axis of x, W [out, in] as stored by transformers (nn.Linear). */
export function linearT(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const g = x.graph;
  const [out, inp] = w.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const rows = numel(lead);
  const x2 = reshape(x, [rows, inp]);
  const inputs = bias === undefined ? [x2, w] : [x2, w, bias];
  const y = g.addNode1('Gemm', inputs, { dtype: 'float32', shape: [rows, out] }, { transB: attr.int(1) }, (grads, needs) => {
    const gy = grads[0] as Tensor;
    return [
      needs[0] ? gemm(gy, w) : undefined, // dx = g · W
      needs[1] ? gemm(gy, x2, true, false) : undefined, // dW = gᵀ · x
      needs[2] ? reduceSum(gy, [0]) : undefined, // db = Σ rows of g
    ];
  });
  return reshape(y, [...lead, out]);
}

/** HF rotary tables [seq, headDim]: angle = (p / factor) · θ^(−2i/d), the half-frequencies repeated twice. */
export function rotaryTables(seq: number, headDim: number, theta: number, factor = 1): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(seq * headDim);
  const sin = new Float32Array(seq * headDim);
  for (let p = 0; p < seq; p++) {
    for (let i = 0; i < half; i++) {
      const angle = (p / factor) * theta ** ((-2 * i) / headDim);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * headDim + i] = c;
      cos[p * headDim + i + half] = c;
      sin[p * headDim + i] = s;
      sin[p * headDim + i + half] = s;
    }
  }
  return { cos, sin };
}

function boolOp(op: 'And' | 'LessOrEqual', a: Tensor, b: Tensor): Tensor {
  return a.graph.addNode1(op, [a, b], { dtype: 'bool', shape: broadcastShapes(op, a.shape, b.shape) });
}

/**
 * Causal + padding mask, computed in the graph (no seq² constant): key j is visible to query i when j ≤ i and key j
 * is a real token. Shaped to broadcast over the attention scores ([B, kv, group, S, S] or [B, heads, S, S]).
 */
export function attentionMask(attn: Tensor, grouped: boolean): Tensor {
  const g = attn.graph;
  const [b, s] = attn.shape as [number, number];
  const positions = BigInt64Array.from({ length: s }, (_, i) => BigInt(i));
  const causal = boolOp('LessOrEqual', g.constant([1, s], positions, 'int64'), g.constant([s, 1], positions, 'int64'));
  const keys = reshape(attn, grouped ? [b, 1, 1, 1, s] : [b, 1, 1, s]);
  return boolOp('And', keys, causal);
}

/** LoRA adapters as the graph sees them: for a module path, its A [r, in] and B [out, r], and the dropout mask. */
export interface LoraWiring {
  readonly scale: number;
  readonly targets: ReadonlySet<EngineLoraTarget>;
  adapter(module: string): { readonly a: Tensor; readonly b: Tensor; readonly dropout?: Tensor } | undefined;
}

export interface DecoderInputs {
  /** int64 [B, S] */
  readonly ids: Tensor;
  /** bool [B, S]: true for real tokens. */
  readonly attentionMask: Tensor;
}

/** The weight of a transformers name in this graph (param, input or initializer). */
export type WeightLookup = (name: string) => Tensor;

/** The adapted projection of one linear module: x·Wᵀ + b (+ scale · dropout(x)·Aᵀ·Bᵀ). */
function projection(module: string, bias: boolean, weight: WeightLookup, lora: LoraWiring | undefined): (x: Tensor) => Tensor {
  return (x) => {
    const base = linearT(x, weight(`${module}.weight`), bias ? weight(`${module}.bias`) : undefined);
    const ad = lora?.adapter(module);
    if (ad === undefined || lora === undefined) return base;
    const xin = ad.dropout === undefined ? x : mul(x, ad.dropout);
    return add(base, linearT(mul(linearT(xin, ad.a), lora.scale), ad.b));
  };
}

/**
 * The attention sub-layer of layer `layer`: x (the RMSNorm'ed hidden state) [B, S, hidden] → [B, S, hidden], with the
 * layer's (possibly adapted) q/k/v/o projections. `decoderLogits` uses causal attention over the whole sequence; an
 * inference graph can attend over a KV cache instead.
 */
export type SelfAttention = (x: Tensor, weights: AttentionWeights, layer: number) => Tensor;

/** Embedding and every decoder layer: the hidden state [B, S, hidden] before the final RMSNorm (see lmHead). */
export function decoderLayers(config: DecoderConfig, weight: WeightLookup, ids: Tensor, selfAttention: SelfAttention, lora?: LoraWiring): Tensor {
  const eps = config.rms_norm_eps;
  let h = gather(weight('model.embed_tokens.weight'), ids);
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const proj = (m: string, bias: boolean) => projection(`${p}.${m}`, bias, weight, lora);
    const attn = selfAttention(
      rmsNorm(h, weight(`${p}.input_layernorm.weight`), eps),
      {
        q: proj('self_attn.q_proj', config.attention_bias),
        k: proj('self_attn.k_proj', config.attention_bias),
        v: proj('self_attn.v_proj', config.attention_bias),
        o: proj('self_attn.o_proj', config.attention_out_bias),
      },
      l,
    );
    h = add(h, attn);
    const mlp = swiglu(rmsNorm(h, weight(`${p}.post_attention_layernorm.weight`), eps), {
      gate: proj('mlp.gate_proj', false),
      up: proj('mlp.up_proj', false),
      down: proj('mlp.down_proj', false),
    });
    h = add(h, mlp);
  }
  return h;
}

/** Final RMSNorm and the tied (`embed_tokens`) or untied (`lm_head`) head: [..., hidden] → [..., vocab]. */
export function lmHead(config: DecoderConfig, weight: WeightLookup, h: Tensor): Tensor {
  const head = weight(config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  return linearT(rmsNorm(h, weight('model.norm.weight'), config.rms_norm_eps), head);
}

/** Logits [B, S, vocab] of the decoder. */
export function decoderLogits(config: DecoderConfig, weight: WeightLookup, inputs: DecoderInputs, lora?: LoraWiring): Tensor {
  const g: Graph = inputs.ids.graph;
  const [, s] = inputs.ids.shape as [number, number];
  const dh = config.head_dim;
  const grouped = config.num_attention_heads !== config.num_key_value_heads;
  const mask = attentionMask(inputs.attentionMask, grouped);
  const tables = rotaryTables(s, dh, config.rope_theta, config.rope_scaling?.factor ?? 1);
  const rope = { cos: g.constant([s, dh], tables.cos), sin: g.constant([s, dh], tables.sin) };
  const causal: SelfAttention = (x, w) => attention(x, w, { numHeads: config.num_attention_heads, numKvHeads: config.num_key_value_heads, headDim: dh, rope, mask });
  return lmHead(config, weight, decoderLayers(config, weight, inputs.ids, causal, lora));
}

/** log p(target) per position [B, S] (targets int64 [B, S]; masked positions must still hold valid ids). */
export function targetLogProbs(logits: Tensor, targets: Tensor): Tensor {
  const picked = gatherElements(logSoftmax(logits, -1), reshape(targets, [...targets.shape, 1]), -1);
  return reshape(picked, targets.shape);
}

/** Σ −log p(target) over unmasked positions, and their count (for token-weighted eval losses). */
export function nllSum(logits: Tensor, targets: Tensor, lossMask: Tensor): { sum: Tensor; count: Tensor } {
  return { sum: neg(reduceSum(mul(targetLogProbs(logits, targets), lossMask))), count: reduceSum(lossMask) };
}

/** Σ log p(target) per row [B] over unmasked positions: a sequence's log-likelihood (DPO). */
export function sequenceLogProbs(logits: Tensor, targets: Tensor, lossMask: Tensor): Tensor {
  return reduceSum(mul(targetLogProbs(logits, targets), lossMask), [1]);
}
