/**
 * Base model locators: `file:<dir>` (a Hugging Face layout folder under a configured model root) or
 * `hf:<id>[@revision]` (a hub id such as `HuggingFaceTB/SmolLM2-135M-Instruct`, optionally pinned to a commit, tag or
 * branch). Resolving a locator (reading the folder, pinning the revision) is the training service's job.
 */
export type BaseModelLocator =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'hf'; readonly id: string; readonly revision?: string };

const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
const HF_REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Parses a locator; returns the reason when it is not one. */
export function parseBaseModelLocator(locator: string): { ok: true; value: BaseModelLocator } | { ok: false; reason: string } {
  if (locator.startsWith('file:')) {
    const path = locator.slice('file:'.length);
    return path.trim() === '' ? { ok: false, reason: 'file: needs a folder, e.g. file:models/smollm2-135m' } : { ok: true, value: { kind: 'file', path } };
  }
  if (locator.startsWith('hf:')) {
    const rest = locator.slice('hf:'.length);
    const at = rest.indexOf('@');
    const id = at < 0 ? rest : rest.slice(0, at);
    const revision = at < 0 ? undefined : rest.slice(at + 1);
    if (!HF_ID.test(id) || id.includes('..')) return { ok: false, reason: `"${id}" is not a hub model id like owner/name` };
    if (revision !== undefined && !HF_REVISION.test(revision)) return { ok: false, reason: `"${revision}" is not a revision (commit, tag or branch)` };
    return { ok: true, value: revision === undefined ? { kind: 'hf', id } : { kind: 'hf', id, revision } };
  }
  return { ok: false, reason: 'expected file:<dir> or hf:<id>[@revision]' };
}
