import { BadRequestException, Controller, Get, Inject, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { runFilter } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog } from '@distillery/eventlog';
import { DATABASE, EVENT_LOG } from '@distillery/platform-nest';
import { AmbiguousRunError, asRunEvent, getRun, getRunAsOf, listEvents, listTimeline } from '@distillery/timeline';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { asOfQuery, eventsExportQuery, eventsQuery, runParams, streamQuery, timelineQuery } from './dto.js';
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

  /**
   * The audit explorer's export: every event matching the filters as JSON Lines (one RunEvent per line, log order,
   * its stream sequence as `seq`), streamed page by page rather than built in memory.
   */
  @Get('events/export')
  async exportEvents(@Query() query: unknown, @Res() reply: FastifyReply) {
    const { cursor: _none, ...filters } = parseRequest(eventsExportQuery, query, 'query');
    const first = await explain(listEvents(this.db.db, filters, undefined, this.options.maxPageSize));
    reply.hijack();
    const res = reply.raw;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="distillery-events-${filters.project_id ?? 'all'}-${stamp}.jsonl"`, 'cache-control': 'no-store' });
    let page = first;
    for (;;) {
      for (const row of page.items) {
        if (!res.write(`${JSON.stringify({ seq: row.seq, ...asRunEvent(row) })}\n`)) await new Promise((r) => res.once('drain', r));
      }
      if (page.next_cursor === null) break;
      page = await listEvents(this.db.db, filters, page.next_cursor, this.options.maxPageSize);
    }
    res.end();
  }

  @Get('timeline')
  async timeline(@Query() query: unknown) {
    const { cursor, limit, ...filters } = parseRequest(timelineQuery(this.options.maxPageSize), query, 'query');
    return explain(listTimeline(this.db.db, filters, cursor, limit));
  }

  /** A run's timeline row; `?at=<time>`: as it stood then (time travel, folded from the log up to that time). */
  @Get('runs/:runId')
  async run(@Param() params: unknown, @Query() query: unknown) {
    const { runId } = parseRequest(runParams, params, 'path');
    const { project_id, at } = parseRequest(asOfQuery, query, 'query');
    if (at !== undefined) {
      const past = await getRunAsOf(this.db.db, runId, project_id, at).catch((err: unknown) => {
        if (err instanceof AmbiguousRunError) throw new BadRequestException({ error: 'ambiguous_run', message: err.message });
        throw err;
      });
      if (!past) throw new NotFoundException({ error: 'not_found', message: `run '${runId}' had no events yet at ${at}` });
      return past;
    }
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
