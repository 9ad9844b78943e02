import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { DEMO_WORKER_OPTIONS, DemoWorkerService, type DemoWorkerOptions } from './demo-worker.service.js';

@Module({})
export class DemoWorkerModule {
  static forRoot(platform: Omit<PlatformOptions, 'app' | 'database'>, options: DemoWorkerOptions): DynamicModule {
    return {
      module: DemoWorkerModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'demo-worker' })],
      controllers: [HealthController],
      providers: [{ provide: DEMO_WORKER_OPTIONS, useValue: options }, DemoWorkerService],
    };
  }
}
