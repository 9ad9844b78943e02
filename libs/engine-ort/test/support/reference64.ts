// An independent float64 reference of the decoder, written as plain loops (no graph builder): logits and the
// shifted, masked mean cross-entropy. Used for the forward check and for finite-difference gradients.
import type { DecoderConfig } from '@distillery/models';

export interface Weight64 {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}
export type Weights64 = ReadonlyMap<string, Weight64>;

export interface Lora64 {
  readonly scale: number;
  /** PEFT names → values (A [r, in], B [out, r]). */
  readonly adapters: Weights64;
}

function linear(x: Float64Array, rows: number, w: ArrayLike<number>, out: number, inp: number, bias?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let acc = bias === undefined ? 0 : (bias[o] as number);
      for (let i = 0; i < inp; i++) acc += (x[r * inp + i] as number) * (w[o * inp + i] as number);
      y[r * out + o] = acc;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, rows: number, d: number, w: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let i = 0; i < d; i++) ms += (x[r * d + i] as number) ** 2;
    const inv = 1 / Math.sqrt(ms / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] as number) * inv * (w[i] as number);
  }
  return y;
}

export function referenceLogits(config: DecoderConfig, w: Weights64, ids: ArrayLike<number>, attention: ArrayLike<number>, batch: number, seq: number, lora?: Lora64): Float64Array {
  const H = config.hidden_size;
  const nh = config.num_attention_heads;
  const nkv = config.num_key_value_heads;
  const dh = config.head_dim;
  const I = config.intermediate_size;
  const V = config.vocab_size;
  const eps = config.rms_norm_eps;
  const N = batch * seq;
  const get = (name: string) => {
    const t = w.get(name);
    if (t === undefined) throw new Error(`reference: no weight ${name}`);
    return t.data;
  };
  const proj = (x: Float64Array, module: string, out: number, inp: number, bias: boolean): Float64Array => {
    const y = linear(x, N, get(`${module}.weight`), out, inp, bias ? get(`${module}.bias`) : undefined);
    const a = lora?.adapters.get(`base_model.model.${module}.lora_A.weight`);
    const b = lora?.adapters.get(`base_model.model.${module}.lora_B.weight`);
    if (lora === undefined || a === undefined || b === undefined) return y;
    const r = a.shape[0] as number;
    const ax = linear(x, N, a.data, r, inp);
    const bax = linear(ax, N, b.data, out, r);
    for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + lora.scale * (bax[i] as number);
    return y;
  };
  const factor = config.rope_scaling?.factor ?? 1;
  const half = dh / 2;
  const rope = (v: Float64Array, heads: number): void => {
    // v: [N, heads * dh]; rotate each head at its position (row index mod seq).
    for (let n = 0; n < N; n++) {
      const p = n % seq;
      for (let h = 0; h < heads; h++) {
        const off = n * heads * dh + h * dh;
        const x = Array.from({ length: dh }, (_, i) => v[off + i] as number);
        for (let i = 0; i < dh; i++) {
          const f = i % half;
          const angle = (p / factor) * config.rope_theta ** ((-2 * f) / dh);
          const rot = i < half ? -(x[i + half] as number) : (x[i - half] as number);
          v[off + i] = (x[i] as number) * Math.cos(angle) + rot * Math.sin(angle);
        }
      }
    }
  };

  const embed = get('model.embed_tokens.weight');
  let h = new Float64Array(N * H);
  for (let n = 0; n < N; n++) for (let i = 0; i < H; i++) h[n * H + i] = embed[(ids[n] as number) * H + i] as number;
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const x = rmsNorm(h, N, H, get(`${p}.input_layernorm.weight`), eps);
    const q = proj(x, `${p}.self_attn.q_proj`, nh * dh, H, config.attention_bias);
    const k = proj(x, `${p}.self_attn.k_proj`, nkv * dh, H, config.attention_bias);
    const v = proj(x, `${p}.self_attn.v_proj`, nkv * dh, H, config.attention_bias);
    rope(q, nh);
    rope(k, nkv);
    const att = new Float64Array(N * nh * dh);
    for (let b = 0; b < batch; b++) {
      for (let hd = 0; hd < nh; hd++) {
        const kvh = Math.floor(hd / (nh / nkv));
        for (let i = 0; i < seq; i++) {
          const scores = new Float64Array(seq);
          let mx = -Infinity;
          for (let j = 0; j < seq; j++) {
            let s = 0;
            for (let d = 0; d < dh; d++) s += (q[((b * seq + i) * nh + hd) * dh + d] as number) * (k[((b * seq + j) * nkv + kvh) * dh + d] as number);
            s /= Math.sqrt(dh);
            scores[j] = j <= i && attention[b * seq + j] !== 0 ? s : -1e9;
            mx = Math.max(mx, scores[j] as number);
          }
          let z = 0;
          for (let j = 0; j < seq; j++) {
            scores[j] = Math.exp((scores[j] as number) - mx);
            z += scores[j] as number;
          }
          for (let d = 0; d < dh; d++) {
            let acc = 0;
            for (let j = 0; j < seq; j++) acc += ((scores[j] as number) / z) * (v[((b * seq + j) * nkv + kvh) * dh + d] as number);
            att[((b * seq + i) * nh + hd) * dh + d] = acc;
          }
        }
      }
    }
    const o = proj(att, `${p}.self_attn.o_proj`, H, nh * dh, config.attention_out_bias);
    h = h.map((val, i) => val + (o[i] as number));
    const x2 = rmsNorm(h, N, H, get(`${p}.post_attention_layernorm.weight`), eps);
    const gate = proj(x2, `${p}.mlp.gate_proj`, I, H, false);
    const up = proj(x2, `${p}.mlp.up_proj`, I, H, false);
    const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
    const down = proj(act, `${p}.mlp.down_proj`, H, I, false);
    h = h.map((val, i) => val + (down[i] as number));
  }
  const head = config.tie_word_embeddings ? embed : get('lm_head.weight');
  return linear(rmsNorm(h, N, H, get('model.norm.weight'), eps), N, head, V, H);
}

/** Mean cross-entropy of labels shifted by one (-100 ignored), from float64 logits. */
export function referenceLoss(logits: Float64Array, labels: ArrayLike<number>, batch: number, seq: number, vocab: number): number {
  let sum = 0;
  let count = 0;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t + 1 < seq; t++) {
      const label = labels[b * seq + t + 1] as number;
      if (label === -100) continue;
      const off = (b * seq + t) * vocab;
      let mx = -Infinity;
      for (let v = 0; v < vocab; v++) mx = Math.max(mx, logits[off + v] as number);
      let z = 0;
      for (let v = 0; v < vocab; v++) z += Math.exp((logits[off + v] as number) - mx);
      sum += mx + Math.log(z) - (logits[off + label] as number);
      count++;
    }
  }
  return sum / Math.max(count, 1);
}
