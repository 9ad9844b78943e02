import { Body, Controller, ForbiddenException, Get, GoneException, Headers, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ProjectId, RunId } from '@distillery/contracts';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, EventPublisher } from '@distillery/eventlog';
import { DATABASE, EVENT_LOG, PUBLISHER } from '@distillery/platform-nest';
import { MAX_TTL_SECONDS, SupportBundleScopeError, SupportBundleService } from '@distillery/support-bundle';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

export const BUNDLE_TOKEN_HEADER = 'x-distillery-bundle-token';

export const createSupportBundleBody = z
  .object({
    project_id: ProjectId,
    /** A run of the project: the bundle covers it and its descendants (default: the whole project). */
    run_id: RunId.optional(),
    /** How long the download token works (default one day, at most 30 days). */
    ttl_seconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional(),
  })
  .strict();
const bundleParams = z.object({ id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'expected a bundle id (a UUID)') });

/**
 * Support bundles: a redacted ZIP of a project's (or a run subtree's) events, runs, recipes and manifests, failure
 * clusters, deployments and exports. The creator gets a download token once; the download needs it in the
 * `x-distillery-bundle-token` header (never in the URL, where logs and browser history would keep it) before the
 * bundle expires.
 */
@Controller('api/support-bundles')
export class SupportBundlesController {
  private readonly service: SupportBundleService;

  constructor(
    @Inject(PUBLISHER) publisher: EventPublisher,
    @Inject(DATABASE) database: DatabaseHandle,
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(API_OPTIONS) options: ApiOptions,
  ) {
    this.service = new SupportBundleService({ database, artifacts: options.artifacts, publisher, natsServerVersion: () => log.serverVersion() });
  }

  @Post()
  async create(@Body() body: unknown, @RequestActor() actor: string) {
    const b = parseRequest(createSupportBundleBody, body ?? {}, 'body');
    const scope = { project_id: b.project_id, ...(b.run_id ? { run_id: b.run_id } : {}) };
    try {
      const r = await this.service.create({ scope, actor, ...(b.ttl_seconds ? { ttlSeconds: b.ttl_seconds } : {}) });
      return {
        bundle_id: r.bundle_id,
        sha256: r.sha256,
        size: r.size,
        expires_at: r.expires_at,
        download_token: r.download_token,
        run_id: r.run_id,
        event_id: r.event_id,
        scope,
        sections: r.manifest.sections,
        redactions: r.manifest.redactions,
        links: { download: `/api/support-bundles/${r.bundle_id}/download` },
        note: `the download token is shown once: send it in the ${BUNDLE_TOKEN_HEADER} header`,
      };
    } catch (err) {
      if (err instanceof SupportBundleScopeError) throw new NotFoundException({ error: 'not_found', message: err.message });
      throw err;
    }
  }

  @Get(':id/download')
  async download(@Param() params: unknown, @Query() query: unknown, @Headers(BUNDLE_TOKEN_HEADER) token: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const q = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
    if (Object.keys(q).length > 0) {
      throw new ForbiddenException({
        error: 'token_in_query',
        message: `a download token is not accepted in the query string (${Object.keys(q).join(', ')}): send it in the ${BUNDLE_TOKEN_HEADER} header`,
      });
    }
    const { id } = parseRequest(bundleParams, params, 'path');
    const r = await this.service.download(id, typeof token === 'string' && token.length > 0 ? token : undefined);
    if (!r.ok) {
      const payload = { error: r.error, message: r.message };
      if (r.status === 404) throw new NotFoundException(payload);
      if (r.status === 410) throw new GoneException(payload);
      throw new ForbiddenException(payload);
    }
    reply.header('content-type', 'application/zip');
    reply.header('content-disposition', `attachment; filename="${r.filename}"`);
    reply.header('x-content-sha256', r.sha256);
    reply.header('cache-control', 'no-store');
    return r.data;
  }
}
