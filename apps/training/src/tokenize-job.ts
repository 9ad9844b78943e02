import type { ArtifactRef, PreparedManifest, TransformedRow } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { handlerFor, tokenizeRendered, trainedTokens, type ChatTokenizer, type TokenizedExample, type TokenizedPair } from '@distillery/tasks';

export interface ShardStats {
  readonly examples: number;
  readonly tokens: number;
  readonly trained_tokens: number;
  readonly truncated: number;
  readonly max_length: number;
  readonly p95_length: number;
  /** Rows that could not be rendered (their row id and why); they are left out of the shard. */
  readonly skipped: ReadonlyArray<{ readonly row_id: string; readonly reason: string }>;
}

export interface TokenizedSplits {
  readonly shards: Readonly<Record<'train' | 'eval', ArtifactRef>>;
  readonly stats: Readonly<Record<'train' | 'eval', ShardStats>>;
}

const lengthsOf = (e: TokenizedExample | TokenizedPair): number[] => ('chosen' in e ? [e.chosen.input_ids.length, e.rejected.input_ids.length] : [e.input_ids.length]);

/**
 * Renders and tokenizes the train and eval splits of a prepared dataset with the model's tokenizer and chat template,
 * into JSONL shards of TokenizedExample (or TokenizedPair for alignment). Gold stays untouched: it is for evaluation.
 */
export async function tokenizeSplits(store: FileArtifactStore, manifest: PreparedManifest, tok: ChatTokenizer, opts: { readonly max_seq_len: number; readonly engine?: string }): Promise<TokenizedSplits> {
  const handler = handlerFor(manifest.task_profile, opts.engine ?? 'ort');
  const ctx = manifest.label_set ? { label_set: manifest.label_set } : {};
  const shards = {} as Record<'train' | 'eval', ArtifactRef>;
  const stats = {} as Record<'train' | 'eval', ShardStats>;
  for (const split of ['train', 'eval'] as const) {
    const out = await store.jsonlWriter();
    const lengths: number[] = [];
    let tokens = 0;
    let trained = 0;
    let truncated = 0;
    const skipped: Array<{ row_id: string; reason: string }> = [];
    try {
      for await (const row of store.readJsonl<TransformedRow>(manifest.artifacts[split])) {
        let e: TokenizedExample | TokenizedPair;
        try {
          e = tokenizeRendered(row.row_id, handler.render(row.row_id, row.record, ctx), tok, { max_seq_len: opts.max_seq_len });
        } catch (err) {
          if ((err as { code?: string }).code !== 'TASKS.ROW_SHAPE') throw err;
          skipped.push({ row_id: row.row_id, reason: (err as Error).message });
          continue;
        }
        await out.write(e);
        for (const ex of 'chosen' in e ? [e.chosen, e.rejected] : [e]) {
          tokens += ex.input_ids.length;
          trained += trainedTokens(ex);
          if (ex.truncated) truncated++;
        }
        lengths.push(...lengthsOf(e));
      }
      shards[split] = await out.close();
    } catch (err) {
      await out.abort();
      throw err;
    }
    const sorted = [...lengths].sort((a, b) => a - b);
    stats[split] = {
      examples: out.count,
      tokens,
      trained_tokens: trained,
      truncated,
      max_length: sorted.at(-1) ?? 0,
      p95_length: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0,
      skipped: skipped.slice(0, 50),
    };
  }
  return { shards, stats };
}
