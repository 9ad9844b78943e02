import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { TRAINER_DEPS, TrainerService, type TrainerDeps } from './trainer.service.js';

@Module({})
export class TrainerModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, deps: TrainerDeps): DynamicModule {
    return {
      module: TrainerModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'trainer' })],
      controllers: [HealthController],
      providers: [{ provide: TRAINER_DEPS, useValue: deps }, TrainerService],
      exports: [TrainerService],
    };
  }
}
