// Plain-JS float64 reference implementations of every op, written independently of the graph builder: the forward
// values of the ONNX graphs are compared with these, and the finite-difference gradients are taken of these.

export class Nd {
  constructor(
    readonly shape: readonly number[],
    readonly data: Float64Array,
  ) {
    if (data.length !== size(shape)) throw new Error(`Nd: ${data.length} values for shape [${shape.join(',')}]`);
  }

  static of(shape: readonly number[], values: ArrayLike<number>): Nd {
    return new Nd([...shape], Float64Array.from(values));
  }

  static scalar(v: number): Nd {
    return new Nd([], Float64Array.of(v));
  }

  get rank(): number {
    return this.shape.length;
  }

  at(...idx: number[]): number {
    return this.data[offset(this.shape, idx)] as number;
  }
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = (s[i + 1] as number) * (shape[i + 1] as number);
  return s;
}

export function offset(shape: readonly number[], idx: readonly number[]): number {
  const st = strides(shape);
  return idx.reduce((o, v, i) => o + v * (st[i] as number), 0);
}

export function unravel(shape: readonly number[], flat: number): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    idx[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return idx;
}

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => (s[s.length - rank + i] ?? 1) as number)));
}

/** Value of `a` at an index of a broadcast result shape. */
function bget(a: Nd, outIdx: readonly number[]): number {
  const lead = outIdx.length - a.rank;
  let o = 0;
  const st = strides(a.shape);
  for (let i = 0; i < a.rank; i++) o += (a.shape[i] === 1 ? 0 : (outIdx[i + lead] as number)) * (st[i] as number);
  return a.data[o] as number;
}

export function map2(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(shape, i);
    out[i] = f(bget(a, idx), bget(b, idx));
  }
  return new Nd(shape, out);
}

export const map = (a: Nd, f: (x: number) => number): Nd => new Nd(a.shape, a.data.map(f));

export const addN = (a: Nd, b: Nd): Nd => map2(a, b, (x, y) => x + y);
export const subN = (a: Nd, b: Nd): Nd => map2(a, b, (x, y) => x - y);
export const mulN = (a: Nd, b: Nd): Nd => map2(a, b, (x, y) => x * y);
export const divN = (a: Nd, b: Nd): Nd => map2(a, b, (x, y) => x / y);
export const sigmoidN = (a: Nd): Nd => map(a, (x) => 1 / (1 + Math.exp(-x)));

export function expandN(a: Nd, shape: readonly number[]): Nd {
  const out = broadcastShape(a.shape, shape);
  return map2(a, new Nd(out, new Float64Array(size(out))), (x) => x);
}

export function whereN(cond: Nd, a: Nd, b: Nd): Nd {
  const shape = broadcastShape(cond.shape, a.shape, b.shape);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(shape, i);
    out[i] = bget(cond, idx) !== 0 ? bget(a, idx) : bget(b, idx);
  }
  return new Nd(shape, out);
}

export function matmulN(a: Nd, b: Nd): Nd {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.rank - 1] as number;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, m, n];
  const out = new Float64Array(size(shape));
  const aB = new Nd(a.shape.slice(0, -2), new Float64Array(size(a.shape.slice(0, -2))));
  const bB = new Nd(b.shape.slice(0, -2), new Float64Array(size(b.shape.slice(0, -2))));
  for (let bi = 0; bi < size(batch); bi++) {
    const bidx = unravel(batch, bi);
    // offsets of the matrices of a and b for this batch index, following broadcasting
    const ao = batchOffset(aB, bidx) * m * k;
    const bo = batchOffset(bB, bidx) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += (a.data[ao + i * k + t] as number) * (b.data[bo + t * n + j] as number);
        out[bi * m * n + i * n + j] = s;
      }
    }
  }
  return new Nd(shape, out);
}

function batchOffset(a: Nd, outIdx: readonly number[]): number {
  const lead = outIdx.length - a.rank;
  const st = strides(a.shape);
  let o = 0;
  for (let i = 0; i < a.rank; i++) o += (a.shape[i] === 1 ? 0 : (outIdx[i + lead] as number)) * (st[i] as number);
  return o;
}

export function reduceN(a: Nd, axes: readonly number[], keepdims: boolean, kind: 'sum' | 'mean'): Nd {
  const ax = axes.map((x) => (x < 0 ? x + a.rank : x));
  const kept = a.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const out = new Float64Array(size(kept));
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(a.shape, i).map((v, d) => (ax.includes(d) ? 0 : v));
    const o = offset(kept, idx);
    out[o] = (out[o] as number) + (a.data[i] as number);
  }
  const count = ax.reduce((n, x) => n * (a.shape[x] as number), 1);
  if (kind === 'mean') for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / count;
  return new Nd(keepdims ? kept : a.shape.filter((_, i) => !ax.includes(i)), out);
}

export const sumAll = (a: Nd): number => a.data.reduce((s, x) => s + x, 0);

/** Softmax / log-softmax along the last axis. */
export function softmaxN(a: Nd, log = false): Nd {
  const n = a.shape[a.rank - 1] as number;
  const out = new Float64Array(a.data.length);
  for (let r = 0; r < a.data.length / n; r++) {
    const row = a.data.subarray(r * n, (r + 1) * n);
    const mx = Math.max(...row);
    const z = row.reduce((s, x) => s + Math.exp(x - mx), 0);
    for (let j = 0; j < n; j++) out[r * n + j] = log ? (row[j] as number) - mx - Math.log(z) : Math.exp((row[j] as number) - mx) / z;
  }
  return new Nd(a.shape, out);
}

export const reshapeN = (a: Nd, shape: readonly number[]): Nd => new Nd([...shape], a.data);

export function transposeN(a: Nd, perm: readonly number[]): Nd {
  const shape = perm.map((p) => a.shape[p] as number);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(shape, i);
    const src = new Array<number>(a.rank);
    perm.forEach((p, k) => (src[p] = idx[k] as number));
    out[i] = a.data[offset(a.shape, src)] as number;
  }
  return new Nd(shape, out);
}

/** Rows of `table` picked by integer ids (axis 0). */
export function gatherN(table: Nd, ids: readonly number[], idsShape: readonly number[]): Nd {
  const row = size(table.shape.slice(1));
  const out = new Float64Array(ids.length * row);
  ids.forEach((id, i) => out.set(table.data.subarray(id * row, (id + 1) * row), i * row));
  return new Nd([...idsShape, ...table.shape.slice(1)], out);
}

export function gatherElementsN(a: Nd, idx: readonly number[], idxShape: readonly number[], axis: number): Nd {
  const ax = axis < 0 ? axis + a.rank : axis;
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const p = unravel(idxShape, i);
    p[ax] = idx[i] as number;
    out[i] = a.data[offset(a.shape, p)] as number;
  }
  return new Nd([...idxShape], out);
}

export function sliceN(a: Nd, starts: readonly number[], ends: readonly number[], axes: readonly number[]): Nd {
  const lo = a.shape.map(() => 0);
  const hi = [...a.shape];
  axes.forEach((axIn, k) => {
    const ax = axIn < 0 ? axIn + a.rank : axIn;
    const d = a.shape[ax] as number;
    const c = (v: number): number => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    lo[ax] = c(starts[k] as number);
    hi[ax] = Math.max(c(ends[k] as number), lo[ax] as number);
  });
  const shape = hi.map((h, i) => h - (lo[i] as number));
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = a.data[offset(a.shape, unravel(shape, i).map((v, d) => v + (lo[d] as number)))] as number;
  return new Nd(shape, out);
}

export function concatN(xs: readonly Nd[], axis: number): Nd {
  const first = xs[0] as Nd;
  const ax = axis < 0 ? axis + first.rank : axis;
  const shape = [...first.shape];
  shape[ax] = xs.reduce((s, x) => s + (x.shape[ax] as number), 0);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(shape, i);
    let pos = idx[ax] as number;
    for (const x of xs) {
      const d = x.shape[ax] as number;
      if (pos < d) {
        idx[ax] = pos;
        out[i] = x.data[offset(x.shape, idx)] as number;
        break;
      }
      pos -= d;
    }
  }
  return new Nd(shape, out);
}
