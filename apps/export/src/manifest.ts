import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { ArtifactRef } from '@distillery/contracts';
import { EXPORT_FORMATS, QUANTIZATIONS } from './formats.js';

/** The manifest every export bundle carries at its root (and in its bundle index's metadata). */
export const EXPORT_MANIFEST_FILE = 'distillery-export.json';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * `distillery-export.json`, version 1: what the bundle is (format, weight type), where it comes from (training run,
 * model bundle, base model), how it stops (the eos / end-of-turn ids it carries), and the sha256 and size of every
 * other file, so a copy can be verified without the artifact store.
 */
export const ExportManifest = z.object({
  schema_version: z.literal(1),
  format: z.enum(EXPORT_FORMATS),
  quantization: z.enum(QUANTIZATIONS),
  source: z.object({
    training_run_id: z.string().optional(),
    export_run_id: z.string(),
    /** The trained model: a `peft-adapter` or `hf-model` bundle. */
    model_ref: ArtifactRef,
    model_kind: z.string(),
    base_model: z.object({ locator: z.string(), resolved: z.string() }),
  }),
  created_at: z.iso.datetime({ offset: true }),
  /** Token ids that end a generation, as the bundle's generation_config.json / GGUF metadata carry them. */
  stop_token_ids: z.array(z.number().int().nonnegative()),
  chat_template: z.boolean(),
  files: z.array(z.object({ path: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: Sha256 })),
});
export type ExportManifest = z.infer<typeof ExportManifest>;
export type ManifestFile = ExportManifest['files'][number];

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** sha256 and size of every file under `dir` (POSIX relative paths, sorted), the manifest itself left out. */
export async function describeFiles(dir: string): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  for await (const p of walk(dir)) {
    const path = relative(dir, p).split(sep).join('/');
    if (path === EXPORT_MANIFEST_FILE) continue;
    out.push({ path, bytes: (await stat(p)).size, sha256: await sha256Of(p) });
  }
  return out;
}

/** Lists the folder's files and writes the manifest into it. */
export async function writeExportManifest(dir: string, fields: Omit<ExportManifest, 'schema_version' | 'files'>): Promise<ExportManifest> {
  const manifest = ExportManifest.parse({ schema_version: 1, ...fields, files: await describeFiles(dir) });
  await writeFile(join(dir, EXPORT_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Files of a materialized bundle that do not match its manifest (missing, other size or digest), as messages. */
export async function verifyAgainstManifest(dir: string, manifest: ExportManifest): Promise<string[]> {
  const actual = new Map((await describeFiles(dir)).map((f) => [f.path, f]));
  const problems: string[] = [];
  for (const f of manifest.files) {
    const a = actual.get(f.path);
    if (!a) problems.push(`${f.path} is missing`);
    else if (a.sha256 !== f.sha256 || a.bytes !== f.bytes) problems.push(`${f.path} does not match its sha256 / size`);
    actual.delete(f.path);
  }
  for (const extra of actual.keys()) problems.push(`${extra} is not in the manifest`);
  return problems;
}
