import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SourceIoError } from './errors.js';
import type { HubSettings, KaggleSettings, SourceContext } from './types.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_KAGGLE_ENDPOINT = 'https://www.kaggle.com';

export interface SourceContextInit {
  readonly dataRoots: readonly string[];
  readonly cacheDir: string;
  readonly hf?: Partial<HubSettings>;
  readonly kaggle?: Partial<KaggleSettings>;
  readonly fetch?: typeof fetch;
}

/** A SourceContext with the defaults filled in and the roots made absolute. */
export function createSourceContext(init: SourceContextInit): SourceContext {
  const hf: HubSettings = { endpoint: init.hf?.endpoint || DEFAULT_HF_ENDPOINT, ...(init.hf?.token ? { token: init.hf.token } : {}) };
  const kaggle: KaggleSettings = {
    endpoint: init.kaggle?.endpoint || DEFAULT_KAGGLE_ENDPOINT,
    ...(init.kaggle?.username && init.kaggle.key ? { username: init.kaggle.username, key: init.kaggle.key } : {}),
  };
  return {
    dataRoots: init.dataRoots.map((r) => resolve(r)),
    cacheDir: resolve(init.cacheDir),
    hf,
    kaggle,
    ...(init.fetch ? { fetch: init.fetch } : {}),
  };
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface KaggleCredentials {
  readonly username: string;
  readonly key: string;
  /** `env`, or the path of the kaggle.json it came from. */
  readonly origin: string;
}

/** Where the Kaggle CLI keeps its token: `$KAGGLE_CONFIG_DIR/kaggle.json`, else `~/.kaggle/kaggle.json`. */
export const defaultKaggleConfigPath = (env: Env): string => join(env['KAGGLE_CONFIG_DIR'] || join(homedir(), '.kaggle'), 'kaggle.json');

/**
 * Kaggle API credentials the way the Kaggle CLI finds them: KAGGLE_USERNAME + KAGGLE_KEY, else kaggle.json
 * (`configPath`, default {@link defaultKaggleConfigPath}). Undefined when neither is there; a kaggle.json that
 * exists but is not `{ "username", "key" }` JSON is a SourceIoError. `env` is passed in (the app's parsed
 * config), never read from process.env here.
 */
export async function kaggleCredentials(env: Env, configPath: string = defaultKaggleConfigPath(env)): Promise<KaggleCredentials | undefined> {
  const username = env['KAGGLE_USERNAME'];
  const key = env['KAGGLE_KEY'];
  if (username && key) return { username, key, origin: 'env' };
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw new SourceIoError(`cannot read Kaggle credentials from ${configPath}: ${(err as Error).message}`, undefined, configPath, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SourceIoError(`${configPath} is not valid JSON (expected {"username": "…", "key": "…"})`, undefined, configPath, { cause: err });
  }
  const p = parsed as { username?: unknown; key?: unknown };
  if (typeof p.username !== 'string' || typeof p.key !== 'string' || !p.username || !p.key) {
    throw new SourceIoError(`${configPath} must hold {"username": "…", "key": "…"}`, undefined, configPath);
  }
  return { username: p.username, key: p.key, origin: configPath };
}

/** The Hugging Face token from HF_TOKEN (or the older HUGGING_FACE_HUB_TOKEN). */
export const hfToken = (env: Env): string | undefined => env['HF_TOKEN'] || env['HUGGING_FACE_HUB_TOKEN'] || undefined;
