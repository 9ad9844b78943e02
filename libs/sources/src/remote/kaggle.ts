import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SourceRow } from '@distillery/contracts';
import { headBytes, isZip } from '../core/bytes.js';
import type { ReadContext } from '../core/stream-source.js';
import { StreamSource } from '../core/stream-source.js';
import { LocatorError, SourceIoError, UnsupportedFormatError } from '../errors.js';
import { type FileFormat, fileReader, FORMAT_OPTIONS, formatFromName } from '../formats/file-formats.js';
import { booleanOption, checkOptions, positiveIntOption } from '../locator.js';
import type { ParsedLocator, SourceContext, SourceFactory } from '../types.js';
import { keySegment, readJsonFile, safeRelative, writeJsonFile } from './cache.js';
import { downloadTo, exists, httpGet, type RemoteService } from './http.js';
import { extractZipMember, listZip, type ZipMember } from './zip.js';

export const KAGGLE_SERVICE: RemoteService = {
  name: 'Kaggle',
  authHint:
    'Set KAGGLE_USERNAME and KAGGLE_KEY (or put {"username","key"} in ~/.kaggle/kaggle.json, from kaggle.com → Settings → API → Create New Token); for a competition, also accept its rules on kaggle.com.',
};

const SLUG = /^[A-Za-z0-9][\w.-]*$/;

export interface KaggleLocator {
  readonly kind: 'competition' | 'dataset';
  readonly owner?: string;
  readonly slug: string;
  readonly file?: string;
  readonly version?: number;
  readonly refresh: boolean;
}

export function parseKaggleLocator(parsed: ParsedLocator): KaggleLocator {
  const m = /^(competition|dataset):(.+)$/.exec(parsed.body);
  const bad = () =>
    new LocatorError(
      `invalid locator ${parsed.locator}: expected kaggle:competition:<slug>[?file=<name>] or kaggle:dataset:<owner>/<slug>[?file=<name>&version=<n>]`,
      parsed.locator,
    );
  if (!m) throw bad();
  const kind = m[1] as 'competition' | 'dataset';
  const ref = m[2] as string;
  const file = parsed.options['file'];
  const refresh = booleanOption(parsed, 'refresh', false);
  if (file !== undefined && (file === '' || file.split('/').some((p) => p === '..'))) throw bad();
  if (kind === 'competition') {
    if (!SLUG.test(ref)) throw bad();
    if (parsed.options['version'] !== undefined) throw new LocatorError(`option version applies to kaggle:dataset only (${parsed.locator})`, parsed.locator);
    return { kind, slug: ref, file, refresh };
  }
  const [owner = '', slug = '', ...extra] = ref.split('/');
  if (!SLUG.test(owner) || !SLUG.test(slug) || extra.length > 0) throw bad();
  return { kind, owner, slug, file, version: positiveIntOption(parsed, 'version'), refresh };
}

/** What a download resolved to; cached so a second load makes no HTTP request. */
interface KagglePlan {
  /** The file read, relative to the locator's cache folder. */
  readonly local: string;
  /** Its name in the archive, or the requested file name. */
  readonly member: string;
  readonly format: FileFormat;
  readonly warnings: readonly string[];
}

const READABLE = /\.(csv|tsv|tab|jsonl|ndjson|json|parquet|txt)(\.gz)?$/i;

/** The requested member, else the only file, else the first CSV, else the first readable file. */
function chooseMember(members: readonly ZipMember[], wanted: string | undefined, locator: string): { member: ZipMember; warning?: string } {
  const names = members.map((m) => m.name);
  if (wanted !== undefined) {
    const hit = members.find((m) => m.name === wanted) ?? members.find((m) => basename(m.name) === wanted);
    if (!hit) throw new LocatorError(`${locator}: the archive has no file ${wanted} (files: ${names.slice(0, 30).join(', ')})`, locator);
    return { member: hit };
  }
  if (members.length === 1) return { member: members[0] as ZipMember };
  const pick = members.find((m) => /\.csv(\.gz)?$/i.test(m.name)) ?? members.find((m) => READABLE.test(m.name));
  if (!pick) throw new UnsupportedFormatError(`${locator}: the archive holds no readable file (files: ${names.slice(0, 30).join(', ')})`, locator, 'zip');
  return { member: pick, warning: `the archive holds ${members.length} files (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}); reading ${pick.name} (pass ?file=<name> to choose)` };
}

const basicAuth = (ctx: SourceContext): Record<string, string> =>
  ctx.kaggle.username && ctx.kaggle.key ? { authorization: `Basic ${Buffer.from(`${ctx.kaggle.username}:${ctx.kaggle.key}`).toString('base64')}` } : {};

/** Reads `kaggle:competition:<slug>` / `kaggle:dataset:<owner>/<slug>` through the Kaggle public API v1. */
export const kaggleSourceFactory: SourceFactory = (parsed, ctx) => {
  const k = parseKaggleLocator(parsed);
  const allInner = [...new Set(Object.values(FORMAT_OPTIONS).flat())];
  checkOptions(parsed, ['file', 'version', 'refresh', ...allInner]);
  const endpoint = ctx.kaggle.endpoint.replace(/\/+$/, '');
  const resolved =
    k.kind === 'competition' ? `kaggle://competitions/${k.slug}` : `kaggle://datasets/${k.owner}/${k.slug}${k.version ? `@v${k.version}` : ''}`;
  const dir =
    k.kind === 'competition'
      ? join(ctx.cacheDir, 'kaggle', 'competitions', k.slug)
      : join(ctx.cacheDir, 'kaggle', 'datasets', k.owner as string, k.slug, k.version ? `v${k.version}` : 'latest');
  const key = keySegment(k.file ?? '@all');
  const planPath = join(dir, 'plans', `${key}.json`);
  const url = (() => {
    const file = k.file ? `/${encodeURIComponent(k.file)}` : '';
    if (k.kind === 'competition') {
      return k.file ? `${endpoint}/api/v1/competitions/data/download/${k.slug}${file}` : `${endpoint}/api/v1/competitions/data/download-all/${k.slug}`;
    }
    return `${endpoint}/api/v1/datasets/download/${k.owner}/${k.slug}${file}${k.version ? `?datasetVersionNumber=${k.version}` : ''}`;
  })();

  async function plan(rctx: ReadContext): Promise<KagglePlan> {
    if (!k.refresh) {
      const cached = await readJsonFile<KagglePlan>(planPath);
      if (cached && (await exists(join(dir, cached.local)))) return cached;
    }
    const what = k.file ? `file ${k.file} of ${resolved}` : `${resolved} (all files)`;
    const res = await httpGet(ctx, url, { locator: parsed.locator, service: KAGGLE_SERVICE, headers: basicAuth(ctx), signal: rctx.signal, what });
    const download = join(dir, 'downloads', `${key}.bin`);
    await downloadTo(res, download, { locator: parsed.locator, signal: rctx.signal, what });
    const warnings: string[] = [];
    let member: string;
    let local: string;
    if (isZip(await headBytes(download, 4))) {
      let members: ZipMember[];
      try {
        members = await listZip(download);
      } catch (err) {
        throw new SourceIoError(`${parsed.locator}: the downloaded archive is corrupt: ${(err as Error).message}`, parsed.locator, download, { cause: err });
      }
      const choice = chooseMember(members, k.file, parsed.locator);
      if (choice.warning) warnings.push(choice.warning);
      member = choice.member.name;
      local = join('files', safeRelative(member));
      try {
        await extractZipMember(download, member, join(dir, local), rctx.signal);
      } catch (err) {
        throw new SourceIoError(`${parsed.locator}: extracting ${member} failed: ${(err as Error).message}`, parsed.locator, download, { cause: err });
      }
      await rm(download, { force: true });
    } else {
      member = k.file ?? 'download';
      local = join('files', safeRelative(member));
      await mkdir(dirname(join(dir, local)), { recursive: true });
      await rename(download, join(dir, local));
    }
    const p: KagglePlan = { local, member, format: formatFromName(member, parsed.locator), warnings };
    await writeJsonFile(planPath, p);
    return p;
  }

  async function* readBatches(rctx: ReadContext): AsyncGenerator<SourceRow[]> {
    const p = await plan(rctx);
    rctx.setFormat(p.format);
    for (const w of p.warnings) rctx.warn(w);
    const inner: ParsedLocator = {
      ...parsed,
      options: Object.fromEntries(Object.entries(parsed.options).filter(([o]) => o !== 'file' && o !== 'version' && o !== 'refresh')),
    };
    checkOptions(inner, FORMAT_OPTIONS[p.format]);
    const origin = { locator: parsed.locator, resolved, identity: `${resolved}/${p.member}`, file: p.member };
    yield* fileReader(p.format, inner)(join(dir, p.local), origin, rctx);
  }
  return new StreamSource({ locator: parsed.locator, resolved, format: k.file ? formatFromName(k.file, parsed.locator) : 'csv', readBatches });
};
