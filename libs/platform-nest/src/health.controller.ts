import { Controller, Get, HttpCode, HttpException, HttpStatus, Inject, Optional } from '@nestjs/common';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog } from '@distillery/eventlog';
import { APP_INFO, DATABASE, EVENT_LOG, type AppInfo } from './tokens.js';

/** Liveness (the process answers) and readiness (NATS and, where the app has one, the database answer). */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(APP_INFO) private readonly info: AppInfo,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Optional() @Inject(DATABASE) private readonly db: DatabaseHandle | null,
  ) {}

  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'ok', app: this.info.app, version: this.info.version };
  }

  @Get('ready')
  async ready() {
    const checks: Record<string, { ok: boolean; detail: string }> = { nats: await this.log.check() };
    if (this.db) checks['database'] = await this.db.check();
    const ok = Object.values(checks).every((c) => c.ok);
    const body = { status: ok ? 'ready' : 'not_ready', app: this.info.app, checks };
    if (!ok) throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
