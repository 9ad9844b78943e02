import { loadModel, type InferenceModel, type LoadModelOptions } from '@distillery/inference';
import type { ModelTokenizer } from '@distillery/models';

/** One greedy generation, as every runtime reports it. */
export interface Decoded {
  /** Generated ids, the stop token that ended the row included. */
  readonly tokenIds: readonly number[];
  /** log p of each generated token. */
  readonly logprobs: readonly number[];
  /** The text, without the stop token and special tokens. */
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
}

/** Per teacher-forced row: the runtime's top-1 next token at each position from `from`, and log p of the row's token there. */
export interface TeacherForced {
  readonly top1: readonly number[];
  readonly logprobs: readonly number[];
}

/** An exported model loaded in its runtime (or the trained model itself), as the checks use it. */
export interface CheckRuntime {
  /** What runs it, for details: `libs/inference`, `onnxruntime-node (onnx/model.onnx)`. */
  readonly name: string;
  /** The tokenizer and chat template the bundle carries: prompts are rendered with it. */
  readonly tokenizer: ModelTokenizer;
  /** Ids that end a generation, as the bundle carries them. */
  readonly stopIds: readonly number[];
  greedy(prompts: readonly (readonly number[])[], maxNewTokens: number): Promise<Decoded[]>;
  /** Teacher forcing over `ids`: predictions for positions from..ids.length−1 (quantized parity). */
  teacherForced?(rows: ReadonlyArray<{ readonly ids: readonly number[]; readonly from: number }>): Promise<TeacherForced[]>;
  close(): Promise<void>;
}

/** A model on libs/inference (hf and peft bundles, the read-back GGUF weights, and the trained model itself). */
export class InferenceRuntime implements CheckRuntime {
  private constructor(
    readonly name: string,
    private readonly model: InferenceModel,
    readonly tokenizer: ModelTokenizer,
    readonly stopIds: readonly number[],
  ) {}

  /**
   * Loads `dir` (with `options.adapter` merged). `stopIds` are added to the model's own eos ids; `tokenizer`
   * replaces the folder's for rendering prompts (a peft bundle's tokenizer, not its base model's).
   */
  static async load(name: string, dir: string, options: LoadModelOptions & { readonly stopIds?: readonly number[]; readonly tokenizer?: ModelTokenizer }): Promise<InferenceRuntime> {
    const model = await loadModel(dir, { ...(options.adapter ? { adapter: options.adapter } : {}), threads: options.threads ?? 2 });
    const stopIds = [...new Set([...model.eosTokenIds, ...(options.stopIds ?? [])])].sort((a, b) => a - b);
    return new InferenceRuntime(name, model, options.tokenizer ?? model.tokenizer, stopIds);
  }

  async greedy(prompts: readonly (readonly number[])[], maxNewTokens: number): Promise<Decoded[]> {
    const out = await this.model.generateBatch(prompts, { maxNewTokens, temperature: 0, stopTokenIds: this.stopIds });
    return out.map((g) => ({ tokenIds: g.tokenIds, logprobs: g.logprobs, text: g.text, finishReason: g.finishReason }));
  }

  async teacherForced(rows: ReadonlyArray<{ readonly ids: readonly number[]; readonly from: number }>): Promise<TeacherForced[]> {
    const scores = await this.model.score(rows.map((r) => ({ prompt: r.ids.slice(0, r.from), continuation: r.ids.slice(r.from) })));
    // The top-1 token at each position: one greedy token from every prefix (score() gives log p of the fed tokens only).
    const prefixes = rows.flatMap((r) => Array.from({ length: r.ids.length - r.from }, (_, k) => r.ids.slice(0, r.from + k)));
    const next = await this.model.generateBatch(prefixes, { maxNewTokens: 1, temperature: 0, ignoreEos: true });
    let at = 0;
    return rows.map((r, i) => {
      const n = r.ids.length - r.from;
      const top1 = next.slice(at, at + n).map((g) => g.tokenIds[0] as number);
      at += n;
      return { top1, logprobs: scores[i]!.tokenLogprobs };
    });
  }

  close(): Promise<void> {
    return this.model.close();
  }
}
