import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { DATABASE, HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import type { DatabaseHandle } from '@distillery/db';
import { ApiKeyService } from './auth/api-keys.service.js';
import { API_KEYS, AuthGuard } from './auth/auth.guard.js';
import { KeysController } from './keys.controller.js';
import type { ImporterDeps } from '@distillery/importer';
import { API_OPTIONS, IMPORTER, type ApiOptions } from './api-options.js';
import { DatasetsController } from './datasets.controller.js';
import { TrainingController } from './training.controller.js';
import { EvaluationsController } from './evaluations.controller.js';
import { ExportsController } from './exports.controller.js';
import { DeploymentsController } from './deployments.controller.js';
import { ImportsController } from './imports.controller.js';
import { DemoRunsController } from './demo-runs.controller.js';
import { FailureClustersController } from './failure-clusters.controller.js';
import { JournalController } from './journal.controller.js';
import { MetaController } from './meta.controller.js';
import { RunsController } from './runs.controller.js';
import { SupportBundlesController } from './support-bundles.controller.js';
import { TraceInterceptor } from './trace.interceptor.js';

@Module({})
export class ApiModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, options: ApiOptions, importer: ImporterDeps): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'api' })],
      controllers: [HealthController, RunsController, DemoRunsController, MetaController, ImportsController, DatasetsController, TrainingController, EvaluationsController, ExportsController, DeploymentsController, FailureClustersController, JournalController, SupportBundlesController, KeysController],
      providers: [
        { provide: API_OPTIONS, useValue: options },
        { provide: IMPORTER, useValue: importer },
        { provide: APP_INTERCEPTOR, useClass: TraceInterceptor },
        { provide: API_KEYS, useFactory: (db: DatabaseHandle) => new ApiKeyService(db), inject: [DATABASE] },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
