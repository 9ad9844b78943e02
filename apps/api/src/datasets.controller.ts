import { Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import type { ArtifactRef, SplitStrategy, TaskProfile } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventPublisher } from '@distillery/eventlog';
import { getDataTask, latestCompletedTask, listDataTasks, listImports, type DataTaskRow, type ImportRow } from '@distillery/data-views';
import { AmbiguousRowIdError, explainRow } from '@distillery/lineage';
import { CleaningPolicyError, DEFAULT_RATIOS, parseCleaningPolicy, SplitConfigError, validateRatios } from '@distillery/importer';
import { DATABASE, PUBLISHER } from '@distillery/platform-nest';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { cleanBody, prepareBody, rowParams, taskParams } from './datasets.dto.js';
import { projectParams } from './imports.dto.js';
import { badRequest, parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

interface DatasetInput {
  import_run_id: string;
  locator: string;
  mapper_id: string;
  rows: number;
  ref: ArtifactRef;
}

/** Profiles whose records carry a `label`: prepare stratifies by it unless told otherwise. */
const LABELLED: ReadonlySet<string> = new Set(['classification', 'safety']);

/**
 * Clean and prepare: each POST validates the request, resolves the dataset it works on from the read models
 * (completed imports; the latest completed cleaning) and publishes the request event with those references. The
 * preparation service does the work; the run id is the task id clients poll at /tasks/:taskId.
 */
@Controller('api/projects/:projectId')
export class DatasetsController {
  constructor(
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DATABASE) private readonly db: DatabaseHandle,
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
  ) {}

  @Post('clean')
  @HttpCode(202)
  async clean(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const b = parseRequest(cleanBody, body, 'body');
    try {
      parseCleaningPolicy(b.policy);
    } catch (err) {
      if (err instanceof CleaningPolicyError) throw badRequest(err.issues.map((i) => ({ field: `body.policy.${i.split(':')[0]}`, message: i.slice(i.indexOf(':') + 1).trim() })));
      throw err;
    }
    const imports = (await listImports(this.db.db, projectId)).filter((i) => i.status === 'completed' && i.accepted_ref);
    // The same accepted-rows artifact twice (a source re-imported after the mapping service lost its row claims)
    // holds the same rows: it is one input.
    const seen = new Set<string>();
    const candidates = imports.map(inputOf).filter((i) => i.rows > 0 && !seen.has(i.ref.uri) && seen.add(i.ref.uri));
    // An import recorded in the log whose rows are not in this workspace's artifact store (another workspace shares
    // the log, or the data directory was wiped) is left out and said so, instead of failing the whole cleaning.
    const inputs: DatasetInput[] = [];
    const warnings: string[] = [];
    for (const i of candidates) {
      if (await this.options.artifacts.has(i.ref)) inputs.push(i);
      else warnings.push(`import ${i.import_run_id} (${i.locator}) is left out: its rows ${i.ref.uri} are not in this workspace's artifact store`);
    }
    if (inputs.length === 0) {
      const why = candidates.length ? `the rows of its ${candidates.length} import(s) are not in this workspace's artifact store; import again` : 'import a source first (distillery import run)';
      throw new ConflictException({ error: 'no_dataset', message: `project '${projectId}' has no imported rows yet: ${why}`, warnings });
    }
    const first = imports[0]!;
    const taskId = `clean-${uuidv7().slice(-12)}`;
    const rows = inputs.reduce((a, i) => a + i.rows, 0);
    const r = await this.publisher.publish({
      reason_code: 'cleaning_requested',
      project_id: projectId,
      run_id: taskId,
      actor,
      summary: `clean ${rows} rows from ${inputs.length} import(s) (PII ${(b.policy['pii'] as { action?: string } | undefined)?.action ?? 'redact'})`,
      payload: { dataset_id: first.dataset_id ?? `ds-${projectId}`, task_profile: first.task_profile as TaskProfile, inputs, policy: b.policy },
    });
    return { project_id: projectId, task_id: taskId, event_id: r.event.id, rows, inputs: inputs.length, warnings, links: links(projectId, taskId) };
  }

  @Post('prepare')
  @HttpCode(202)
  async prepare(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const b = parseRequest(prepareBody, body, 'body');
    const ratios = b.ratios ?? DEFAULT_RATIOS;
    try {
      validateRatios(ratios);
    } catch (err) {
      if (err instanceof SplitConfigError) throw badRequest([{ field: 'body.ratios', message: err.message }]);
      throw err;
    }
    const cleaning = b.cleaning_task_id ? await getDataTask(this.db.db, projectId, b.cleaning_task_id) : await latestCompletedTask(this.db.db, projectId, 'clean');
    if (!cleaning || cleaning.kind !== 'clean' || cleaning.status !== 'completed') {
      const what = b.cleaning_task_id ? `cleaning task '${b.cleaning_task_id}' has not completed (${cleaning?.status ?? 'not found'})` : `project '${projectId}' has no completed cleaning`;
      throw new ConflictException({ error: 'not_cleaned', message: `${what}: run distillery clean first` });
    }
    const result = cleaning.result as { cleaned_ref?: ArtifactRef; report_ref?: ArtifactRef; rows_in: number; rows_out: number; inputs?: DatasetInput[]; dataset_id?: string; task_profile?: TaskProfile };
    if (!result.cleaned_ref) throw new ConflictException({ error: 'not_cleaned', message: `cleaning task '${cleaning.task_id}' wrote no cleaned rows` });
    const request = cleaning.request as { dataset_id: string; task_profile: TaskProfile; inputs: DatasetInput[] };
    const inputs = result.inputs ?? request.inputs;
    const profile = result.task_profile ?? request.task_profile;
    const strategyKind = b.strategy ?? (LABELLED.has(profile) ? 'stratified' : 'random');
    if (strategyKind !== 'random' && !b.field && !LABELLED.has(profile)) {
      throw badRequest([{ field: 'body.field', message: `a ${strategyKind} split needs the field to ${strategyKind === 'stratified' ? 'stratify' : 'group'} by` }]);
    }
    const strategy: SplitStrategy = strategyKind === 'random' ? { kind: 'random', seed: b.seed } : { kind: strategyKind, field: b.field ?? 'label', seed: b.seed };
    const imports = await listImports(this.db.db, projectId);
    const used = new Set(inputs.map((i) => i.import_run_id));
    const rejected = imports.filter((i) => used.has(i.run_id)).reduce((a, i) => a + (i.rows_rejected ?? 0), 0);
    const newer = imports.filter((i) => i.status === 'completed' && !used.has(i.run_id) && inputOf(i).rows > 0);
    const taskId = `prepare-${uuidv7().slice(-12)}`;
    const r = await this.publisher.publish({
      reason_code: 'dataset_prep_requested',
      project_id: projectId,
      run_id: taskId,
      actor,
      summary: `prepare ${result.rows_out} cleaned rows (${describe(strategy)}, ratios ${ratios.train}/${ratios.eval}/${ratios.gold})`,
      payload: {
        dataset_id: result.dataset_id ?? request.dataset_id,
        task_profile: profile,
        dataset_ref: result.cleaned_ref,
        cleaning_run_id: cleaning.task_id,
        ...(result.report_ref ? { cleaning_report_ref: result.report_ref } : {}),
        rows_dropped: result.rows_in - result.rows_out + rejected,
        inputs,
        split: { strategy, ratios },
        ...(b.leakage_max_share !== undefined || b.near_threshold !== undefined
          ? { leakage: { ...(b.leakage_max_share !== undefined ? { max_share: b.leakage_max_share } : {}), ...(b.near_threshold !== undefined ? { near_threshold: b.near_threshold } : {}) } }
          : {}),
      },
    });
    return {
      project_id: projectId,
      task_id: taskId,
      event_id: r.event.id,
      cleaning_task_id: cleaning.task_id,
      strategy,
      ratios,
      warnings: newer.length ? [`${newer.length} import(s) finished after cleaning ${cleaning.task_id} and are not in this dataset: clean again to include them`] : [],
      links: links(projectId, taskId),
    };
  }

  @Get('tasks')
  async tasks(@Param() params: unknown) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    return { items: await listDataTasks(this.db.db, projectId) };
  }

  @Get('tasks/:taskId')
  async task(@Param() params: unknown) {
    const { projectId, taskId } = parseRequest(taskParams, params, 'path');
    const t = await getDataTask(this.db.db, projectId, taskId);
    if (!t) throw new NotFoundException({ error: 'not_found', message: `no clean or prepare task '${taskId}' in project '${projectId}'` });
    return withProgress(t);
  }

  /** The document a task produced: a cleaning task's report, a prepare task's manifest. */
  @Get('tasks/:taskId/report')
  async report(@Param() params: unknown) {
    const { projectId, taskId } = parseRequest(taskParams, params, 'path');
    const t = await getDataTask(this.db.db, projectId, taskId);
    if (!t) throw new NotFoundException({ error: 'not_found', message: `no clean or prepare task '${taskId}' in project '${projectId}'` });
    const ref = (t.result?.[t.kind === 'clean' ? 'report_ref' : 'manifest_ref'] ?? undefined) as ArtifactRef | undefined;
    if (!ref) throw new NotFoundException({ error: 'no_report', message: `task '${taskId}' is ${t.status} and has no ${t.kind === 'clean' ? 'report' : 'manifest'} yet` });
    return JSON.parse((await this.options.artifacts.readBytes(ref)).toString('utf8')) as unknown;
  }

  /** A row's history: source and position, mapper outcome, cleaning findings, dedup cluster, split. */
  @Get('rows/:rowId')
  async row(@Param() params: unknown) {
    const { projectId, rowId } = parseRequest(rowParams, params, 'path');
    try {
      const r = await explainRow(this.db.db, projectId, rowId);
      if (!r) throw new NotFoundException({ error: 'not_found', message: `no row '${rowId}' in project '${projectId}' (lineage is projected from imports, cleaning and prepare events)` });
      return r;
    } catch (err) {
      if (err instanceof AmbiguousRowIdError) {
        throw new ConflictException({ error: 'ambiguous_row_id', message: err.message, matches: err.matches, more: err.more });
      }
      throw err;
    }
  }

  /** The latest prepared dataset: its manifest reference, counts and labels. */
  @Get('prepared')
  async prepared(@Param() params: unknown) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const t = await latestCompletedTask(this.db.db, projectId, 'prepare');
    if (!t) throw new NotFoundException({ error: 'not_prepared', message: `project '${projectId}' has no prepared dataset yet: run distillery prepare` });
    return { task_id: t.task_id, finished_at: t.finished_at, summary: t.summary, ...t.result };
  }
}

const inputOf = (i: ImportRow): DatasetInput => ({
  import_run_id: i.run_id,
  locator: i.locator,
  mapper_id: i.mapper_id,
  rows: (i.rows_accepted ?? 0) - (i.rows_duplicate ?? 0),
  ref: i.accepted_ref!,
});

const links = (projectId: string, taskId: string) => ({
  task: `/api/projects/${projectId}/tasks/${taskId}`,
  stream: `/api/runs/${taskId}/stream?project_id=${projectId}`,
});

const describe = (s: SplitStrategy): string => (s.kind === 'random' ? `random, seed ${s.seed}` : `${s.kind} by ${s.field}, seed ${s.seed}`);

/** A task with its progress as a fraction (null before the first progress event). */
function withProgress(t: DataTaskRow) {
  const fraction = t.status === 'completed' ? 1 : t.rows_total ? Math.min(1, (t.rows_done ?? 0) / t.rows_total) : null;
  return { ...t, progress: fraction };
}
