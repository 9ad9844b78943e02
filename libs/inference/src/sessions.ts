import { mapOrtError } from '@distillery/engine-ort';
import type { DecoderConfig, Tensor } from '@distillery/models';
import * as ort from 'onnxruntime-node';
import { buildGraph, type BuiltGraph, type GraphShape, type WeightsAs } from './graphs.js';

export type Feeds = Record<string, ort.Tensor>;
export type Fetched = ort.InferenceSession.OnnxValueMapType;

export const i64 = (shape: readonly number[], data: BigInt64Array): ort.Tensor => new ort.Tensor('int64', data, [...shape]);
export const bool = (shape: readonly number[], data: Uint8Array): ort.Tensor => new ort.Tensor('bool', data, [...shape]);
export const f32 = (shape: readonly number[], data: Float32Array): ort.Tensor => new ort.Tensor('float32', data, [...shape]);

const label = (s: GraphShape): string => `${s.kind} ${s.batch}x${s.chunk}${s.past > 0 ? `+${s.past}` : ''}`;

/**
 * The model's graphs and onnxruntime sessions, built on first use per shape and kept until close: decoding a token
 * never builds a graph. The weights are fed as inputs from one copy shared by every session (no copy per graph).
 */
export class GraphSessions {
  private readonly entries = new Map<string, Promise<{ graph: BuiltGraph; session: ort.InferenceSession }>>();
  private readonly weightFeeds = new Map<string, ort.Tensor>();

  constructor(
    private readonly config: DecoderConfig,
    private readonly weights: ReadonlyMap<string, Tensor>,
    private readonly threads: number,
    private readonly weightsAs: WeightsAs = 'inputs',
  ) {
    if (weightsAs === 'inputs') for (const [name, t] of weights) this.weightFeeds.set(name, f32(t.shape, t.data));
  }

  /** Labels of the graphs built so far (`decode 1x1+64`, …), in build order. */
  get built(): string[] {
    return [...this.entries.keys()];
  }

  async run(shape: GraphShape, feeds: Feeds): Promise<Fetched> {
    const { graph, session } = await this.get(shape);
    for (const name of graph.weightInputs) feeds[name] = this.weightFeeds.get(name) as ort.Tensor;
    try {
      return await session.run(feeds);
    } catch (err) {
      throw mapOrtError(err, `inference (${label(shape)})`);
    }
  }

  private get(shape: GraphShape): Promise<{ graph: BuiltGraph; session: ort.InferenceSession }> {
    const key = label(shape);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = this.create(shape);
      this.entries.set(key, entry);
      entry.catch(() => this.entries.delete(key));
    }
    return entry;
  }

  private async create(shape: GraphShape): Promise<{ graph: BuiltGraph; session: ort.InferenceSession }> {
    let graph: BuiltGraph;
    try {
      graph = buildGraph(this.config, this.weights, shape, this.weightsAs);
    } catch (err) {
      throw err instanceof RangeError ? mapOrtError(err, `building the ${label(shape)} graph`) : err;
    }
    try {
      const session = await ort.InferenceSession.create(graph.bytes, {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 4,
        // Decode steps are many small ops: idle threads that spin between them steal the CPU on a shared machine
        // (measured 2× slower decoding with 2 threads under load).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      return { graph, session };
    } catch (err) {
      throw mapOrtError(err, `loading the ${label(shape)} graph`);
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
