import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import type { DatabaseHandle } from '@distillery/db';
import type { EventPublisher } from '@distillery/eventlog';
import { getImport, getSavedMapping, listImports, listSavedMappings } from '@distillery/data-views';
import { chooseMapping, dryRunSource, introspectSource, type ImporterDeps, type MappingChoice } from '@distillery/importer';
import { DATABASE, PUBLISHER } from '@distillery/platform-nest';
import { IMPORTER } from './api-options.js';
import { dryRunBody, importBody, importParams, introspectBody, projectParams, rerunParams } from './imports.dto.js';
import { explain } from './errors.js';
import { parseRequest } from './validation.js';
import { RequestActor } from './auth/actor.decorator.js';

/**
 * The data path's front door. Introspection and dry runs are reads (no RunEvent); an import publishes
 * `dataset_import_requested` with the chosen mapping, and the mapping service commits it.
 */
@Controller('api')
export class ImportsController {
  constructor(
    @Inject(IMPORTER) private readonly importer: ImporterDeps,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DATABASE) private readonly db: DatabaseHandle,
  ) {}

  @Get('sources')
  sources() {
    return { prefixes: this.importer.sources.prefixes() };
  }

  @Get('mappers')
  mappers() {
    return {
      items: this.importer.mappers.ids().map((id) => {
        const m = this.importer.mappers.get(id)!;
        return { id: m.id, task_profile: m.task_profile, roles: m.roles, output_schema: m.output_schema, description: m.description };
      }),
    };
  }

  @Post('projects/:projectId/imports/introspect')
  @HttpCode(200)
  async introspect(@Param() params: unknown, @Body() body: unknown) {
    parseRequest(projectParams, params, 'path');
    const b = parseRequest(introspectBody, body, 'body');
    const { description, introspection } = await explain(introspectSource(this.importer, b.locator, b.sample_size));
    return { description, introspection };
  }

  @Post('projects/:projectId/imports/dry-run')
  @HttpCode(200)
  async dryRun(@Param() params: unknown, @Body() body: unknown) {
    parseRequest(projectParams, params, 'path');
    const b = parseRequest(dryRunBody, body, 'body');
    const choice = await explain(chooseMapping(this.importer, { locator: b.locator, mapper: b.mapper, field_map: b.field_map, auto: b.auto, force: b.force }));
    const report = await explain(
      dryRunSource(this.importer, { locator: b.locator, mapper_id: choice.mapper_id, field_map: choice.field_map, drop_reasons: b.drop, limit: b.limit, sampleSize: b.sample_size }),
    );
    return { choice: summary(choice), report };
  }

  @Post('projects/:projectId/imports')
  @HttpCode(202)
  async import(@Param() params: unknown, @Body() body: unknown, @RequestActor() actor: string) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    const b = parseRequest(importBody, body, 'body');
    const choice = await explain(chooseMapping(this.importer, { locator: b.locator, mapper: b.mapper, field_map: b.field_map, auto: b.auto, force: b.force }));
    return this.request(projectId, actor, b.locator, choice, { drop: b.drop, limit: b.limit, save_as: b.save_as });
  }

  @Get('projects/:projectId/imports')
  async list(@Param() params: unknown) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    return { items: await listImports(this.db.db, projectId) };
  }

  @Get('projects/:projectId/imports/:runId')
  async one(@Param() params: unknown) {
    const { projectId, runId } = parseRequest(importParams, params, 'path');
    const row = await getImport(this.db.db, runId, projectId);
    if (!row) throw new NotFoundException({ error: 'not_found', message: `no import '${runId}' in project '${projectId}'` });
    return row;
  }

  @Get('projects/:projectId/mappings')
  async mappings(@Param() params: unknown) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    return { items: await listSavedMappings(this.db.db, projectId) };
  }

  /** Re-runs a saved mapping in one call (same locator, mapper, field map and dropped reasons). */
  @Post('projects/:projectId/mappings/:mappingId/rerun')
  @HttpCode(202)
  async rerun(@Param() params: unknown, @RequestActor() actor: string) {
    const { projectId, mappingId } = parseRequest(rerunParams, params, 'path');
    const saved = await getSavedMapping(this.db.db, projectId, mappingId);
    if (!saved) throw new NotFoundException({ error: 'not_found', message: `no saved mapping '${mappingId}' in project '${projectId}'` });
    const choice = await explain(chooseMapping(this.importer, { locator: saved.locator, mapper: saved.mapper_id, field_map: saved.field_map }));
    return this.request(projectId, actor, saved.locator, choice, { drop: saved.drop_reasons, saved_mapping_id: saved.saved_mapping_id });
  }

  private async request(
    projectId: string,
    actor: string,
    locator: string,
    choice: MappingChoice,
    extra: { drop: readonly string[]; limit?: number; save_as?: string; saved_mapping_id?: string },
  ) {
    const runId = `import-${uuidv7().slice(-12)}`;
    const r = await this.publisher.publish({
      reason_code: 'dataset_import_requested',
      project_id: projectId,
      run_id: runId,
      actor,
      summary: `import ${locator} with ${choice.mapper_id} (${choice.selection}${choice.confidence !== undefined ? `, confidence ${choice.confidence.toFixed(2)}` : ''})`.slice(0, 500),
      payload: {
        locator,
        mapper_id: choice.mapper_id,
        field_map: { ...choice.field_map },
        task_profile: choice.task_profile,
        drop_reasons: [...extra.drop],
        selection: choice.selection,
        ...(choice.confidence !== undefined ? { confidence: choice.confidence } : {}),
        ...(extra.limit ? { limit: extra.limit } : {}),
        ...(extra.save_as ? { save_as: extra.save_as } : {}),
        ...(extra.saved_mapping_id ? { saved_mapping_id: extra.saved_mapping_id } : {}),
      },
    });
    return {
      project_id: projectId,
      run_id: runId,
      event_id: r.event.id,
      choice: summary(choice),
      links: {
        import: `/api/projects/${projectId}/imports/${runId}`,
        stream: `/api/runs/${runId}/stream?project_id=${projectId}`,
      },
    };
  }
}

const summary = (c: MappingChoice) => ({
  mapper_id: c.mapper_id,
  field_map: c.field_map,
  task_profile: c.task_profile,
  selection: c.selection,
  confidence: c.confidence ?? null,
  runners_up: c.hypotheses.slice(0, 3).map((h) => ({ mapper_id: h.mapper_id, confidence: h.confidence })),
});
