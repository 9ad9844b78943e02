import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { PREPARATION_DEPS, PreparationService, type PreparationDeps } from './preparation.service.js';

@Module({})
export class PreparationModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, deps: PreparationDeps): DynamicModule {
    return {
      module: PreparationModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'preparation' })],
      controllers: [HealthController],
      providers: [{ provide: PREPARATION_DEPS, useValue: deps }, PreparationService],
      exports: [PreparationService],
    };
  }
}
