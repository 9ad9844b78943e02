import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ModelIoError, ModelLocatorError } from './errors.js';
import { downloadHubModel, type HubOptions, isHubId } from './hub.js';

/**
 * Where a base model comes from:
 *
 * - `file:<dir>` — a folder in the Hugging Face layout (config.json, model.safetensors or shards + index,
 *   tokenizer.json, tokenizer_config.json, generation_config.json optional). Relative paths resolve against `baseDir`.
 * - `hf:<owner>/<name>[@<revision>]` — a Hub model repository at a branch, tag or commit (default `main`).
 */
export type ModelLocator =
  | { readonly kind: 'file'; readonly locator: string; readonly path: string }
  | { readonly kind: 'hf'; readonly locator: string; readonly id: string; readonly revision?: string };

export function parseModelLocator(locator: string): ModelLocator {
  const colon = locator.indexOf(':');
  const scheme = colon < 0 ? '' : locator.slice(0, colon);
  const body = colon < 0 ? '' : locator.slice(colon + 1);
  if (scheme === 'file') {
    if (body === '') throw new ModelLocatorError(`invalid model locator ${JSON.stringify(locator)}: expected file:<dir>`, locator);
    return { kind: 'file', locator, path: body.startsWith('//') ? decodeURIComponent(new URL(locator).pathname) : body };
  }
  if (scheme === 'hf') {
    const at = body.indexOf('@');
    const id = at < 0 ? body : body.slice(0, at);
    const revision = at < 0 ? undefined : body.slice(at + 1);
    if (!isHubId(id) || revision === '') {
      throw new ModelLocatorError(`invalid model locator ${JSON.stringify(locator)}: expected hf:<owner>/<name>[@<revision>], e.g. hf:HuggingFaceTB/SmolLM2-135M@main`, locator);
    }
    return revision === undefined ? { kind: 'hf', locator, id } : { kind: 'hf', locator, id, revision };
  }
  throw new ModelLocatorError(`unknown model locator ${JSON.stringify(locator)}: expected file:<dir> or hf:<owner>/<name>[@<revision>]`, locator);
}

export interface ResolveModelOptions extends Partial<HubOptions> {
  /** Where relative `file:` paths start (default the working directory). */
  readonly baseDir?: string;
}

export interface ResolvedModel {
  readonly locator: string;
  /** A local folder in the HF layout. */
  readonly dir: string;
  /** What exactly was resolved: `file://<abs dir>` or `hf://<id>@<sha>`. */
  readonly resolved: string;
  readonly sha?: string;
}

/** Turns a locator into a local model folder, downloading (and caching) a Hub repository when needed. */
export async function resolveModel(locator: string | ModelLocator, opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const parsed = typeof locator === 'string' ? parseModelLocator(locator) : locator;
  if (parsed.kind === 'file') {
    const dir = resolve(opts.baseDir ?? process.cwd(), parsed.path);
    const s = await stat(dir).catch(() => undefined);
    if (!s?.isDirectory()) throw new ModelIoError(`${parsed.locator}: ${dir} is not a folder`, dir);
    return { locator: parsed.locator, dir, resolved: `file://${dir}` };
  }
  if (!opts.cacheDir) throw new ModelLocatorError(`${parsed.locator}: a cache folder is needed to download Hub models (cacheDir)`, parsed.locator);
  const snapshot = await downloadHubModel(parsed.id, parsed.revision, { ...opts, cacheDir: opts.cacheDir });
  return { locator: parsed.locator, dir: snapshot.dir, resolved: `hf://${snapshot.id}@${snapshot.sha}`, sha: snapshot.sha };
}
