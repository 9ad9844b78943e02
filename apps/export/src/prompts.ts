import { ArtifactNotFoundError, type FileArtifactStore } from '@distillery/artifacts';
import { PreparedManifest, type ArtifactRef, type TransformedRow } from '@distillery/contracts';
import type { ChatMessage, ModelTokenizer } from '@distillery/models';
import { handlerFor } from '@distillery/tasks';
import { ExportArtifactMissingError } from './errors.js';

/** A prompt of the smoke and parity checks: a chat (rendered with the runtime's own template) or raw text. */
export interface CheckPrompt {
  readonly row_id: string;
  readonly messages?: readonly ChatMessage[];
  readonly text?: string;
}

/** Used when a request names neither a training run nor a manifest: the checks still load and generate. */
export const FALLBACK_PROMPTS: readonly CheckPrompt[] = [
  { row_id: 'fallback-0', messages: [{ role: 'user', content: 'Hello! Who are you?' }] },
  { row_id: 'fallback-1', messages: [{ role: 'user', content: 'Summarise what you can do in one sentence.' }] },
];

/**
 * The prompt of a row as the task handler renders it: every message before the last assistant turn (chat tasks), the
 * prompt of a preference pair, or the first half of a language-modelling text — what the model is asked at inference.
 */
export function promptOf(row: TransformedRow, labelSet: readonly string[] | undefined): CheckPrompt {
  const r = handlerFor(row.task_profile).render(row.row_id, row.record, labelSet ? { label_set: labelSet } : {});
  switch (r.kind) {
    case 'chat': {
      const last = r.messages.length - 1;
      const prompt = r.messages[last]?.role === 'assistant' ? r.messages.slice(0, last) : r.messages;
      return { row_id: row.row_id, messages: prompt.map((m) => ({ role: m.role, content: m.content })) };
    }
    case 'pair':
      return { row_id: row.row_id, messages: r.prompt.map((m) => ({ role: m.role, content: m.content })) };
    case 'text': {
      const words = r.text.split(/(\s+)/);
      return { row_id: row.row_id, text: words.slice(0, Math.max(1, Math.ceil(words.length / 2))).join('') };
    }
  }
}

/**
 * The first `limit` rows of the manifest's gold split (the eval split when gold is empty) as check prompts. A
 * manifest or split that is not in the store is `export_artifact_missing`.
 */
export async function goldPrompts(store: FileArtifactStore, manifestRef: ArtifactRef | undefined, limit: number): Promise<{ prompts: readonly CheckPrompt[]; source: string }> {
  if (manifestRef === undefined) return { prompts: FALLBACK_PROMPTS, source: 'built-in prompts (no prepared manifest named)' };
  let manifest: PreparedManifest;
  try {
    manifest = PreparedManifest.parse(JSON.parse((await store.readBytes(manifestRef)).toString('utf8')));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ExportArtifactMissingError(`the prepared manifest ${manifestRef.uri} is not in the artifact store`, { cause: err });
    throw err;
  }
  const missing: string[] = [];
  for (const split of ['gold', 'eval'] as const) {
    const ref = manifest.artifacts[split];
    if (!(await store.has(ref))) {
      missing.push(`the ${split} split (${ref.uri}) is not in the artifact store`);
      continue;
    }
    const rows: TransformedRow[] = [];
    for await (const row of store.readJsonl<TransformedRow>(ref)) {
      rows.push(row);
      if (rows.length >= limit) break;
    }
    if (rows.length > 0) return { prompts: rows.map((r) => promptOf(r, manifest.label_set)), source: `the first ${rows.length} rows of the ${split} split` };
    missing.push(`the ${split} split is empty`);
  }
  throw new ExportArtifactMissingError(`no gold prompts: ${missing.join('; ')}`);
}

/** Token ids of a check prompt with a tokenizer: chats through its chat template (assistant turn opened), text as is. */
export function promptIds(tokenizer: ModelTokenizer, p: CheckPrompt): number[] {
  if (p.messages !== undefined) return tokenizer.encode(tokenizer.renderChat(p.messages, { addGenerationPrompt: true }), { addSpecialTokens: false });
  return tokenizer.encode(p.text ?? '', { addSpecialTokens: true });
}

/** A prompt as one line of text for events: the last user turn (or the text), shortened. */
export function promptText(p: CheckPrompt, max = 300): string {
  const t = p.messages ? ([...p.messages].reverse().find((m) => m.role === 'user')?.content ?? '') : (p.text ?? '');
  const one = t.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
