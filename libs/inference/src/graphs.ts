import { concat, gather, Graph, matmul, mul, project, reshape, rope, serialize, slice, softmax, transpose, transposeLast2, where, type Tensor } from '@distillery/autodiff';
import { decoderLayers, lmHead, rotaryTables, targetLogProbs, type SelfAttention } from '@distillery/engine-ort';
import type { DecoderConfig, Tensor as WeightTensor } from '@distillery/models';

/**
 * The forward-only graphs of KV-cache decoding, built with libs/autodiff around engine-ort's decoder layers (same
 * embedding, RMSNorm, projections, SwiGLU and head as training; only the attention differs). Shapes are static, so
 * one graph serves one (kind, batch, chunk, past) bucket:
 *
 * - `prefill` (B, C): C new tokens per row, no past. Outputs the last position's `logits` [B, vocab] and each
 *   layer's keys/values of the C tokens, `new_key.{l}` / `new_value.{l}` [B, kvHeads, C, headDim].
 * - `decode` (B, 1, T): one new token per row over a cache of T slots, fed as `past_key_values.{l}.key` / `.value`
 *   [B, kvHeads, T, headDim]. Outputs `logits` and the new token's keys/values (the host writes them into its cache:
 *   the cache never travels out of the session, so a step copies O(layers · B · kvHeads · headDim) floats, not the
 *   whole cache).
 * - `score` (B, C): like prefill, but the output is `token_logprobs` [B, C]: log p(targets[b, t]) at every position.
 *
 * Inputs of every kind: `input_ids` int64 [B, C]; `position_ids` int64 [B, C] (the rotary position of each token, so
 * left-padded rows start at 0); `attention_mask` bool [B, T + C] (which cache slots and which new tokens are real).
 * A query sees a key when the key is real and not later than the query (keys in the past always are). Keys are
 * stored after the rotary embedding, as transformers does.
 */

export type GraphKind = 'prefill' | 'decode' | 'score';

export interface GraphShape {
  readonly kind: GraphKind;
  readonly batch: number;
  /** New tokens per row in this call (1 for decode). */
  readonly chunk: number;
  /** Cache slots fed as past keys/values (0 for prefill and score). */
  readonly past: number;
}

export const IO = {
  ids: 'input_ids',
  positions: 'position_ids',
  attention: 'attention_mask',
  targets: 'targets',
  logits: 'logits',
  tokenLogprobs: 'token_logprobs',
  pastKey: (layer: number): string => `past_key_values.${layer}.key`,
  pastValue: (layer: number): string => `past_key_values.${layer}.value`,
  newKey: (layer: number): string => `new_key.${layer}`,
  newValue: (layer: number): string => `new_value.${layer}`,
} as const;

export interface BuiltGraph {
  readonly shape: GraphShape;
  readonly bytes: Uint8Array;
  /** Weights (transformers names) this graph takes as inputs. */
  readonly weightInputs: readonly string[];
}

/** What masked attention scores are set to (as in training). */
const MASKED = -1e9;

function boolOp(op: 'And' | 'LessOrEqual', a: Tensor, b: Tensor, shape: readonly number[]): Tensor {
  return a.graph.addNode1(op, [a, b], { dtype: 'bool', shape });
}

/**
 * Causal attention of C new tokens over T cached slots plus themselves. The mask is built in the graph from two
 * small constants (no (T + C)² constant): key j is visible to query i when j − T ≤ i and attention_mask[b, j].
 */
function cachedAttention(config: DecoderConfig, shape: GraphShape, inputs: { valid: Tensor; positions: Tensor; past?: (layer: number) => { key: Tensor; value: Tensor } }, emit: boolean): SelfAttention {
  const { batch: b, chunk: c, past: t } = shape;
  const g = inputs.valid.graph;
  const h = config.num_attention_heads;
  const hkv = config.num_key_value_heads;
  const dh = config.head_dim;
  const group = h / hkv;
  const grouped = group > 1;
  const total = t + c;

  // Rotary tables for positions 0 … T + C − 1 (a position never exceeds its slot), gathered per token: [B, 1, C, dh].
  const tables = rotaryTables(total, dh, config.rope_theta, config.rope_scaling?.factor ?? 1);
  const perToken = (table: Float32Array) => reshape(gather(g.constant([total, dh], table), inputs.positions), [b, 1, c, dh]);
  const cos = perToken(tables.cos);
  const sin = perToken(tables.sin);

  const rel = g.constant([1, total], BigInt64Array.from({ length: total }, (_, j) => BigInt(j - t)), 'int64');
  const row = g.constant([c, 1], BigInt64Array.from({ length: c }, (_, i) => BigInt(i)), 'int64');
  const causal = boolOp('LessOrEqual', rel, row, [c, total]);
  const keys = reshape(inputs.valid, grouped ? [b, 1, 1, 1, total] : [b, 1, 1, total]);
  const mask = boolOp('And', keys, causal, grouped ? [b, 1, 1, c, total] : [b, 1, c, total]);

  const heads = (x: Tensor, n: number) => transpose(reshape(x, [b, c, n, dh]), [0, 2, 1, 3]);
  return (x, w, layer) => {
    const q = rope(heads(project(x, w.q), h), cos, sin);
    const k = rope(heads(project(x, w.k), hkv), cos, sin);
    const v = heads(project(x, w.v), hkv);
    if (emit) {
      g.output(IO.newKey(layer), k);
      g.output(IO.newValue(layer), v);
    }
    const past = inputs.past?.(layer);
    const kAll = past === undefined ? k : concat([past.key, k], 2);
    const vAll = past === undefined ? v : concat([past.value, v], 2);
    const qs = mul(q, 1 / Math.sqrt(dh));
    const q5 = grouped ? reshape(qs, [b, hkv, group, c, dh]) : qs;
    const k5 = grouped ? reshape(kAll, [b, hkv, 1, total, dh]) : kAll;
    const v5 = grouped ? reshape(vAll, [b, hkv, 1, total, dh]) : vAll;
    const probs = softmax(where(mask, matmul(q5, transposeLast2(k5)), MASKED), -1);
    const out = reshape(matmul(probs, v5), [b, h, c, dh]);
    return project(reshape(transpose(out, [0, 2, 1, 3]), [b, c, h * dh]), w.o);
  };
}

/**
 * How the weights enter a graph: `inputs` (default: fed on every run from one copy shared by every session) or
 * `initializers` (stored in each graph: onnxruntime can pre-pack them, but every session holds its own copy).
 */
export type WeightsAs = 'inputs' | 'initializers';

/** Builds and serializes one graph over the model's tensors (by transformers name). */
export function buildGraph(config: DecoderConfig, weights: ReadonlyMap<string, WeightTensor>, shape: GraphShape, weightsAs: WeightsAs = 'inputs'): BuiltGraph {
  const { kind, batch: b, chunk: c, past: t } = shape;
  const g = new Graph();
  const ids = g.input(IO.ids, [b, c], 'int64');
  const positions = g.input(IO.positions, [b, c], 'int64');
  const valid = g.input(IO.attention, [b, t + c], 'bool');
  const targets = kind === 'score' ? g.input(IO.targets, [b, c], 'int64') : undefined;
  const cacheShape = [b, config.num_key_value_heads, t, config.head_dim];
  const pasts = t > 0 ? Array.from({ length: config.num_hidden_layers }, (_, l) => ({ key: g.input(IO.pastKey(l), cacheShape), value: g.input(IO.pastValue(l), cacheShape) })) : undefined;

  const declared = new Map<string, Tensor>();
  const weightInputs: string[] = [];
  const weight = (name: string): Tensor => {
    let w = declared.get(name);
    if (w === undefined) {
      const t = weights.get(name);
      if (t === undefined) throw new Error(`the model has no weight ${name}`);
      if (weightsAs === 'initializers') {
        w = g.initializer(name, t.shape, t.data);
      } else {
        w = g.input(name, t.shape);
        weightInputs.push(name);
      }
      declared.set(name, w);
    }
    return w;
  };

  const attention = cachedAttention(config, shape, { valid, positions, ...(pasts === undefined ? {} : { past: (l: number) => pasts[l] as { key: Tensor; value: Tensor } }) }, kind !== 'score');
  const hidden = decoderLayers(config, weight, ids, attention);
  if (targets !== undefined) {
    g.output(IO.tokenLogprobs, targetLogProbs(lmHead(config, weight, hidden), targets));
  } else {
    // Rows are left-padded, so the last position is every row's last token: the head runs on it alone.
    const last = slice(hidden, [c - 1], [c], [1]);
    g.output(IO.logits, reshape(lmHead(config, weight, last), [b, config.vocab_size]));
  }
  const bytes = serialize(g, { name: `inference ${kind} ${b}x${c}+${t}` });
  return { shape, bytes, weightInputs };
}
