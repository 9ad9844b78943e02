import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { openDatabase, type DatabaseHandle, type DatabaseOptions } from '@distillery/db';
import { EventLog, type EventPublisher, type Logger, type Topology } from '@distillery/eventlog';
import { APP_INFO, DATABASE, EVENT_LOG, LOGGER, PUBLISHER, type AppInfo } from './tokens.js';

export interface PlatformOptions {
  readonly app: string;
  readonly version: string;
  readonly logger: Logger;
  /** A connection shared with other apps of the same process (`distillery up`), or how to open one. */
  readonly eventLog: EventLog | { url: string; topology?: Topology };
  /** Omit for apps without a database. A shared handle is not closed by this module. */
  readonly database?: DatabaseHandle | DatabaseOptions;
}

const isHandle = (d: PlatformOptions['database']): d is DatabaseHandle => !!d && 'db' in d && 'check' in d;

@Injectable()
class ResourceCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject('OWNED') private readonly owned: { log: boolean; db: DatabaseHandle | null },
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.owned.db) await this.owned.db.close();
    if (this.owned.log) await this.log.close();
  }
}

/** Config-free wiring of the event log, publisher, database and logger for one app. */
@Module({})
export class PlatformModule {
  static forRoot(opts: PlatformOptions): DynamicModule {
    const owned = { log: !(opts.eventLog instanceof EventLog), db: null as DatabaseHandle | null };
    const providers = [
      { provide: APP_INFO, useValue: { app: opts.app, version: opts.version } satisfies AppInfo },
      { provide: LOGGER, useValue: opts.logger },
      { provide: 'OWNED', useValue: owned },
      {
        provide: EVENT_LOG,
        useFactory: async () =>
          opts.eventLog instanceof EventLog
            ? opts.eventLog
            : EventLog.connect({ url: opts.eventLog.url, name: `distillery-${opts.app}`, topology: opts.eventLog.topology }),
      },
      {
        provide: PUBLISHER,
        useFactory: (log: EventLog): EventPublisher => log.publisher({ app: opts.app, version: opts.version }),
        inject: [EVENT_LOG],
      },
      {
        provide: DATABASE,
        useFactory: async (): Promise<DatabaseHandle | null> => {
          if (!opts.database) return null;
          if (isHandle(opts.database)) return opts.database;
          owned.db = await openDatabase(opts.database);
          return owned.db;
        },
      },
      ResourceCloser,
    ];
    return { module: PlatformModule, global: true, providers, exports: [APP_INFO, LOGGER, EVENT_LOG, PUBLISHER, DATABASE] };
  }
}
