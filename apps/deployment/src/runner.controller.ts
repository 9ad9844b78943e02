import { Body, Catch, Controller, Get, HttpException, Inject, Module, Post, Req, Res, type ArgumentsHost, type DynamicModule, type ExceptionFilter } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@distillery/eventlog';
import { distilleryMetrics } from '@distillery/telemetry';
import { OpenAiError, parseChatRequest, parseCompletionRequest, type ChatRequest, type CompletionRequest } from './openai-api.js';
import { sseError } from './openai-format.js';
import { PROBE_HEADER, type RequestContext, type Runner } from './runner.js';

export const RUNNER = Symbol.for('distillery.Runner');
export const RUNNER_LOGGER = Symbol.for('distillery.RunnerLogger');

const ROUTES = { chat: '/v1/chat/completions', text: '/v1/completions' } as const;

/** `distillery.runner.request.duration` for every answered request, `…errors` for those answered 4xx/5xx. */
function recordRunnerRequest(route: string, status: number, startedAt: number, streamed: boolean): void {
  const m = distilleryMetrics();
  m.runnerRequestDuration.record((performance.now() - startedAt) / 1000, { route, status_code: status, stream: streamed });
  if (status >= 400) m.runnerRequestErrors.add(1, { route, status_code: status });
}

const toOpenAi = (err: unknown): OpenAiError => {
  if (err instanceof OpenAiError) return err;
  return new OpenAiError(500, `the runner failed: ${(err as Error)?.message ?? String(err)}`, 'server_error', null, 'internal_error');
};

/** The built-in runner's OpenAI-compatible API: `/v1/models`, `/v1/completions`, `/v1/chat/completions`. */
@Controller('v1')
export class RunnerController {
  constructor(
    @Inject(RUNNER) private readonly runner: Runner,
    @Inject(RUNNER_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('models')
  models() {
    return this.runner.list();
  }

  @Post('chat/completions')
  async chat(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.serve('chat', () => parseChatRequest(body), req, reply);
  }

  @Post('completions')
  async completions(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.serve('text', () => parseCompletionRequest(body), req, reply);
  }

  /** Answers one request: JSON, or SSE frames when it asked to stream; errors in OpenAI's shape. */
  private async serve(kind: 'chat' | 'text', parse: () => ChatRequest | CompletionRequest, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const ctx: RequestContext = { probe: req.headers[PROBE_HEADER] !== undefined };
    const startedAt = performance.now();
    let status = 200;
    let streamed = false;
    try {
      const request = parse();
      streamed = request.stream === true;
      if (!request.stream) {
        await reply.status(200).send(await this.runner.complete(kind, request, ctx));
        return;
      }
      await this.pipe(this.runner.stream(kind, request, ctx).frames, reply);
    } catch (err) {
      const e = toOpenAi(err);
      status = e.status;
      if (e.status >= 500) this.logger.error('runner request failed', { err: String((err as Error)?.stack ?? err) });
      await reply.status(e.status).send(e.body);
    } finally {
      recordRunnerRequest(ROUTES[kind], status, startedAt, streamed);
    }
  }

  /** Writes SSE frames as they come; stops generating when the client goes away. */
  private async pipe(frames: AsyncGenerator<string>, reply: FastifyReply): Promise<void> {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // The response's 'close' before it ended: the client went away (the request's 'close' only says its body was read).
    let gone = false;
    res.on('close', () => (gone = !res.writableEnded));
    try {
      for await (const frame of frames) {
        if (gone) break;
        res.write(frame);
      }
    } catch (err) {
      const e = toOpenAi(err);
      this.logger.warn('stream failed after it started', { err: e.message });
      if (!gone) res.write(sseError(e.body));
    } finally {
      await frames.return(undefined);
      res.end();
    }
  }
}

/** The runner's HTTP app: the controller and the (shared) runner; no event log, no database. */
@Module({})
export class RunnerHttpModule {
  static forRoot(runner: Runner, logger: Logger): DynamicModule {
    return {
      module: RunnerHttpModule,
      controllers: [RunnerController],
      providers: [
        { provide: RUNNER, useValue: runner },
        { provide: RUNNER_LOGGER, useValue: logger },
      ],
    };
  }
}

/**
 * Errors raised before a route runs (a body that is not JSON, too large, a wrong content type) and unknown routes,
 * answered in OpenAI's error shape too (route handlers answer their own errors).
 */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    const message = (exception as Error)?.message ?? String(exception);
    const cause = (exception as { cause?: { code?: string } })?.cause?.code;
    const code = status === 404 ? 'not_found' : cause === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && /JSON/i.test(message)) ? 'invalid_json' : (cause ?? null);
    const e = status >= 500 ? new OpenAiError(500, `the runner failed: ${message}`, 'server_error', null, 'internal_error') : new OpenAiError(status, `could not read the request: ${message}`, 'invalid_request_error', null, code);
    distilleryMetrics().runnerRequestErrors.add(1, { route: status === 404 ? 'unknown' : (host.switchToHttp().getRequest<FastifyRequest>().url ?? 'unknown').split('?')[0]!, status_code: e.status });
    void reply.status(e.status).send(e.body);
  }
}

export function configureRunnerHttp(app: NestFastifyApplication): void {
  app.useGlobalFilters(new OpenAiErrorFilter());
}
