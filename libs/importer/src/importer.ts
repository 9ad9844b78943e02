import type { ArtifactRef, ShapeHypothesis, TaskProfile } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { AUTO_IMPORT_MIN_CONFIDENCE, introspect, type IntrospectionResult } from '@distillery/introspect';
import { checkFieldMap, JsonLinesBuffer, keepLines, MappingTally, type DryRunReport, type FieldMap, type MapperRegistry } from '@distillery/mappers';
import type { LoadProgress, SourceContext, SourceDescription, SourceRegistry, SourceRow } from '@distillery/sources';
import { LowConfidenceError, MappingChoiceError } from './errors.js';

export interface ImporterDeps {
  readonly sources: SourceRegistry;
  readonly sourceContext: SourceContext;
  readonly mappers: MapperRegistry;
}

export interface IntrospectionReport {
  readonly description: SourceDescription;
  readonly introspection: IntrospectionResult;
}

/** Reads ~20 rows and ranks mapping hypotheses. A read: writes nothing, emits nothing. */
export async function introspectSource(deps: ImporterDeps, locator: string, sampleSize = 20): Promise<IntrospectionReport> {
  const source = await deps.sources.resolve(locator, deps.sourceContext);
  const description = await source.describe({ sampleSize });
  const rows = description.sample.filter((r) => !r.parse_error).map((r) => ({ ...r.fields }));
  const introspection = introspect({ columns: description.columns, rows, format: description.format });
  return { description, introspection };
}

export interface MappingRequest {
  readonly locator: string;
  readonly mapper?: string;
  readonly field_map?: FieldMap;
  readonly auto?: boolean;
  readonly force?: boolean;
}

export interface MappingChoice {
  readonly mapper_id: string;
  readonly field_map: FieldMap;
  readonly task_profile: TaskProfile;
  readonly selection: 'explicit' | 'auto' | 'forced';
  readonly confidence?: number;
  readonly hypotheses: readonly ShapeHypothesis[];
}

/**
 * Decides the mapper and field map of an import. Explicit choices are checked against the mapper's roles and the
 * source's columns; `auto` takes introspection's proposal only at ≥ 0.80 confidence unless `force` is set.
 * The API and the CLI both go through here, so the rule is the same everywhere.
 */
export async function chooseMapping(deps: ImporterDeps, req: MappingRequest): Promise<MappingChoice> {
  const { description, introspection } = await introspectSource(deps, req.locator);
  const hypotheses = introspection.hypotheses;
  if (req.mapper) {
    const mapper = deps.mappers.get(req.mapper);
    if (!mapper) throw new MappingChoiceError(`unknown mapper '${req.mapper}'; known: ${deps.mappers.ids().join(', ')}`);
    const fieldMap = req.field_map ?? hypotheses.find((h) => h.mapper_id === mapper.id)?.field_map;
    if (!fieldMap) {
      const roles = mapper.roles.map((r) => `${r.name}${r.required ? '' : '?'}`).join(', ');
      throw new MappingChoiceError(`no field map given and introspection found none for ${mapper.id}; map its roles (${roles}) to columns`);
    }
    const issues = [...checkFieldMap(mapper, fieldMap)];
    const columns = new Set(description.columns);
    for (const [role, column] of Object.entries(fieldMap)) {
      if (columns.size > 0 && !columns.has(column)) issues.push(`${role}: column '${column}' is not in the source (columns: ${[...columns].join(', ')})`);
    }
    if (issues.length > 0) throw new MappingChoiceError(`field map for ${mapper.id} is not usable: ${issues.join('; ')}`, issues);
    const confidence = hypotheses.find((h) => h.mapper_id === mapper.id)?.confidence;
    return { mapper_id: mapper.id, field_map: fieldMap, task_profile: mapper.task_profile, selection: 'explicit', ...(confidence !== undefined ? { confidence } : {}), hypotheses };
  }
  if (!req.auto) throw new MappingChoiceError('choose a mapper (mapper + field_map) or ask for auto selection (auto: true)');
  const top = introspection.proposed;
  if (!top) throw new LowConfidenceError(0, hypotheses);
  if (top.confidence < AUTO_IMPORT_MIN_CONFIDENCE && !req.force) throw new LowConfidenceError(top.confidence, hypotheses);
  return {
    mapper_id: top.mapper_id,
    field_map: top.field_map,
    task_profile: top.task_profile,
    selection: top.confidence >= AUTO_IMPORT_MIN_CONFIDENCE ? 'auto' : 'forced',
    confidence: top.confidence,
    hypotheses,
  };
}

export interface MapRunOptions {
  readonly locator: string;
  readonly mapper_id: string;
  readonly field_map: FieldMap;
  readonly drop_reasons?: readonly string[];
  readonly limit?: number;
  readonly sampleSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: LoadProgress) => void;
}

/** Maps every row of a source and reports (accepted sample, full rejection breakdown) — writes nothing. */
export async function dryRunSource(deps: ImporterDeps, opts: MapRunOptions): Promise<DryRunReport & { resolved: string; warnings: string[] }> {
  const mapper = deps.mappers.get(opts.mapper_id);
  if (!mapper) throw new MappingChoiceError(`unknown mapper '${opts.mapper_id}'`);
  const source = await deps.sources.resolve(opts.locator, deps.sourceContext);
  const warnings: string[] = [];
  const tally = new MappingTally(mapper, opts.field_map, { sampleSize: opts.sampleSize ?? 20, dropReasons: opts.drop_reasons });
  let resolved = opts.locator;
  for await (const row of source.load({ limit: opts.limit, signal: opts.signal, onProgress: opts.onProgress, onWarning: (w) => warnings.push(w) })) {
    resolved = row.source.resolved;
    tally.add(row);
  }
  return { ...tally.report(), resolved, warnings };
}

/**
 * Which rows a project's dataset already holds. `claim` records the given row ids for an import run and returns
 * the ids that are new to the dataset — or were claimed by this same run before (a redelivered import after a
 * crash re-claims its own rows). `release` undoes a failed run's claims.
 */
export interface RowIndex {
  claim(projectId: string, importRunId: string, rowIds: readonly string[]): Promise<Set<string>>;
  release(projectId: string, importRunId: string): Promise<number>;
}

export interface CommitOptions extends MapRunOptions {
  readonly project_id: string;
  readonly import_run_id: string;
}

export interface ImportOutcome {
  readonly resolved: string;
  readonly report: DryRunReport;
  readonly rows_duplicate: number;
  readonly accepted_ref: ArtifactRef;
  readonly rejected_ref: ArtifactRef;
  readonly warnings: string[];
}

const CLAIM_CHUNK = 1_000;
/** Rejected rows are written in chunks of about this many bytes. */
const WRITE_CHUNK = 256 * 1024;

/**
 * Bytes handed to `FileArtifactStore.put` as they are produced. At most a few chunks wait in it: `push` returns a
 * promise to await when it is full, so memory stays flat when the disk is slower than the import.
 */
class ByteChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private closed = false;
  private failure: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  constructor(private readonly capacity = 4) {}

  push(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure) throw this.failure.error;
    if (chunk.length === 0) return undefined;
    this.queue.push(chunk);
    this.wakeReader?.();
    if (this.queue.length < this.capacity) return undefined;
    return new Promise<void>((resolve) => {
      this.wakeWriter = resolve;
    }).then(() => {
      if (this.failure) throw this.failure.error;
    });
  }

  close(): void {
    this.closed = true;
    this.wakeReader?.();
  }

  /** Ends the stream with an error: the consumer (the artifact store) discards what it wrote. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wakeReader?.();
    this.wakeWriter?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const chunk = this.queue.shift();
      if (chunk) {
        if (this.queue.length < this.capacity) {
          const wake = this.wakeWriter;
          this.wakeWriter = undefined;
          wake?.();
        }
        yield chunk;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
      this.wakeReader = undefined;
    }
  }
}

/** One JSON Lines artifact, stored as its bytes are produced (`FileArtifactStore.put`, hashed as written). */
class ArtifactOut {
  private readonly channel = new ByteChannel();
  private readonly stored: Promise<ArtifactRef>;

  constructor(store: FileArtifactStore) {
    this.stored = store.put(this.channel, 'application/x-ndjson');
    this.stored.catch((err: unknown) => this.channel.fail(err));
  }

  write(bytes: Uint8Array): Promise<void> | undefined {
    return this.channel.push(bytes);
  }

  close(): Promise<ArtifactRef> {
    this.channel.close();
    return this.stored;
  }

  async abort(reason: unknown): Promise<void> {
    this.channel.fail(reason);
    await this.stored.catch(() => undefined);
  }
}

/**
 * Accepted rows on their way to the artifact: serialised in claim chunks of CLAIM_CHUNK rows, claimed in the row
 * index one chunk at a time, and written — minus the duplicates — once their claim returns. One claim is in flight
 * while the next chunk is read and mapped.
 */
class AcceptedOut {
  private readonly lines = new JsonLinesBuffer(512 * 1024);
  private ids: string[] = [];
  private inflight: Promise<void> | undefined;
  duplicates = 0;

  constructor(
    private readonly index: RowIndex,
    private readonly opts: CommitOptions,
    private readonly out: ArtifactOut,
  ) {}

  /** Adds a row; resolves when it may go on (a claim chunk was handed over). */
  add(row: { readonly row_id: string }): Promise<void> | undefined {
    this.lines.push(row);
    this.ids.push(row.row_id);
    return this.ids.length >= CLAIM_CHUNK ? this.submit() : undefined;
  }

  async finish(): Promise<void> {
    if (this.ids.length > 0) await this.submit();
    await this.inflight;
    this.inflight = undefined;
  }

  /** After a failure: waits for the claim in flight (so that releasing the run's claims comes after it). */
  async settle(): Promise<void> {
    await this.inflight?.catch(() => undefined);
    this.inflight = undefined;
  }

  private submit(): Promise<void> {
    const { bytes, ends } = this.lines.take();
    const ids = this.ids;
    this.ids = [];
    return this.claimNext(bytes, ends, ids);
  }

  private async claimNext(bytes: Uint8Array, ends: readonly number[], ids: readonly string[]): Promise<void> {
    await this.inflight; // one claim at a time, in order
    const claimed = (async () => {
      const fresh = await this.index.claim(this.opts.project_id, this.opts.import_run_id, ids);
      let kept = 0;
      for (const id of ids) if (fresh.has(id)) kept += 1;
      this.duplicates += ids.length - kept;
      const out = kept === ids.length ? bytes : keepLines(bytes, ends, (i) => fresh.has(ids[i] as string));
      await this.out.write(out);
    })();
    claimed.catch(() => undefined); // observed when awaited (next chunk, or finish)
    this.inflight = claimed;
  }
}

/** Rejected rows, serialised and written in chunks. */
class RejectedOut {
  private readonly lines = new JsonLinesBuffer(512 * 1024);
  constructor(private readonly out: ArtifactOut) {}

  add(row: unknown): Promise<void> | undefined {
    this.lines.push(row);
    return this.lines.byteLength >= WRITE_CHUNK ? this.flush() : undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.lines.byteLength === 0) return undefined;
    return this.out.write(this.lines.take().bytes);
  }
}

async function* rowBatches(rows: AsyncIterable<SourceRow>): AsyncGenerator<readonly SourceRow[]> {
  for await (const row of rows) yield [row];
}

/**
 * Streams a source through a mapper into two artifacts — accepted rows new to the dataset, and rejected rows with
 * their reasons — claiming accepted row ids in the project's row index as it goes. Memory stays flat.
 * On failure the run's claims are released and the partial artifacts discarded.
 */
export async function commitImport(deps: ImporterDeps & { store: FileArtifactStore; index: RowIndex }, opts: CommitOptions): Promise<ImportOutcome> {
  const mapper = deps.mappers.get(opts.mapper_id);
  if (!mapper) throw new MappingChoiceError(`unknown mapper '${opts.mapper_id}'`);
  const source = await deps.sources.resolve(opts.locator, deps.sourceContext);
  const tally = new MappingTally(mapper, opts.field_map, { sampleSize: opts.sampleSize ?? 20, dropReasons: opts.drop_reasons });
  const acceptedOut = new ArtifactOut(deps.store);
  const rejectedOut = new ArtifactOut(deps.store);
  const warnings: string[] = [];
  let resolved = opts.locator;
  const accepted = new AcceptedOut(deps.index, opts, acceptedOut);
  const rejected = new RejectedOut(rejectedOut);
  try {
    const loadOpts = { limit: opts.limit, signal: opts.signal, onProgress: opts.onProgress, onWarning: (w: string) => warnings.push(w) };
    const batches = source.loadBatches ? source.loadBatches(loadOpts) : rowBatches(source.load(loadOpts));
    for await (const batch of batches) {
      for (const row of batch) {
        const result = tally.add(row);
        if (result.ok) {
          const wait = accepted.add(result.row);
          if (wait) await wait;
        } else {
          const wait = rejected.add(result.row);
          if (wait) await wait;
        }
      }
      const last = batch[batch.length - 1];
      if (last) resolved = last.source.resolved;
    }
    await accepted.finish();
    await rejected.flush();
    const [acceptedRef, rejectedRef] = [await acceptedOut.close(), await rejectedOut.close()];
    return { resolved, report: tally.report(), rows_duplicate: accepted.duplicates, accepted_ref: acceptedRef, rejected_ref: rejectedRef, warnings };
  } catch (err) {
    await Promise.all([acceptedOut.abort(err), rejectedOut.abort(err)]);
    await accepted.settle();
    await deps.index.release(opts.project_id, opts.import_run_id).catch(() => undefined);
    throw err;
  }
}
