import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isAbortError, SourceIoError, SourceUnreachableError } from '../errors.js';
import type { SourceContext } from '../types.js';

export interface RemoteService {
  /** `Hugging Face Hub`, `Kaggle`. */
  readonly name: string;
  /** What to do about a 401 / 403. */
  readonly authHint: string;
}

export interface GetOptions {
  readonly locator: string;
  readonly service: RemoteService;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** What was being fetched, for messages (`dataset info`, `file data/train.parquet`). */
  readonly what: string;
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

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

/**
 * GET with the error mapping every remote source shares: network failure → SourceUnreachableError naming the host;
 * 401 / 403 → SourceUnreachableError saying which credentials to set; any other non-2xx → SourceUnreachableError
 * with the status. Redirects are followed (hub files redirect to a CDN, which receives no credentials).
 */
export async function httpGet(ctx: SourceContext, url: string, opts: GetOptions): Promise<Response> {
  const host = hostOf(url);
  const doFetch = ctx.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { headers: { ...opts.headers }, signal: opts.signal, redirect: 'follow' });
  } catch (err) {
    if (isAbortError(err)) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new SourceUnreachableError(`${opts.service.name} at ${host} is unreachable while fetching ${opts.what} (${why})`, opts.locator, host, undefined, {
      cause: err,
    });
  }
  if (res.ok) return res;
  const detail = await errorDetail(res);
  const finalHost = hostOf(res.url || url);
  if (res.status === 401 || res.status === 403) {
    throw new SourceUnreachableError(
      `${opts.service.name} at ${finalHost} refused ${opts.what} (HTTP ${res.status})${detail}. ${opts.service.authHint}`,
      opts.locator,
      finalHost,
      res.status,
    );
  }
  if (res.status === 404) {
    throw new SourceUnreachableError(`${opts.service.name} at ${finalHost} has no ${opts.what} (HTTP 404)${detail}`, opts.locator, finalHost, 404);
  }
  throw new SourceUnreachableError(
    `${opts.service.name} at ${finalHost} answered HTTP ${res.status} ${res.statusText} for ${opts.what}${detail}`,
    opts.locator,
    finalHost,
    res.status,
  );
}

export async function getJson<T>(ctx: SourceContext, url: string, opts: GetOptions): Promise<T> {
  const res = await httpGet(ctx, url, opts);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new SourceUnreachableError(
      `${opts.service.name} at ${hostOf(url)} answered ${opts.what} with something that is not JSON (${text.slice(0, 80)}…)`,
      opts.locator,
      hostOf(url),
      res.status,
      { cause: err },
    );
  }
}

export const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * Downloads a response body to `dest` through a temporary file renamed into place, so a crash or an abort never
 * leaves a partial file under the final name. A body shorter than its Content-Length is a SourceIoError.
 */
export async function downloadTo(res: Response, dest: string, opts: { locator: string; signal?: AbortSignal; what: string }): Promise<number> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${randomUUID()}.part`;
  const expected = res.headers.get('content-encoding') ? null : Number(res.headers.get('content-length') ?? Number.NaN);
  let bytes = 0;
  try {
    if (!res.body) throw new Error('empty response body');
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    await pipeline(body, createWriteStream(tmp), { signal: opts.signal });
    if (expected !== null && Number.isFinite(expected) && bytes !== expected) {
      throw new Error(`truncated download: got ${bytes} of ${expected} bytes`);
    }
    await rename(tmp, dest);
    return bytes;
  } catch (err) {
    await rm(tmp, { force: true });
    if (isAbortError(err)) throw err;
    throw new SourceIoError(`${opts.locator}: downloading ${opts.what} to ${dest} failed: ${(err as Error).message}`, opts.locator, dest, { cause: err });
  }
}
