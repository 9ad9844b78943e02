import { readdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ModelIoError, SafetensorsError } from './errors.js';
import { writeJsonAtomic } from './fs-util.js';
import {
  type FloatDType,
  numel,
  SAFETENSORS_DTYPE_BYTES,
  SafetensorsFile,
  safetensorsSize,
  type Tensor,
  tensorEntries,
  type TensorInfo,
  type TensorMap,
  type TensorToWrite,
  writeSafetensors,
} from './safetensors.js';

export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

/** `model.safetensors.index.json`. */
export interface WeightsIndex {
  readonly metadata?: { readonly total_size?: number } & Readonly<Record<string, unknown>>;
  readonly weight_map: Readonly<Record<string, string>>;
}

export interface CheckpointTensorInfo extends TensorInfo {
  /** The file holding it, relative to the checkpoint folder. */
  readonly file: string;
}

const isMissingFile = (err: unknown): boolean => err instanceof SafetensorsError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** A shard file name from an index must stay inside the folder. */
export function safeShardName(name: string, indexPath: string): string {
  const n = normalize(name);
  if (name === '' || isAbsolute(name) || n.split(sep).includes('..') || name.includes('\0')) {
    throw new SafetensorsError(`${indexPath}: shard file name ${JSON.stringify(name)} leaves the model folder`, indexPath);
  }
  return n;
}

/** Parses and validates a `model.safetensors.index.json` document. */
export function parseWeightsIndex(text: string, indexPath: string): WeightsIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`${indexPath} is not valid JSON (${(err as Error).message})`, indexPath, undefined, { cause: err });
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new SafetensorsError(`${indexPath} has no weight_map object`, indexPath);
  }
  for (const [tensor, file] of Object.entries(map)) {
    if (typeof file !== 'string') throw new SafetensorsError(`${indexPath}: weight_map[${JSON.stringify(tensor)}] is not a file name`, indexPath, tensor);
    safeShardName(file, indexPath);
  }
  return json as WeightsIndex;
}

/**
 * The weights of a model folder: `model.safetensors`, or the shards named by `model.safetensors.index.json`. Opening
 * reads each file's header once; tensors are then read one positioned read each. Close it when done.
 */
export class Checkpoint {
  private constructor(
    readonly dir: string,
    /** Weight files relative to `dir`, in index order (one for an unsharded checkpoint). */
    readonly files: readonly string[],
    readonly sharded: boolean,
    private readonly handles: ReadonlyMap<string, SafetensorsFile>,
    private readonly index: ReadonlyMap<string, CheckpointTensorInfo>,
  ) {}

  static async open(dir: string): Promise<Checkpoint> {
    const indexPath = join(dir, WEIGHTS_INDEX_FILE);
    const indexText = await readFile(indexPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new ModelIoError(`cannot read ${indexPath} (${err.code ?? err.message})`, indexPath, { cause: err });
    });
    if (indexText === undefined) {
      const single = join(dir, SINGLE_WEIGHTS_FILE);
      let file: SafetensorsFile;
      try {
        file = await SafetensorsFile.open(single);
      } catch (err) {
        if (isMissingFile(err)) {
          throw new ModelIoError(`${dir} has neither ${SINGLE_WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE}${await describeWeightsFound(dir)}`, dir, { cause: err });
        }
        throw err;
      }
      const index = new Map([...file.header.tensors.values()].map((t) => [t.name, { ...t, file: SINGLE_WEIGHTS_FILE }]));
      return new Checkpoint(dir, [SINGLE_WEIGHTS_FILE], false, new Map([[SINGLE_WEIGHTS_FILE, file]]), index);
    }
    const parsed = parseWeightsIndex(indexText, indexPath);
    const files = [...new Set(Object.values(parsed.weight_map).map((f) => safeShardName(f, indexPath)))];
    const handles = new Map<string, SafetensorsFile>();
    try {
      for (const f of files) {
        try {
          handles.set(f, await SafetensorsFile.open(join(dir, f)));
        } catch (err) {
          if (isMissingFile(err)) {
            const tensor = Object.entries(parsed.weight_map).find(([, file]) => normalize(file) === f)?.[0];
            throw new SafetensorsError(`${indexPath} names shard ${f} (for tensor ${JSON.stringify(tensor)}), which does not exist`, join(dir, f), tensor, {
              cause: err,
            });
          }
          throw err;
        }
      }
      const index = new Map<string, CheckpointTensorInfo>();
      for (const [tensor, file] of Object.entries(parsed.weight_map)) {
        const f = normalize(file);
        const info = handles.get(f)?.header.tensors.get(tensor);
        if (!info) throw new SafetensorsError(`${indexPath} maps tensor ${JSON.stringify(tensor)} to ${f}, which has no such tensor`, join(dir, f), tensor);
        index.set(tensor, { ...info, file: f });
      }
      // Tensors present in a shard but missing from the weight_map are loaded too (transformers loads whole shards).
      for (const [f, h] of handles) {
        for (const info of h.header.tensors.values()) {
          const seen = index.get(info.name);
          if (seen && seen.file !== f) {
            throw new SafetensorsError(`tensor ${JSON.stringify(info.name)} is in two shards: ${seen.file} and ${f}`, join(dir, f), info.name);
          }
          if (!seen) index.set(info.name, { ...info, file: f });
        }
      }
      return new Checkpoint(dir, files, true, handles, index);
    } catch (err) {
      await Promise.all([...handles.values()].map((h) => h.close()));
      throw err;
    }
  }

  get names(): string[] {
    return [...this.index.keys()];
  }

  info(name: string): CheckpointTensorInfo {
    const t = this.index.get(name);
    if (!t) throw new SafetensorsError(`the checkpoint in ${this.dir} has no tensor ${JSON.stringify(name)}`, this.dir, name);
    return t;
  }

  /** name → shape, for `checkWeights`. */
  shapes(): Map<string, readonly number[]> {
    return new Map([...this.index.values()].map((t) => [t.name, t.shape]));
  }

  /** Metadata of the first file (transformers writes `{format: "pt"}`). */
  get metadata(): Readonly<Record<string, string>> {
    return this.handles.get(this.files[0] as string)?.metadata ?? {};
  }

  async read(name: string): Promise<Float32Array> {
    const t = this.info(name);
    return (this.handles.get(t.file) as SafetensorsFile).read(name);
  }

  async readTensor(name: string): Promise<Tensor> {
    return { shape: this.info(name).shape, data: await this.read(name) };
  }

  async readAll(): Promise<Map<string, Tensor>> {
    const out = new Map<string, Tensor>();
    for (const name of this.names) out.set(name, await this.readTensor(name));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.handles.values()].map((h) => h.close()));
  }
}

async function describeWeightsFound(dir: string): Promise<string> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const other = names.filter((n) => /\.(bin|pt|pth|gguf|ckpt|h5|msgpack)$/.test(n) || n.endsWith('.safetensors'));
  return other.length > 0 ? ` (found ${other.join(', ')}; only safetensors weights are read)` : '';
}

export interface WriteCheckpointOptions {
  readonly dtype?: FloatDType;
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Shards above this size (default 5 GiB, as transformers' `max_shard_size`). A checkpoint that fits is one
   * `model.safetensors`; otherwise `model-0000i-of-0000n.safetensors` + `model.safetensors.index.json`.
   */
  readonly maxShardBytes?: number;
}

export interface WrittenCheckpoint {
  readonly files: readonly string[];
  /** Sum of the tensors' data bytes (the index's `metadata.total_size`). */
  readonly totalSize: number;
}

const DEFAULT_MAX_SHARD = 5 * 1024 ** 3;

/** Writes a checkpoint into `dir`, removing weight files of an earlier write that the new layout does not use. */
export async function writeCheckpoint(dir: string, tensors: TensorMap<TensorToWrite>, options: WriteCheckpointOptions = {}): Promise<WrittenCheckpoint> {
  const max = options.maxShardBytes ?? DEFAULT_MAX_SHARD;
  const entries = tensorEntries(tensors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const bytesOf = (t: TensorToWrite) => numel(t.shape) * SAFETENSORS_DTYPE_BYTES[t.dtype ?? options.dtype ?? 'F32'];
  const totalSize = entries.reduce((n, [, t]) => n + bytesOf(t), 0);
  const writeOpts = { dtype: options.dtype, metadata: { format: 'pt', ...options.metadata } };
  const stale = (await readdir(dir).catch(() => [] as string[])).filter((n) => n === WEIGHTS_INDEX_FILE || /^model(-\d+-of-\d+)?\.safetensors$/.test(n));

  let files: string[];
  if (safetensorsSize(tensors, writeOpts) <= max) {
    await writeSafetensors(join(dir, SINGLE_WEIGHTS_FILE), tensors, writeOpts);
    files = [SINGLE_WEIGHTS_FILE];
  } else {
    // Greedy packing in name order: a tensor larger than the limit gets a shard of its own.
    const groups: [string, TensorToWrite][][] = [];
    let current: [string, TensorToWrite][] = [];
    let currentBytes = 0;
    for (const e of entries) {
      const b = bytesOf(e[1]);
      if (current.length > 0 && currentBytes + b > max) {
        groups.push(current);
        current = [];
        currentBytes = 0;
      }
      current.push(e);
      currentBytes += b;
    }
    if (current.length > 0) groups.push(current);
    const n = groups.length;
    const pad = (i: number) => String(i).padStart(5, '0');
    files = groups.map((_, i) => `model-${pad(i + 1)}-of-${pad(n)}.safetensors`);
    const weightMap: Record<string, string> = {};
    for (const [i, group] of groups.entries()) {
      await writeSafetensors(join(dir, files[i] as string), new Map(group), writeOpts);
      for (const [name] of group) weightMap[name] = files[i] as string;
    }
    const index: WeightsIndex = { metadata: { total_size: totalSize }, weight_map: weightMap };
    await writeJsonAtomic(join(dir, WEIGHTS_INDEX_FILE), index);
  }
  const keep = new Set([...files, ...(files.length > 1 ? [WEIGHTS_INDEX_FILE] : [])]);
  await Promise.all(stale.filter((s) => !keep.has(s)).map((s) => rm(join(dir, s), { force: true })));
  return { files, totalSize };
}
