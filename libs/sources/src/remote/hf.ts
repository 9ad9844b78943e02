import { basename, dirname, join, posix } from 'node:path';
import type { SourceRow } from '@distillery/contracts';
import { childContext, type ReadContext, StreamSource } from '../core/stream-source.js';
import { LocatorError, SourceUnreachableError, UnsupportedFormatError } from '../errors.js';
import { type FileFormat, fileReader, FORMAT_OPTIONS, formatFromName } from '../formats/file-formats.js';
import { booleanOption, checkOptions } from '../locator.js';
import type { ParsedLocator, SourceContext, SourceFactory } from '../types.js';
import { keySegment, readJsonFile, safeRelative, writeJsonFile } from './cache.js';
import { downloadTo, exists, getJson, httpGet, type RemoteService } from './http.js';

export const HF_SERVICE: RemoteService = {
  name: 'Hugging Face Hub',
  authHint:
    'Set HF_TOKEN to a Hugging Face access token with read access (private and gated datasets need one; gated datasets also need their terms accepted on the dataset page).',
};

const HF_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const DATA_EXTENSIONS = /\.(parquet|jsonl|ndjson|csv|tsv|json)(\.gz)?$/i;

export interface HfLocator {
  readonly id: string;
  readonly split: string;
  /** As written in the locator; undefined = the default branch. */
  readonly revision?: string;
  readonly config?: string;
  readonly refresh: boolean;
}

export function parseHfLocator(parsed: ParsedLocator): HfLocator {
  const [id = '', split, revision, ...extra] = parsed.body.split(':');
  if (!HF_ID.test(id) || extra.length > 0 || split === '' || revision === '') {
    throw new LocatorError(`invalid locator ${parsed.locator}: expected hf:<owner>/<name>[:<split>[:<revision>]], e.g. hf:stanfordnlp/imdb:test`, parsed.locator);
  }
  return { id, split: split ?? 'train', revision, config: parsed.options['config'], refresh: booleanOption(parsed, 'refresh', false) };
}

interface Sibling {
  readonly rfilename: string;
  readonly size?: number;
}

interface DatasetInfo {
  readonly id?: string;
  readonly sha?: string;
  readonly siblings?: readonly Sibling[];
  readonly cardData?: { readonly dataset_info?: unknown };
}

interface PlanFile {
  /** Path in the repository (or in refs/convert/parquet), used as RowSource.file and in row ids. */
  readonly path: string;
  readonly url: string;
  /** Where it is cached, relative to the dataset's cache folder. */
  readonly cachePath: string;
  readonly size?: number;
}

/** How a locator was resolved; cached, so a second load makes no HTTP request. */
export interface HfPlan {
  readonly id: string;
  readonly sha: string;
  readonly format: FileFormat;
  readonly files: readonly PlanFile[];
  readonly warnings: readonly string[];
  readonly numRows?: number;
}

const splitMatches = (path: string, split: string): boolean => {
  const segments = path.split('/');
  const file = segments.pop() ?? '';
  const stem = file.replace(DATA_EXTENSIONS, '');
  return segments.includes(split) || stem === split || stem.startsWith(`${split}-`) || stem.includes(`-${split}-`) || stem.endsWith(`-${split}`);
};

/** Split row count from the dataset card's `dataset_info` (an object, or a list with one entry per config). */
function cardRows(info: DatasetInfo, split: string, config: string | undefined): number | undefined {
  const di = info.cardData?.dataset_info;
  const entries = (Array.isArray(di) ? di : di ? [di] : []) as { config_name?: string; splits?: { name?: string; num_examples?: number }[] }[];
  const entry = entries.find((e) => (config ? e.config_name === config : e.config_name === undefined || e.config_name === 'default')) ?? (entries.length === 1 ? entries[0] : undefined);
  const n = entry?.splits?.find((s) => s.name === split)?.num_examples;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** The token goes to the configured endpoint only, never to another host named in a listing. */
const authHeaders = (ctx: SourceContext, url?: string): Record<string, string> => {
  if (!ctx.hf.token) return {};
  if (url !== undefined && new URL(url).origin !== new URL(ctx.hf.endpoint).origin) return {};
  return { authorization: `Bearer ${ctx.hf.token}` };
};

const endpointOf = (ctx: SourceContext): string => ctx.hf.endpoint.replace(/\/+$/, '');

/** Picks one group of files when a split's files sit under several configs (folders). */
function pickGroup(files: readonly Sibling[], hf: HfLocator, warnings: string[]): Sibling[] {
  const groupOf = (p: string) =>
    dirname(p)
      .split('/')
      .filter((s) => s !== hf.split)
      .join('/');
  const groups = new Map<string, Sibling[]>();
  for (const f of files) {
    const g = groupOf(f.rfilename);
    groups.set(g, [...(groups.get(g) ?? []), f]);
  }
  if (hf.config) {
    const chosen = [...groups].filter(([g]) => g.split('/').includes(hf.config as string)).flatMap(([, fs]) => fs);
    return chosen;
  }
  if (groups.size <= 1) return [...files];
  const names = [...groups.keys()].sort();
  const preferred = names.find((g) => g === 'data' || g === 'default' || g === '.') ?? (names[0] as string);
  warnings.push(`split files sit in several folders (${names.join(', ')}); reading ${preferred} (pass ?config=<name> to choose)`);
  return groups.get(preferred) ?? [];
}

async function resolvePlan(ctx: SourceContext, parsed: ParsedLocator, hf: HfLocator, signal: AbortSignal | undefined): Promise<HfPlan> {
  const cacheRoot = join(ctx.cacheDir, 'hf', `datasets--${hf.id.replace('/', '--')}`);
  const planPath = join(cacheRoot, 'plans', keySegment(hf.revision ?? '@default'), keySegment(hf.config ?? '@auto'), `${keySegment(hf.split)}.json`);
  if (!hf.refresh) {
    const cached = await readJsonFile<HfPlan>(planPath);
    if (cached && cached.id === hf.id && Array.isArray(cached.files)) return cached;
  }
  const endpoint = endpointOf(ctx);
  const common = { locator: parsed.locator, service: HF_SERVICE, headers: authHeaders(ctx), signal };
  const infoUrl = `${endpoint}/api/datasets/${hf.id}${hf.revision ? `/revision/${encodeURIComponent(hf.revision)}` : ''}?blobs=true`;
  const info = await getJson<DatasetInfo>(ctx, infoUrl, { ...common, what: `dataset info for ${hf.id}${hf.revision ? `@${hf.revision}` : ''}` });
  if (typeof info.sha !== 'string' || !/^[0-9a-f]{7,64}$/.test(info.sha)) {
    throw new SourceUnreachableError(`${HF_SERVICE.name} returned dataset info for ${hf.id} without a commit sha`, parsed.locator, new URL(endpoint).host);
  }
  const sha = info.sha;
  const siblings = (info.siblings ?? []).filter((s) => typeof s.rfilename === 'string');
  const warnings: string[] = [];
  const numRows = cardRows(info, hf.split, hf.config);
  const repoFile = (s: Sibling): PlanFile => ({
    path: s.rfilename,
    url: `${endpoint}/datasets/${hf.id}/resolve/${sha}/${s.rfilename.split('/').map(encodeURIComponent).join('/')}`,
    cachePath: join(sha, safeRelative(s.rfilename)),
    size: s.size,
  });

  // 1. Parquet files in the repository at the requested revision.
  const parquet = pickGroup(
    siblings.filter((s) => /\.parquet$/i.test(s.rfilename) && splitMatches(s.rfilename, hf.split)),
    hf,
    warnings,
  ).sort((a, b) => a.rfilename.localeCompare(b.rfilename));
  let plan: HfPlan | undefined;
  if (parquet.length > 0) {
    plan = { id: hf.id, sha, format: 'parquet', files: parquet.map(repoFile), warnings, numRows };
  }

  // 2. The Hub's auto-converted parquet (refs/convert/parquet).
  if (!plan) {
    let listing: Record<string, Record<string, string[]>> | undefined;
    try {
      listing = await getJson<Record<string, Record<string, string[]>>>(ctx, `${endpoint}/api/datasets/${hf.id}/parquet`, {
        ...common,
        what: `the parquet listing of ${hf.id}`,
      });
    } catch (err) {
      if (!(err instanceof SourceUnreachableError && err.status === 404)) throw err;
    }
    if (listing && typeof listing === 'object') {
      const configs = Object.keys(listing);
      const config =
        hf.config ?? (configs.includes('default') && listing['default']?.[hf.split] ? 'default' : configs.find((c) => listing?.[c]?.[hf.split]));
      const urls = config ? listing[config]?.[hf.split] : undefined;
      if (!urls || urls.length === 0) {
        const available = configs.flatMap((c) => Object.keys(listing?.[c] ?? {}).map((s) => `${c}/${s}`));
        throw new LocatorError(
          `${parsed.locator}: ${hf.id} has no split "${hf.split}"${hf.config ? ` in config "${hf.config}"` : ''} (available: ${available.join(', ') || 'none'})`,
          parsed.locator,
        );
      }
      if (!hf.config && configs.length > 1) warnings.push(`reading config "${config}" of ${configs.join(', ')} (pass ?config=<name> to choose)`);
      if (hf.revision && hf.revision !== sha) {
        warnings.push(`the auto-converted parquet (refs/convert/parquet) reflects the dataset's latest conversion, not necessarily revision ${hf.revision}`);
      }
      plan = {
        id: hf.id,
        sha,
        format: 'parquet',
        files: urls.map((url) => {
          const name = basename(new URL(url, endpoint).pathname);
          const path = posix.join('refs/convert/parquet', config as string, hf.split, name);
          return { path, url: new URL(url, endpoint).toString(), cachePath: join(sha, safeRelative(path)) };
        }),
        warnings,
        numRows,
      };
    }
  }

  // 3. Other data files in the repository (JSON Lines, CSV, JSON).
  if (!plan) {
    const data = pickGroup(
      siblings.filter((s) => DATA_EXTENSIONS.test(s.rfilename) && splitMatches(s.rfilename, hf.split)),
      hf,
      warnings,
    ).sort((a, b) => a.rfilename.localeCompare(b.rfilename));
    const formats = new Set(data.map((d) => formatFromName(d.rfilename, parsed.locator)));
    if (data.length > 0 && formats.size === 1) {
      plan = { id: hf.id, sha, format: [...formats][0] as FileFormat, files: data.map(repoFile), warnings, numRows };
    } else if (formats.size > 1) {
      throw new UnsupportedFormatError(`${parsed.locator}: split "${hf.split}" mixes file formats (${[...formats].join(', ')})`, parsed.locator, [...formats].join(','));
    }
  }
  if (!plan) {
    const names = siblings.map((s) => s.rfilename).slice(0, 20);
    throw new UnsupportedFormatError(
      `${parsed.locator}: found no parquet or other readable data files for split "${hf.split}" in ${hf.id}@${sha} and no auto-converted parquet (files: ${names.join(', ') || 'none'})`,
      parsed.locator,
    );
  }
  await writeJsonFile(planPath, plan);
  return plan;
}

/** Reads `hf:<id>[:split[:revision]]` through the Hub HTTP API (see README "Hub endpoints"). */
export const hfSourceFactory: SourceFactory = (parsed, ctx) => {
  const hf = parseHfLocator(parsed);
  const cacheRoot = join(ctx.cacheDir, 'hf', `datasets--${hf.id.replace('/', '--')}`);
  const innerOptions = (format: FileFormat) => {
    checkOptions(parsed, ['config', 'refresh', ...FORMAT_OPTIONS[format]]);
    return { ...parsed, options: Object.fromEntries(Object.entries(parsed.options).filter(([k]) => k !== 'config' && k !== 'refresh')) };
  };
  checkOptions(parsed, ['config', 'refresh', ...new Set(Object.values(FORMAT_OPTIONS).flat())]);

  async function* readBatches(rctx: ReadContext): AsyncGenerator<SourceRow[]> {
    const plan = await resolvePlan(ctx, parsed, hf, rctx.signal);
    const resolved = `hf://datasets/${plan.id}@${plan.sha}`;
    rctx.setResolved(resolved);
    rctx.setFormat(plan.format);
    for (const w of plan.warnings) rctx.warn(w);
    if (plan.numRows !== undefined) rctx.declareRowCount(plan.numRows);
    if (plan.files.every((f) => typeof f.size === 'number')) rctx.bytes.total = plan.files.reduce((n, f) => n + (f.size ?? 0), 0);
    const reader = fileReader(plan.format, innerOptions(plan.format));
    const single = plan.files.length === 1;
    for (const f of plan.files) {
      const local = join(cacheRoot, f.cachePath);
      if (!(await exists(local))) {
        const what = `file ${f.path} of ${plan.id}@${plan.sha}`;
        const res = await httpGet(ctx, f.url, { locator: parsed.locator, service: HF_SERVICE, headers: authHeaders(ctx, f.url), signal: rctx.signal, what });
        await downloadTo(res, local, { locator: parsed.locator, signal: rctx.signal, what });
      }
      const child = childContext(rctx, { rowCount: single && plan.numRows === undefined, columns: true });
      const origin = { locator: parsed.locator, resolved, identity: `${resolved}/${f.path}`, file: f.path };
      yield* reader(local, origin, child);
    }
  }
  return new StreamSource({ locator: parsed.locator, resolved: `hf://datasets/${hf.id}@${hf.revision ?? 'main'}`, format: 'parquet', readBatches });
};
