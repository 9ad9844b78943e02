import { ConflictException, Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import type { DatabaseHandle } from '@distillery/db';
import { AmbiguousClusterIdError, getFailureCluster, InvalidClusterCursorError, listFailureClusters } from '@distillery/failure-clusters';
import { DATABASE } from '@distillery/platform-nest';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { eventFiltersShape, pageLimit } from './dto.js';
import { badRequest, parseRequest } from './validation.js';

/** `GET /api/failure-clusters`: the event filters that apply to clusters, plus paging. */
export const failureClustersQuery = (max: number) =>
  z
    .object({
      project_id: eventFiltersShape.project_id,
      stage: eventFiltersShape.stage,
      reason_code: eventFiltersShape.reason_code,
      since: eventFiltersShape.since,
      until: eventFiltersShape.until,
      cursor: eventFiltersShape.cursor,
      limit: pageLimit(max),
    })
    .strict();

/** A cluster id (24 hex characters) or a unique prefix of at least 8. */
export const failureClusterParams = z.object({
  id: z.string().regex(/^[0-9A-Fa-f]{8,64}$/, 'expected a cluster id: 8 to 64 hex characters (a unique prefix will do)'),
});

/**
 * Failure clusters (the `failure_clusters` projection): error and critical events grouped by project, stage, reason
 * code and the normalised summary, each with its counts, affected runs, newest exemplars and known-fix hint.
 */
@Controller('api/failure-clusters')
export class FailureClustersController {
  constructor(
    @Inject(DATABASE) private readonly db: DatabaseHandle,
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
  ) {}

  @Get()
  async list(@Query() query: unknown) {
    const { cursor, limit, ...filters } = parseRequest(failureClustersQuery(this.options.maxPageSize), query, 'query');
    try {
      return await listFailureClusters(this.db.db, filters, cursor, limit);
    } catch (err) {
      if (err instanceof InvalidClusterCursorError) throw badRequest([{ field: 'query.cursor', message: 'not a cursor returned by this endpoint' }]);
      throw err;
    }
  }

  @Get(':id')
  async one(@Param() params: unknown) {
    const { id } = parseRequest(failureClusterParams, params, 'path');
    try {
      const cluster = await getFailureCluster(this.db.db, id);
      if (!cluster) throw new NotFoundException({ error: 'not_found', message: `no failure cluster '${id}'` });
      return cluster;
    } catch (err) {
      if (err instanceof AmbiguousClusterIdError) {
        throw new ConflictException({ error: 'ambiguous_cluster_id', message: err.message, matches: err.matches, more: err.more });
      }
      throw err;
    }
  }
}
