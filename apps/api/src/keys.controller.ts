import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { ProjectId } from '@distillery/contracts';
import type { EventPublisher } from '@distillery/eventlog';
import { PUBLISHER } from '@distillery/platform-nest';
import { RequestActor } from './auth/actor.decorator.js';
import type { ApiKeyService } from './auth/api-keys.service.js';
import { API_KEYS } from './auth/auth.guard.js';
import { ROLES } from './auth/keys.js';
import { parseRequest } from './validation.js';

const createKeyBody = z
  .object({
    /** Who or what uses the key: its events are attributed to `user:<name>`. */
    name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'a name of 1-64 letters, digits, _ . @ - (it becomes the actor user:<name>)'),
    /** Roles per project id, `*` for every project: `{ "support": "engineer", "*": "viewer" }`. */
    roles: z.record(z.union([ProjectId, z.literal('*')]), z.enum(ROLES)).refine((r) => Object.keys(r).length > 0, 'at least one grant, e.g. { "*": "viewer" }'),
  })
  .strict();
const keyParams = z.object({ keyId: z.string().regex(/^[0-9a-f]{12}$/, 'a key id: 12 hex digits (the part after dk_)') });

/**
 * API keys (admin only). A key is shown once, in the answer that creates it; only its hash is stored. Creating and
 * revoking are RunEvents (`api_key_created`, `api_key_revoked`) that never carry the key.
 */
@Controller('api/keys')
export class KeysController {
  constructor(
    @Inject(API_KEYS) private readonly keys: ApiKeyService,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @RequestActor() actor: string) {
    const b = parseRequest(createKeyBody, body, 'body');
    const { info, key } = await this.keys.create(b.name, b.roles, actor);
    await this.publisher.publish({ reason_code: 'api_key_created', project_id: 'system', run_id: 'api-keys', actor, summary: `API key ${info.key_id} created for ${info.name}`, payload: { key_id: info.key_id, name: info.name, roles: info.roles } });
    return { ...info, key, note: 'the key is shown once: store it now' };
  }

  @Get()
  async list() {
    return { items: await this.keys.list() };
  }

  @Delete(':keyId')
  async revoke(@Param() params: unknown, @RequestActor() actor: string) {
    const { keyId } = parseRequest(keyParams, params, 'path');
    const info = await this.keys.revoke(keyId);
    if (!info) throw new NotFoundException({ error: 'not_found', message: `no API key ${keyId}` });
    await this.publisher.publish({ reason_code: 'api_key_revoked', project_id: 'system', run_id: 'api-keys', actor, summary: `API key ${info.key_id} (${info.name}) revoked`, payload: { key_id: info.key_id, name: info.name } });
    return info;
  }
}
