import { z } from 'zod';
import { DISTILLERY_VERSION } from '@distillery/contracts';
import { demoRunBody, eventsQuery, runQuery, streamQuery, timelineQuery } from './dto.js';

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
          summary: 'RunEvents, filtered and cursor-paged in stream order',
          parameters: queryParams(eventsQuery(maxPage)),
          responses: { '200': { description: '{ items, next_cursor } — next_cursor is null on the last page' }, '400': problem },
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
          summary: 'The timeline row of one run',
          parameters: [pathParam('runId'), ...queryParams(runQuery)],
          responses: { '200': { description: 'timeline row' }, '404': { description: 'no events for this run' } },
        },
      },
      '/api/runs/{runId}/stream': {
        get: {
          summary: 'Server-sent events: the run’s events from the log, then live (resume with Last-Event-ID)',
          parameters: [pathParam('runId'), ...queryParams(streamQuery)],
          responses: { '200': { description: 'text/event-stream; event `run_event`, id = stream sequence' } },
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
      '/health/live': { get: { summary: 'Liveness', responses: { '200': { description: 'alive' } } } },
      '/health/ready': {
        get: { summary: 'Readiness: NATS and the database answer', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } },
      },
    },
  };
}
