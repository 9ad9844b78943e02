import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { TRAINING_DEPS, TrainingService, type TrainingDeps } from './training.service.js';

@Module({})
export class TrainingModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, deps: TrainingDeps): DynamicModule {
    return {
      module: TrainingModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'training' })],
      controllers: [HealthController],
      providers: [{ provide: TRAINING_DEPS, useValue: deps }, TrainingService],
      exports: [TrainingService],
    };
  }
}
