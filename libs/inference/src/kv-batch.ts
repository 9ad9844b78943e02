import type { DecoderConfig } from '@distillery/models';
import type * as ort from 'onnxruntime-node';
import { IO, type GraphShape } from './graphs.js';
import { bool, f32, i64, type Feeds, type GraphSessions } from './sessions.js';

/** Smallest power of two ≥ n (and ≥ min): the static-shape buckets of batch, prompt and cache lengths. */
export function bucket(n: number, min = 1): number {
  let b = min;
  while (b < n) b *= 2;
  return b;
}

/** Prompt-length bucket of prefill and scoring graphs. */
export const seqBucket = (n: number): number => bucket(n, 16);

/**
 * The KV cache of one batch of rows, decoded in lockstep. Rows are left-padded to the prompt bucket S, so every row's
 * last prompt token sits in slot S − 1 and the n-th generated token in slot S + n − 1; position ids count real tokens
 * only, so a row's positions do not depend on its padding. The cache lives in JS, one [B, kvHeads, T, headDim] array
 * per layer for keys and for values; it doubles (T → 2T, a new decode graph shape) when it is full.
 */
export class KvBatch {
  private capacity: number;
  private keys: Float32Array[];
  private values: Float32Array[];
  /** [B, T]: 1 where a slot holds a real token of the row. */
  private valid: Uint8Array;
  private used: number;
  private readonly positions: number[];
  private latest: Float32Array;

  private constructor(
    private readonly sessions: GraphSessions,
    private readonly config: DecoderConfig,
    readonly batch: number,
    prompt: number,
    capacity: number,
    lengths: readonly number[],
  ) {
    this.capacity = capacity;
    const n = batch * config.num_key_value_heads * capacity * config.head_dim;
    this.keys = Array.from({ length: config.num_hidden_layers }, () => new Float32Array(n));
    this.values = Array.from({ length: config.num_hidden_layers }, () => new Float32Array(n));
    this.valid = new Uint8Array(batch * capacity);
    for (let r = 0; r < batch; r++) this.valid.fill(1, r * capacity + prompt - (lengths[r] as number), r * capacity + prompt);
    this.used = prompt;
    this.positions = [...lengths];
    this.latest = new Float32Array(0);
  }

  /**
   * Runs the prompts (each at least one token; `batch` ≥ prompts.length, extra rows are one-token dummies) and keeps
   * their keys and values. `capacity` is the first cache size (≥ the prompt bucket + 1).
   */
  static async prefill(sessions: GraphSessions, config: DecoderConfig, prompts: readonly (readonly number[])[], batch: number, reserve: number): Promise<KvBatch> {
    const rows = [...prompts, ...Array.from({ length: batch - prompts.length }, () => [0])];
    const s = seqBucket(Math.max(...rows.map((p) => p.length)));
    const kv = new KvBatch(sessions, config, batch, s, bucket(s + Math.max(1, reserve), 32), rows.map((p) => p.length));
    const ids = new BigInt64Array(batch * s);
    const positions = new BigInt64Array(batch * s);
    const attention = new Uint8Array(batch * s);
    rows.forEach((p, r) => {
      const pad = s - p.length;
      p.forEach((id, i) => {
        ids[r * s + pad + i] = BigInt(id);
        positions[r * s + pad + i] = BigInt(i);
        attention[r * s + pad + i] = 1;
      });
    });
    const shape: GraphShape = { kind: 'prefill', batch, chunk: s, past: 0 };
    const out = await sessions.run(shape, { [IO.ids]: i64([batch, s], ids), [IO.positions]: i64([batch, s], positions), [IO.attention]: bool([batch, s], attention) });
    kv.store(out, 0, s);
    kv.latest = out[IO.logits]?.data as Float32Array;
    return kv;
  }

  /** Logits [vocab] of row r's next token (a view, valid until the next step). */
  logits(r: number): Float32Array {
    const v = this.config.vocab_size;
    return this.latest.subarray(r * v, (r + 1) * v);
  }

  /** Feeds one token per row (finished and dummy rows too: their results are not read) and computes the next logits. */
  async step(tokens: readonly number[]): Promise<void> {
    if (this.used >= this.capacity) this.grow();
    const { batch: b, capacity: t } = this;
    const hkv = this.config.num_key_value_heads;
    const dh = this.config.head_dim;
    const attention = new Uint8Array(b * (t + 1));
    for (let r = 0; r < b; r++) {
      attention.set(this.valid.subarray(r * t, (r + 1) * t), r * (t + 1));
      attention[r * (t + 1) + t] = 1;
    }
    const feeds: Feeds = {
      [IO.ids]: i64([b, 1], BigInt64Array.from(tokens, (x) => BigInt(x))),
      [IO.positions]: i64([b, 1], BigInt64Array.from(this.positions, (x) => BigInt(x))),
      [IO.attention]: bool([b, t + 1], attention),
    };
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      feeds[IO.pastKey(l)] = f32([b, hkv, t, dh], this.keys[l] as Float32Array);
      feeds[IO.pastValue(l)] = f32([b, hkv, t, dh], this.values[l] as Float32Array);
    }
    const out = await this.sessions.run({ kind: 'decode', batch: b, chunk: 1, past: t }, feeds);
    this.store(out, this.used, 1);
    for (let r = 0; r < b; r++) {
      this.valid[r * t + this.used] = 1;
      this.positions[r] = (this.positions[r] as number) + 1;
    }
    this.used += 1;
    this.latest = out[IO.logits]?.data as Float32Array;
  }

  /** Copies the new keys/values [B, kvHeads, n, headDim] of every layer into slots [from, from + n). */
  private store(out: ort.InferenceSession.OnnxValueMapType, from: number, n: number): void {
    const heads = this.batch * this.config.num_key_value_heads;
    const dh = this.config.head_dim;
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      for (const [src, dst] of [
        [out[IO.newKey(l)]?.data as Float32Array, this.keys[l] as Float32Array],
        [out[IO.newValue(l)]?.data as Float32Array, this.values[l] as Float32Array],
      ] as const) {
        for (let h = 0; h < heads; h++) dst.set(src.subarray(h * n * dh, (h + 1) * n * dh), (h * this.capacity + from) * dh);
      }
    }
  }

  /** Doubles the cache: the used slots keep their place. */
  private grow(): void {
    const old = this.capacity;
    const t = old * 2;
    const heads = this.batch * this.config.num_key_value_heads;
    const dh = this.config.head_dim;
    const widen = (a: Float32Array): Float32Array => {
      const w = new Float32Array(heads * t * dh);
      for (let h = 0; h < heads; h++) w.set(a.subarray(h * old * dh, (h + 1) * old * dh), h * t * dh);
      return w;
    };
    this.keys = this.keys.map(widen);
    this.values = this.values.map(widen);
    const valid = new Uint8Array(this.batch * t);
    for (let r = 0; r < this.batch; r++) valid.set(this.valid.subarray(r * old, (r + 1) * old), r * t);
    this.valid = valid;
    this.capacity = t;
  }
}
