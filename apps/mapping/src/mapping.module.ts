import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { MAPPING_DEPS, MappingService, type MappingDeps } from './mapping.service.js';

@Module({})
export class MappingModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, deps: MappingDeps): DynamicModule {
    return {
      module: MappingModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'mapping' })],
      controllers: [HealthController],
      providers: [{ provide: MAPPING_DEPS, useValue: deps }, MappingService],
      exports: [MappingService],
    };
  }
}
