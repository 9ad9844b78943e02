import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { PROJECTOR_OPTIONS, ProjectorService, type ProjectorOptions } from './projector.service.js';

@Module({})
export class ProjectorModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, options: ProjectorOptions): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'projector' })],
      controllers: [HealthController],
      providers: [{ provide: PROJECTOR_OPTIONS, useValue: options }, ProjectorService],
      exports: [ProjectorService],
    };
  }
}
