import type { ArtifactRef, ShapeHypothesis, TaskProfile } from '@distillery/contracts';
import type { FileArtifactStore } from '@distillery/artifacts';
import { AUTO_IMPORT_MIN_CONFIDENCE, introspect, type IntrospectionResult } from '@distillery/introspect';
import { checkFieldMap, MappingTally, type DryRunReport, type FieldMap, type MapperRegistry } from '@distillery/mappers';
import type { LoadProgress, SourceContext, SourceDescription, SourceRegistry } from '@distillery/sources';
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

/**
 * Streams a source through a mapper into two artifacts — accepted rows new to the dataset, and rejected rows with
 * their reasons — claiming accepted row ids in the project's row index as it goes. Memory stays flat.
 * On failure the run's claims are released and the partial artifacts discarded.
 */
export async function commitImport(deps: ImporterDeps & { store: FileArtifactStore; index: RowIndex }, opts: CommitOptions): Promise<ImportOutcome> {
  const mapper = deps.mappers.get(opts.mapper_id);
  if (!mapper) throw new MappingChoiceError(`unknown mapper '${opts.mapper_id}'`);
  const source = await deps.sources.resolve(opts.locator, deps.sourceContext);
  const accepted = await deps.store.jsonlWriter();
  const rejected = await deps.store.jsonlWriter();
  const tally = new MappingTally(mapper, opts.field_map, { sampleSize: opts.sampleSize ?? 20, dropReasons: opts.drop_reasons });
  const warnings: string[] = [];
  let resolved = opts.locator;
  let pending: Array<{ row_id: string; value: unknown }> = [];
  let duplicates = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const fresh = await deps.index.claim(opts.project_id, opts.import_run_id, pending.map((p) => p.row_id));
    for (const p of pending) {
      if (fresh.has(p.row_id)) await accepted.write(p.value);
      else duplicates += 1;
    }
    pending = [];
  };
  try {
    for await (const row of source.load({ limit: opts.limit, signal: opts.signal, onProgress: opts.onProgress, onWarning: (w) => warnings.push(w) })) {
      resolved = row.source.resolved;
      const result = tally.add(row);
      if (result.ok) {
        pending.push({ row_id: result.row.row_id, value: result.row });
        if (pending.length >= CLAIM_CHUNK) await flush();
      } else {
        await rejected.write(result.row);
      }
    }
    await flush();
    const [acceptedRef, rejectedRef] = [await accepted.close(), await rejected.close()];
    return { resolved, report: tally.report(), rows_duplicate: duplicates, accepted_ref: acceptedRef, rejected_ref: rejectedRef, warnings };
  } catch (err) {
    await Promise.all([accepted.abort(), rejected.abort()]);
    await deps.index.release(opts.project_id, opts.import_run_id).catch(() => undefined);
    throw err;
  }
}
