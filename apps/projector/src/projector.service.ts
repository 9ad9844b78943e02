import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DatabaseHandle } from '@distillery/db';
import type { EventLog, EventPublisher, Logger } from '@distillery/eventlog';
import { DATABASE, EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';
import { ProjectionRunner } from '@distillery/projection-runtime';
import type { FileArtifactStore } from '@distillery/artifacts';
import { projections } from './projections.js';

export const PROJECTOR_OPTIONS = Symbol.for('distillery.ProjectorOptions');
export interface ProjectorOptions {
  readonly batchSize: number;
  /** The workspace artifact store (row lineage reads the rows the events reference). */
  readonly artifacts: FileArtifactStore;
}

/** Runs one ProjectionRunner per read model; each keeps its own checkpoint. */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly runners: Map<string, ProjectionRunner>;

  constructor(
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(DATABASE) db: DatabaseHandle,
    @Inject(PUBLISHER) publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(PROJECTOR_OPTIONS) options: ProjectorOptions,
  ) {
    this.runners = new Map(
      Object.values(projections({ artifacts: options.artifacts, logger })).map((p) => [
        p.name,
        new ProjectionRunner(p, {
          log,
          db: db.db,
          schema: db.schema,
          logger,
          batchSize: options.batchSize,
          traceEvents: true,
          // Only the timeline runner dead-letters invalid messages, so each one is reported once by the projector.
          publisher: p.name === 'timeline' ? publisher : undefined,
        }),
      ]),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const r of this.runners.values()) await r.start();
    this.logger.info('projector running', { projections: [...this.runners.keys()] });
  }

  /** Resolves once every projection has applied the log up to `seq`. */
  async waitFor(seq: number, timeoutMs?: number): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.waitFor(seq, timeoutMs)));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
  }
}
