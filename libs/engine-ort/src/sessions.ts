import * as ort from 'onnxruntime-node';
import { mapOrtError } from './errors.js';
import { buildGraph, type BuiltGraph, type GraphRequest, type ModelPlan } from './graphs.js';

/** A built graph and its onnxruntime session. */
export interface GraphSession {
  readonly graph: BuiltGraph;
  readonly session: ort.InferenceSession;
  readonly label: string;
}

export type Feeds = Record<string, ort.Tensor>;
export type Fetched = ort.InferenceSession.OnnxValueMapType;

export const f32 = (shape: readonly number[], data: Float32Array): ort.Tensor => new ort.Tensor('float32', data, [...shape]);
export const i64 = (shape: readonly number[], data: BigInt64Array): ort.Tensor => new ort.Tensor('int64', data, [...shape]);
export const bool = (shape: readonly number[], data: Uint8Array): ort.Tensor => new ort.Tensor('bool', data, [...shape]);
export const scalar = (v: number): ort.Tensor => new ort.Tensor('float32', Float32Array.of(v), []);


/** Graphs and sessions of one run, built on first use per (kind, batch, seq, adapters, dropout). */
export class GraphCache {
  private readonly entries = new Map<string, Promise<GraphSession>>();

  constructor(
    private readonly plan: ModelPlan,
    private readonly threads: number,
  ) {}

  get(req: GraphRequest): Promise<GraphSession> {
    const key = `${req.kind}|${req.batch}|${req.seq}|${req.adapters}|${req.dropout}|${req.outputGradients === true}|${req.accumulate === true}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = this.create(req);
      this.entries.set(key, entry);
      entry.catch(() => this.entries.delete(key));
    }
    return entry;
  }

  private async create(req: GraphRequest): Promise<GraphSession> {
    const label = `${req.kind}${req.adapters || this.plan.lora === undefined ? '' : ' (base model)'} ${req.batch}x${req.seq}`;
    let graph: BuiltGraph;
    try {
      graph = buildGraph(this.plan, req);
    } catch (err) {
      // A typed array too large for JS is an allocation failure; anything else is a bug or a bad config: as is.
      throw err instanceof RangeError ? mapOrtError(err, `building the ${label} graph`) : err;
    }
    try {
      const session = await ort.InferenceSession.create(graph.bytes, {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Failures reach the caller as engine errors with onnxruntime's message; no second copy on stderr.
        logSeverityLevel: 4,
      });
      return { graph, session, label };
    } catch (err) {
      throw mapOrtError(err, `loading the ${label} graph`);
    }
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) {
      const s = await e.catch(() => undefined);
      await s?.session.release();
    }
  }
}

/** session.run with onnxruntime failures mapped to engine errors. */
export async function runSession(gs: GraphSession, feeds: Feeds, during: string): Promise<Fetched> {
  try {
    return await gs.session.run(feeds);
  } catch (err) {
    throw mapOrtError(err, `${during} (${gs.label})`);
  }
}

export const valueOf = (out: Fetched, name: string): number => (out[name]?.data as Float32Array)[0] as number;
