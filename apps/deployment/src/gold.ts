import type { FileArtifactStore } from '@distillery/artifacts';
import { PreparedManifest, type ArtifactRef, type TaskProfile, type TransformedRow } from '@distillery/contracts';
import { handlerFor, type TaskHandler } from '@distillery/tasks';
import type { ChatMessage } from './openai-client.js';

/**
 * Prompts of a prepared dataset as an OpenAI client sends them: each row rendered by its task handler (the same
 * rendering training and evaluation use), the turns before the last assistant turn as the `messages`, the assistant
 * turn as the expected answer. Rows that render as plain text (language modelling) have no prompt and are skipped.
 */
export interface PromptRow {
  readonly row_id: string;
  readonly messages: readonly ChatMessage[];
  readonly answer: string;
}

export interface DatasetPrompts {
  readonly profile: TaskProfile;
  readonly decoding: TaskHandler['decoding'];
  readonly label_set?: readonly string[];
  readonly rows: readonly PromptRow[];
}

/** A fixed prompt set for the smoke check of a model whose training run has no gold or eval rows. */
export const FIXED_SMOKE_PROMPTS: readonly string[] = ['Hello! Who are you?', 'What is two plus two?', 'Name one colour.', 'Say something short about the sea.'];

export async function readManifest(store: FileArtifactStore, ref: ArtifactRef): Promise<PreparedManifest> {
  return PreparedManifest.parse(JSON.parse((await store.readBytes(ref)).toString('utf8')));
}

/** Up to `limit` rows of a split, in order (nothing when the split is not in the store). */
async function readSplit(store: FileArtifactStore, ref: ArtifactRef, limit: number): Promise<TransformedRow[]> {
  if (!(await store.has(ref))) return [];
  const rows: TransformedRow[] = [];
  for await (const r of store.readJsonl<TransformedRow>(ref)) {
    rows.push(r);
    if (rows.length >= limit) break;
  }
  return rows;
}

const asMessage = (m: { role: string; content: string }): ChatMessage => ({ role: m.role === 'system' || m.role === 'assistant' ? m.role : 'user', content: m.content });

export function promptRows(manifest: PreparedManifest, rows: readonly TransformedRow[]): DatasetPrompts {
  const handler = handlerFor(manifest.task_profile);
  const ctx = manifest.label_set ? { label_set: manifest.label_set } : {};
  const out: PromptRow[] = [];
  for (const r of rows) {
    const rendered = handler.render(r.row_id, r.record, ctx);
    if (rendered.kind === 'chat') {
      const last = rendered.messages.at(-1);
      if (last?.role !== 'assistant') continue;
      out.push({ row_id: r.row_id, messages: rendered.messages.slice(0, -1).map(asMessage), answer: last.content });
    } else if (rendered.kind === 'pair') {
      out.push({ row_id: r.row_id, messages: rendered.prompt.map(asMessage), answer: rendered.chosen });
    }
  }
  return { profile: manifest.task_profile, decoding: handler.decoding, ...(manifest.label_set ? { label_set: manifest.label_set } : {}), rows: out };
}

/** The gold rows' prompts (the eval split's when the gold split is missing or empty). */
export async function goldPrompts(store: FileArtifactStore, manifest: PreparedManifest, limit: number): Promise<DatasetPrompts & { split: 'gold' | 'eval' | 'none' }> {
  for (const split of ['gold', 'eval'] as const) {
    const rows = await readSplit(store, manifest.artifacts[split], limit);
    const prompts = promptRows(manifest, rows);
    if (prompts.rows.length > 0) return { ...prompts, split };
  }
  return { ...promptRows(manifest, []), split: 'none' };
}

/** A split's prompts (for the input-drift profile). */
export async function splitPrompts(store: FileArtifactStore, manifest: PreparedManifest, split: 'train' | 'eval', limit: number): Promise<DatasetPrompts> {
  return promptRows(manifest, await readSplit(store, manifest.artifacts[split], limit));
}

/** What input drift compares: the last user turn of a prompt (what the runner records of each request). */
export const userText = (messages: readonly ChatMessage[]): string => [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
