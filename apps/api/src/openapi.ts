import { z } from 'zod';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import { cleanBody, prepareBody } from './datasets.dto.js';
import { asOfQuery, demoRunBody, eventsExportQuery, eventsQuery, streamQuery, timelineQuery } from './dto.js';
import { failureClustersQuery } from './failure-clusters.controller.js';
import { dryRunBody, importBody, introspectBody } from './imports.dto.js';

type JsonSchema = { properties?: Record<string, unknown>; required?: string[] };

function queryParams(schema: z.ZodType, inPath: string[] = []): unknown[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: inPath.includes(name) ? 'path' : 'query',
    required: inPath.includes(name) || (json.required ?? []).includes(name),
    schema: s,
  }));
}

const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const body = (schema: z.ZodType) => ({ content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } } });
const problem = { description: 'Bad request: `issues` names every bad field', content: { 'application/json': { schema: { type: 'object' } } } };

/** The OpenAPI 3.1 document of the HTTP API, generated from the same Zod schemas that validate requests. */
export function openApiDocument(maxPage: number) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Distillery API',
      version: DISTILLERY_VERSION,
      description: 'Publishes *_requested RunEvents and serves read models projected from the RunEvent log.',
    },
    paths: {
      '/api/events': {
        get: {
          summary: 'The audit explorer: RunEvents filtered by project, run, subtree (root_run_id), stage, severity, reason code, actor, time window or as_of, free text (q) in the summary; cursor-paged in stream order',
          parameters: queryParams(eventsQuery(maxPage)),
          responses: { '200': { description: '{ items, next_cursor } — next_cursor is null on the last page' }, '400': problem },
        },
      },
      '/api/events/export': {
        get: {
          summary: 'Every RunEvent matching the same filters as JSON Lines (application/x-ndjson), streamed in stream order',
          parameters: queryParams(eventsExportQuery),
          responses: { '200': { description: 'one RunEvent per line, with its stream sequence as seq' }, '400': problem },
        },
      },
      '/api/timeline': {
        get: {
          summary: 'One row per run (parent, children, orphan flag, counts, highest severity, latest code); root_run_id anchors a subtree',
          parameters: queryParams(timelineQuery(maxPage)),
          responses: { '200': { description: '{ items, next_cursor }' }, '400': problem },
        },
      },
      '/api/runs/{runId}': {
        get: {
          summary: 'The timeline row of one run; with at=<time>, the run as it stood then (time travel, folded from the log)',
          parameters: [pathParam('runId'), ...queryParams(asOfQuery)],
          responses: { '200': { description: 'timeline row (plus as_of)' }, '400': problem, '404': { description: 'no events for this run (by that time)' } },
        },
      },
      '/api/runs/{runId}/stream': {
        get: {
          summary: 'Server-sent events: the run’s events from the log, then live (resume with Last-Event-ID)',
          parameters: [pathParam('runId'), ...queryParams(streamQuery)],
          responses: { '200': { description: 'text/event-stream; event `run_event`, id = stream sequence' } },
        },
      },
      '/api/failure-clusters': {
        get: {
          summary: 'Failure clusters: error/critical events grouped by project, stage, reason code and normalised summary; newest last_seen first, cursor-paged',
          parameters: queryParams(failureClustersQuery(maxPage)),
          responses: {
            '200': { description: '{ items: [{ cluster_id, signature, count, runs_count, recent_run_ids, first_seen, last_seen, known_fix, … }], next_cursor }' },
            '400': problem,
          },
        },
      },
      '/api/failure-clusters/{id}': {
        get: {
          summary: 'One failure cluster with its newest exemplars, affected runs and known-fix hint (a unique 8+ hex prefix of the id will do)',
          parameters: [pathParam('id')],
          responses: {
            '200': { description: 'cluster with exemplars, affected_runs and known_fix' },
            '400': problem,
            '404': { description: 'no such cluster' },
            '409': { description: 'ambiguous_cluster_id: the prefix matches several clusters' },
          },
        },
      },
      '/api/demo-runs': {
        post: {
          summary: 'Publish a demo run (demo_run_requested); honours Idempotency-Key',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: z.toJSONSchema(demoRunBody, { io: 'input' }) } } },
          responses: { '202': { description: '{ run_id, event_id, seq, duplicate, links }' }, '400': problem },
        },
      },
      '/api/sources': { get: { summary: 'Source locator prefixes', responses: { '200': { description: '{ prefixes }' } } } },
      '/api/mappers': { get: { summary: 'Mappers with task profiles, roles and output schemas', responses: { '200': { description: '{ items }' } } } },
      '/api/projects/{projectId}/imports/introspect': {
        post: {
          summary: 'Columns, ~20 sample rows and ranked mapping hypotheses of a source (a read: no RunEvent)',
          parameters: [pathParam('projectId')],
          requestBody: body(introspectBody),
          responses: { '200': { description: '{ description, introspection }' }, '400': problem },
        },
      },
      '/api/projects/{projectId}/imports/dry-run': {
        post: {
          summary: 'Map every row without writing: accepted sample and every rejection reason with counts',
          parameters: [pathParam('projectId')],
          requestBody: body(dryRunBody),
          responses: { '200': { description: '{ choice, report }' }, '400': problem, '422': { description: 'low_confidence: auto below 0.80 without force' } },
        },
      },
      '/api/projects/{projectId}/imports': {
        post: {
          summary: 'Import a source (dataset_import_requested); the mapping service commits it',
          parameters: [pathParam('projectId')],
          requestBody: body(importBody),
          responses: { '202': { description: '{ run_id, event_id, choice, links }' }, '400': problem, '422': { description: 'low_confidence' } },
        },
        get: { summary: 'Imports of a project with counts and rejections', parameters: [pathParam('projectId')], responses: { '200': { description: '{ items }' } } },
      },
      '/api/projects/{projectId}/imports/{runId}': {
        get: { summary: 'One import', parameters: [pathParam('projectId'), pathParam('runId')], responses: { '200': { description: 'import' }, '404': { description: 'unknown import' } } },
      },
      '/api/projects/{projectId}/mappings': { get: { summary: 'Saved mappings with their last run', parameters: [pathParam('projectId')], responses: { '200': { description: '{ items }' } } } },
      '/api/projects/{projectId}/mappings/{mappingId}/rerun': {
        post: { summary: 'Re-run a saved mapping (by name or id)', parameters: [pathParam('projectId'), pathParam('mappingId')], responses: { '202': { description: 'as POST imports' }, '404': { description: 'unknown mapping' } } },
      },
      '/api/projects/{projectId}/clean': {
        post: {
          summary: 'Clean the project dataset (cleaning_requested): PII, quality, dedup, outliers; a background task',
          parameters: [pathParam('projectId')],
          requestBody: body(cleanBody),
          responses: { '202': { description: '{ task_id, rows, inputs, links }' }, '400': problem, '409': { description: 'no_dataset: nothing imported yet' } },
        },
      },
      '/api/projects/{projectId}/prepare': {
        post: {
          summary: 'Split the latest cleaned dataset, check leakage, write the manifest (dataset_prep_requested); a background task',
          parameters: [pathParam('projectId')],
          requestBody: body(prepareBody),
          responses: { '202': { description: '{ task_id, cleaning_task_id, strategy, ratios, warnings, links }' }, '400': problem, '409': { description: 'not_cleaned' } },
        },
      },
      '/api/projects/{projectId}/tasks': { get: { summary: 'Clean and prepare tasks of a project', parameters: [pathParam('projectId')], responses: { '200': { description: '{ items }' } } } },
      '/api/projects/{projectId}/tasks/{taskId}': {
        get: {
          summary: 'A task to poll: status, phase, rows done of total, progress, findings, result or failure',
          parameters: [pathParam('projectId'), pathParam('taskId')],
          responses: { '200': { description: 'task' }, '404': { description: 'unknown task' } },
        },
      },
      '/api/projects/{projectId}/tasks/{taskId}/report': {
        get: { summary: 'The cleaning report or the prepared manifest of a task', parameters: [pathParam('projectId'), pathParam('taskId')], responses: { '200': { description: 'JSON document' }, '404': { description: 'none yet' } } },
      },
      '/api/projects/{projectId}/prepared': {
        get: { summary: 'The latest prepared dataset: manifest ref, counts, labels', parameters: [pathParam('projectId')], responses: { '200': { description: 'dataset_prepared payload' }, '404': { description: 'not prepared yet' } } },
      },
      '/health/live': { get: { summary: 'Liveness', responses: { '200': { description: 'alive' } } } },
      '/health/ready': {
        get: { summary: 'Readiness: NATS and the database answer', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } },
      },
    },
  };
}
