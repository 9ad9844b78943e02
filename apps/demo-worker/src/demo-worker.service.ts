import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { RunEventOf } from '@distillery/contracts';
import { planDemoRun } from '@distillery/demo-run';
import type { ConsumerHost, EventLog, EventPublisher, HandlerContext, Logger } from '@distillery/eventlog';
import { EVENT_LOG, LOGGER, PUBLISHER } from '@distillery/platform-nest';

export const DEMO_WORKER_OPTIONS = Symbol.for('distillery.DemoWorkerOptions');
export interface DemoWorkerOptions {
  readonly stepDelayMs: number;
}

/** Handles `demo_run_requested`: publishes the planned steps of a demo run, each idempotently. */
@Injectable()
export class DemoWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: ConsumerHost;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DEMO_WORKER_OPTIONS) private readonly options: DemoWorkerOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.host = this.log
      .consumerHost(this.publisher, this.logger)
      .register('demo-worker', 'demo_run_requested', (event, ctx) =>
        this.run(event as RunEventOf<'demo_run_requested'>, ctx),
      );
    await this.host.start();
    this.logger.info('demo-worker consuming demo_run_requested');
  }

  async run(request: RunEventOf<'demo_run_requested'>, ctx: HandlerContext): Promise<void> {
    for (const step of planDemoRun(request)) {
      await ctx.publish(step.draft, { dedupKey: step.dedupKey });
      if (this.options.stepDelayMs > 0) await new Promise((r) => setTimeout(r, this.options.stepDelayMs));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.host?.stop();
  }
}
