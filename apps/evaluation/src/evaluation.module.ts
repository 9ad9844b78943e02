import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { EVALUATION_DEPS, EvaluationService, type EvaluationDeps } from './evaluation.service.js';

@Module({})
export class EvaluationModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, deps: EvaluationDeps): DynamicModule {
    return {
      module: EvaluationModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'evaluation' })],
      controllers: [HealthController],
      providers: [{ provide: EVALUATION_DEPS, useValue: deps }, EvaluationService],
      exports: [EvaluationService],
    };
  }
}
