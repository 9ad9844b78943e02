import { join, resolve } from 'node:path';
import { z } from 'zod';
import { url } from '@distillery/config';
import { createMapperRegistry } from '@distillery/mappers';
import { createSourceContext, createSourceRegistry, hfToken, kaggleCredentials, type SourceContext } from '@distillery/sources';
import type { ImporterDeps } from './importer.js';

/** Variables of every app that reads sources (api for introspection and dry runs, mapping for imports). */
export const dataConfigShape = {
  /** File locators are confined to these directories (comma-separated); relative locators resolve against the first. */
  DISTILLERY_DATA_ROOTS: z.string().min(1).default('.'),
  HF_ENDPOINT: url(['http', 'https']).default('https://huggingface.co'),
  HF_TOKEN: z.string().min(1).optional(),
  KAGGLE_API_URL: url(['http', 'https']).default('https://www.kaggle.com'),
  KAGGLE_USERNAME: z.string().min(1).optional(),
  KAGGLE_KEY: z.string().min(1).optional(),
  KAGGLE_CONFIG_DIR: z.string().min(1).optional(),
};

export interface DataConfig {
  readonly DISTILLERY_DATA_ROOTS: string;
  readonly DISTILLERY_DATA_DIR: string;
  readonly HF_ENDPOINT: string;
  readonly HF_TOKEN?: string;
  readonly KAGGLE_API_URL: string;
  readonly KAGGLE_USERNAME?: string;
  readonly KAGGLE_KEY?: string;
  readonly KAGGLE_CONFIG_DIR?: string;
}

export const dataRoots = (cfg: Pick<DataConfig, 'DISTILLERY_DATA_ROOTS'>): string[] =>
  cfg.DISTILLERY_DATA_ROOTS.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => resolve(s));

export const artifactsDir = (cfg: Pick<DataConfig, 'DISTILLERY_DATA_DIR'>): string => resolve(join(cfg.DISTILLERY_DATA_DIR, 'artifacts'));

/** The SourceContext of an app, from its parsed config (credentials from the config, else ~/.kaggle/kaggle.json). */
export async function sourceContextFromConfig(cfg: DataConfig): Promise<SourceContext> {
  const env = {
    HF_TOKEN: cfg.HF_TOKEN,
    KAGGLE_USERNAME: cfg.KAGGLE_USERNAME,
    KAGGLE_KEY: cfg.KAGGLE_KEY,
    KAGGLE_CONFIG_DIR: cfg.KAGGLE_CONFIG_DIR,
  };
  const kaggle = await kaggleCredentials(env);
  return createSourceContext({
    dataRoots: dataRoots(cfg),
    cacheDir: join(cfg.DISTILLERY_DATA_DIR, 'cache'),
    hf: { endpoint: cfg.HF_ENDPOINT, token: hfToken(env) },
    kaggle: { endpoint: cfg.KAGGLE_API_URL, username: kaggle?.username, key: kaggle?.key },
  });
}

/** Everything an app needs to read sources and map rows, built from its parsed config. */
export async function importerFromConfig(cfg: DataConfig): Promise<ImporterDeps> {
  return { sources: createSourceRegistry(), sourceContext: await sourceContextFromConfig(cfg), mappers: createMapperRegistry() };
}
