import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseWeightsIndex, safeShardName, SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from './checkpoint.js';
import { HubUnreachableError, isAbortError, ModelIoError } from './errors.js';
import { fileSize, readJsonIfExists, tempPathFor, writeJsonAtomic } from './fs-util.js';

/**
 * Model repositories on the Hugging Face Hub, through its HTTP API (the same endpoints `huggingface_hub` uses):
 *
 * - `GET {endpoint}/api/models/{id}/revision/{revision}?blobs=true` → `{ sha, siblings: [{ rfilename, size, lfs? }] }`
 * - `GET {endpoint}/{id}/resolve/{sha}/{file}` → the file (often a redirect to a CDN, which gets no token)
 *
 * Files go to `{cacheDir}/hf/models--{owner}--{name}/{sha}/…`, keyed by the commit the revision resolved to, each
 * through a temporary file renamed into place after its size (and, for LFS files, its sha256) was verified. A
 * snapshot that completed gets a `.complete.json` marker; the revision → sha resolution is cached under `refs/`, so
 * a second resolve makes no HTTP request (pass `refresh` to ask the Hub again). An interrupted download resumes
 * file by file: files already verified are not fetched again.
 */

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const HF_AUTH_HINT =
  'Set HF_TOKEN to a Hugging Face access token with read access (private and gated models need one; gated models also need their terms accepted on the model page).';

export interface HubOptions {
  /** HF_ENDPOINT; default https://huggingface.co. */
  readonly endpoint?: string;
  /** HF_TOKEN; sent only to the endpoint's origin. */
  readonly token?: string;
  readonly cacheDir: string;
  /** Ask the Hub again even when the revision was resolved before. */
  readonly refresh?: boolean;
  readonly signal?: AbortSignal;
  /** For tests and proxies; default the global fetch. */
  readonly fetch?: typeof fetch;
}

/** HF_ENDPOINT and HF_TOKEN (or the older HUGGING_FACE_HUB_TOKEN) from an environment. */
export function hubSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): { endpoint: string; token?: string } {
  const token = env['HF_TOKEN'] || env['HUGGING_FACE_HUB_TOKEN'] || undefined;
  return { endpoint: env['HF_ENDPOINT'] || DEFAULT_HF_ENDPOINT, ...(token ? { token } : {}) };
}

export interface HubSibling {
  readonly rfilename: string;
  readonly size?: number;
  readonly lfs?: { readonly sha256?: string; readonly size?: number };
}

interface ModelInfo {
  readonly sha?: string;
  readonly siblings?: readonly HubSibling[];
}

export interface HubSnapshot {
  readonly id: string;
  /** As asked (`main` when none was given). */
  readonly revision: string;
  /** The commit the revision resolved to. */
  readonly sha: string;
  /** The local folder holding the files. */
  readonly dir: string;
  /** Files downloaded (relative paths), in download order. */
  readonly files: readonly string[];
}

const HF_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
export const isHubId = (id: string): boolean => HF_ID.test(id) && !id.includes('..');

const REQUIRED = ['config.json', 'tokenizer.json'] as const;
const OPTIONAL = ['tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json', 'chat_template.jinja'] as const;
const COMPLETE_MARKER = '.complete.json';

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** Keeps a revision name (`refs/pr/1`) usable as one path segment. */
const keySegment = (s: string): string => encodeURIComponent(s).replace(/%/g, '~');

class HubClient {
  readonly endpoint: string;
  constructor(private readonly opts: HubOptions) {
    this.endpoint = (opts.endpoint || DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
  }

  private headers(url: string): Record<string, string> {
    if (!this.opts.token || new URL(url).origin !== new URL(this.endpoint).origin) return {};
    return { authorization: `Bearer ${this.opts.token}` };
  }

  async get(url: string, what: string): Promise<Response> {
    const host = hostOf(url);
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(url, { headers: this.headers(url), signal: this.opts.signal, redirect: 'follow' });
    } catch (err) {
      if (isAbortError(err)) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HubUnreachableError(`Hugging Face Hub at ${host} is unreachable while fetching ${what} (${cause?.code ?? cause?.message ?? (err as Error).message})`, host, undefined, {
        cause: err,
      });
    }
    if (res.ok) return res;
    const detail = await errorDetail(res);
    const finalHost = hostOf(res.url || url);
    if (res.status === 401 || res.status === 403) {
      const tokenNote = this.opts.token ? ' (a token was sent)' : ' (no token was sent)';
      throw new HubUnreachableError(`Hugging Face Hub at ${finalHost} refused ${what} (HTTP ${res.status})${detail}${tokenNote}. ${HF_AUTH_HINT}`, finalHost, res.status);
    }
    if (res.status === 404) throw new HubUnreachableError(`Hugging Face Hub at ${finalHost} could not find ${what} (HTTP 404)${detail}`, finalHost, 404);
    throw new HubUnreachableError(`Hugging Face Hub at ${finalHost} answered HTTP ${res.status} ${res.statusText} for ${what}${detail}`, finalHost, res.status);
  }

  async getJson<T>(url: string, what: string): Promise<T> {
    const res = await this.get(url, what);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new HubUnreachableError(`Hugging Face Hub at ${hostOf(url)} answered ${what} with something that is not JSON (${text.slice(0, 80)}…)`, hostOf(url), res.status, {
        cause: err,
      });
    }
  }

  /**
   * Streams a file to `dest` through a temporary file, hashing it on the way; the rename happens only after the
   * byte count (and the sha256, when known) matched.
   */
  async download(url: string, dest: string, what: string, expect: { size?: number; sha256?: string }): Promise<number> {
    const res = await this.get(url, what);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = tempPathFor(dest);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      if (!res.body) throw new Error('empty response body');
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), counter, createWriteStream(tmp), { signal: this.opts.signal });
      const contentLength = res.headers.get('content-encoding') ? Number.NaN : Number(res.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(contentLength) && bytes !== contentLength) throw new Error(`truncated download: got ${bytes} of ${contentLength} bytes`);
      if (expect.size !== undefined && bytes !== expect.size) throw new Error(`size mismatch: got ${bytes} bytes, the Hub lists ${expect.size}`);
      const digest = hash.digest('hex');
      if (expect.sha256 && digest !== expect.sha256) throw new Error(`sha256 mismatch: got ${digest}, the Hub lists ${expect.sha256}`);
      await rename(tmp, dest);
      return bytes;
    } catch (err) {
      await rm(tmp, { force: true });
      if (isAbortError(err)) throw err;
      throw new ModelIoError(`downloading ${what} to ${dest} failed: ${(err as Error).message}`, dest, { cause: err });
    }
  }
}

async function errorDetail(res: Response): Promise<string> {
  try {
    const text = (await res.text()).slice(0, 500);
    try {
      const body = JSON.parse(text) as { error?: unknown; message?: unknown };
      const msg = body.error ?? body.message;
      if (typeof msg === 'string') return `: ${msg}`;
    } catch {
      // not JSON
    }
    return text.trim() ? `: ${text.trim().slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

interface RefRecord {
  readonly sha: string;
}

interface CompleteRecord {
  readonly id: string;
  readonly sha: string;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

export const hubCacheRoot = (cacheDir: string, id: string): string => join(cacheDir, 'hf', `models--${id.replace('/', '--')}`);

/** A cached snapshot counts only when its marker lists files that are all present with their sizes. */
async function completeSnapshot(dir: string, id: string, sha: string): Promise<CompleteRecord | undefined> {
  const record = (await readJsonIfExists(join(dir, COMPLETE_MARKER)).catch(() => undefined)) as CompleteRecord | undefined;
  if (!record || record.id !== id || record.sha !== sha || !Array.isArray(record.files)) return undefined;
  for (const f of record.files) if ((await fileSize(join(dir, f.path))) !== f.size) return undefined;
  return record;
}

/**
 * Downloads what a model folder needs from a Hub repository revision: config.json, tokenizer.json, the weights
 * (model.safetensors, or model.safetensors.index.json and every shard it names), and tokenizer_config.json,
 * generation_config.json, special_tokens_map.json and chat_template.jinja when the repository has them.
 */
export async function downloadHubModel(id: string, revision: string | undefined, opts: HubOptions): Promise<HubSnapshot> {
  if (!isHubId(id)) throw new ModelIoError(`invalid Hugging Face model id ${JSON.stringify(id)} (expected <owner>/<name>)`);
  const rev = revision ?? 'main';
  const root = hubCacheRoot(opts.cacheDir, id);
  const refPath = join(root, 'refs', `${keySegment(rev)}.json`);
  const client = new HubClient(opts);

  // 1. A revision resolved before (or a commit sha), whose snapshot completed: no request.
  if (!opts.refresh) {
    const known = /^[0-9a-f]{40}$/.test(rev) ? rev : ((await readJsonIfExists(refPath).catch(() => undefined)) as RefRecord | undefined)?.sha;
    if (known) {
      const dir = join(root, known);
      const done = await completeSnapshot(dir, id, known);
      if (done) return { id, revision: rev, sha: known, dir, files: done.files.map((f) => f.path) };
    }
  }

  // 2. Ask the Hub which commit the revision is and what it holds.
  const label = `${id}${revision ? `@${revision}` : ''}`;
  const info = await client.getJson<ModelInfo>(`${client.endpoint}/api/models/${id}/revision/${encodeURIComponent(rev)}?blobs=true`, `the file listing of ${label}`);
  if (typeof info.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha)) {
    throw new HubUnreachableError(`Hugging Face Hub at ${hostOf(client.endpoint)} returned the listing of ${label} without a commit sha`, hostOf(client.endpoint));
  }
  const sha = info.sha;
  const dir = join(root, sha);
  const siblings = new Map((info.siblings ?? []).filter((s) => typeof s.rfilename === 'string').map((s) => [s.rfilename, s]));
  const listing = () => [...siblings.keys()].slice(0, 30).join(', ') || 'none';
  for (const f of REQUIRED) {
    if (!siblings.has(f)) throw new ModelIoError(`${label} (commit ${sha}) has no ${f} (files: ${listing()})`);
  }
  const hasIndex = siblings.has(WEIGHTS_INDEX_FILE);
  if (!hasIndex && !siblings.has(SINGLE_WEIGHTS_FILE)) {
    const other = [...siblings.keys()].filter((n) => /\.(bin|pt|pth|gguf|safetensors)$/.test(n));
    throw new ModelIoError(
      `${label} (commit ${sha}) has neither ${SINGLE_WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE}${other.length > 0 ? ` (found ${other.join(', ')}; only safetensors weights are read)` : ''}`,
    );
  }

  const fetched: { path: string; size: number }[] = [];
  const fetchFile = async (path: string): Promise<void> => {
    const s = siblings.get(path);
    const dest = join(dir, safeShardName(path, `the listing of ${label}`));
    const size = s?.lfs?.size ?? s?.size;
    const have = await fileSize(dest);
    if (have !== undefined && (size === undefined || have === size)) {
      fetched.push({ path, size: have });
      return;
    }
    const url = `${client.endpoint}/${id}/resolve/${sha}/${path.split('/').map(encodeURIComponent).join('/')}`;
    const bytes = await client.download(url, dest, `file ${path} of ${id}@${sha}`, { size, sha256: s?.lfs?.sha256 });
    fetched.push({ path, size: bytes });
  };

  for (const f of [...REQUIRED, ...OPTIONAL]) if (siblings.has(f)) await fetchFile(f);
  if (hasIndex) {
    await fetchFile(WEIGHTS_INDEX_FILE);
    const indexPath = join(dir, WEIGHTS_INDEX_FILE);
    const index = parseWeightsIndex(await readFile(indexPath, 'utf8'), indexPath);
    const shards = [...new Set(Object.values(index.weight_map))];
    for (const shard of shards) {
      if (!siblings.has(shard)) throw new ModelIoError(`${WEIGHTS_INDEX_FILE} of ${label} names shard ${shard}, which is not in the repository (files: ${listing()})`);
      await fetchFile(shard);
    }
  } else {
    await fetchFile(SINGLE_WEIGHTS_FILE);
  }
  await writeJsonAtomic(join(dir, COMPLETE_MARKER), { id, sha, files: fetched } satisfies CompleteRecord);
  await writeJsonAtomic(refPath, { sha } satisfies RefRecord);
  return { id, revision: rev, sha, dir, files: fetched.map((f) => f.path) };
}
