import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { EXPORT_DEPS, ExportService } from './export.service.js';
import type { ExportDeps } from './export-job.js';

@Module({})
export class ExportModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, deps: ExportDeps): DynamicModule {
    return {
      module: ExportModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'export' })],
      controllers: [HealthController],
      providers: [{ provide: EXPORT_DEPS, useValue: deps }, ExportService],
      exports: [ExportService],
    };
  }
}
