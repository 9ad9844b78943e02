import { Controller, Get, Inject, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { runFilter } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog } from '@distillery/eventlog';
import { DATABASE, EVENT_LOG } from '@distillery/platform-nest';
import { getRun, listEvents, listTimeline } from '@distillery/timeline';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { eventsQuery, runParams, runQuery, streamQuery, timelineQuery } from './dto.js';
import { explain } from './errors.js';
import { parseRequest } from './validation.js';

/** Read models (served from PostgreSQL projections) and the live event stream of a run (from JetStream). */
@Controller('api')
export class RunsController {
  constructor(
    @Inject(DATABASE) private readonly db: DatabaseHandle,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
  ) {}

  @Get('events')
  async events(@Query() query: unknown) {
    const { cursor, limit, ...filters } = parseRequest(eventsQuery(this.options.maxPageSize), query, 'query');
    return explain(listEvents(this.db.db, filters, cursor, limit));
  }

  @Get('timeline')
  async timeline(@Query() query: unknown) {
    const { cursor, limit, ...filters } = parseRequest(timelineQuery(this.options.maxPageSize), query, 'query');
    return explain(listTimeline(this.db.db, filters, cursor, limit));
  }

  @Get('runs/:runId')
  async run(@Param() params: unknown, @Query() query: unknown) {
    const { runId } = parseRequest(runParams, params, 'path');
    const { project_id } = parseRequest(runQuery, query, 'query');
    const row = await getRun(this.db.db, runId, project_id);
    if (!row) throw new NotFoundException({ error: 'not_found', message: `run '${runId}' has no events (yet)` });
    return row;
  }

  /**
   * Server-sent events: the run's events from the log (from the start, `from_seq`, or after `Last-Event-ID`),
   * then live as they are published. Each SSE id is the stream sequence, so a reconnecting client resumes.
   */
  @Get('runs/:runId/stream')
  async stream(@Param() params: unknown, @Query() query: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const { runId } = parseRequest(runParams, params, 'path');
    const q = parseRequest(streamQuery, query, 'query');
    const lastId = Number(req.headers['last-event-id']);
    const fromSeq = Number.isInteger(lastId) && lastId > 0 ? lastId + 1 : (q.from_seq ?? 1);
    const abort = new AbortController();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`: stream of run ${runId} from seq ${fromSeq}\n\n`);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => abort.abort());
    try {
      for await (const batch of this.log.read({
        fromSeq,
        follow: true,
        filterSubject: runFilter(this.log.subjectPrefix, runId, q.project_id),
        batchSize: 100,
        signal: abort.signal,
      })) {
        for (const m of batch) {
          if (!m.decoded.ok) continue;
          res.write(`id: ${m.seq}\nevent: run_event\ndata: ${JSON.stringify({ seq: m.seq, ...m.decoded.event })}\n\n`);
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) res.write(`event: error\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`);
    } finally {
      clearInterval(heartbeat);
      res.end();
    }
  }
}
