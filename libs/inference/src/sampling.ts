/**
 * Choosing the next token from one row of logits: greedy (argmax, the lowest id on ties, as torch.argmax) or
 * sampling with temperature, top-k and top-p (nucleus) from a seeded PRNG, so a seed always gives the same tokens.
 * All the arithmetic is float64.
 */

export interface SamplingOptions {
  /** 0 (default): greedy. Otherwise the logits are divided by it before the softmax. */
  readonly temperature: number;
  /** Keep the smallest set of most likely tokens whose probability reaches topP (1: all). */
  readonly topP: number;
  /** Keep the topK most likely tokens (0: all). */
  readonly topK: number;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG of one row of a request: a function of (seed, row) only, so a batch does not change a row's draws. */
export function rowRandom(seed: number, row: number): () => number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(row + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return mulberry32(h ^ (h >>> 16));
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i] as number;
    if (x > max) {
      max = x;
      best = i;
    }
  }
  return best;
}

/** log softmax(logits)[id], in float64. */
export function logProbOf(logits: Float32Array, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return (logits[id] as number) - max - Math.log(sum);
}

export const isGreedy = (o: SamplingOptions): boolean => o.temperature <= 0;

/** The next token of one row. */
export function chooseToken(logits: Float32Array, o: SamplingOptions, random: () => number): number {
  if (isGreedy(o)) return argmax(logits);
  const n = logits.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const filtered = o.topK > 0 || o.topP < 1;
  // Most likely first; equal logits keep the lower id first (the greedy choice).
  if (filtered) order.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  const kept = o.topK > 0 ? Math.min(o.topK, n) : n;
  let max = -Infinity;
  for (let k = 0; k < kept; k++) max = Math.max(max, logits[order[k] as number] as number);
  const weights = new Float64Array(kept);
  let total = 0;
  for (let k = 0; k < kept; k++) {
    weights[k] = Math.exp(((logits[order[k] as number] as number) - max) / o.temperature);
    total += weights[k] as number;
  }
  let count = kept;
  if (o.topP < 1) {
    // The nucleus: the shortest prefix whose probability reaches topP (at least one token).
    let mass = 0;
    for (let k = 0; k < kept; k++) {
      mass += (weights[k] as number) / total;
      if (mass >= o.topP) {
        count = k + 1;
        break;
      }
    }
    total = 0;
    for (let k = 0; k < count; k++) total += weights[k] as number;
  }
  let u = random() * total;
  for (let k = 0; k < count; k++) {
    u -= weights[k] as number;
    if (u < 0) return order[k] as number;
  }
  return order[count - 1] as number;
}
