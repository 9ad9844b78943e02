import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController, PlatformModule, type PlatformOptions } from '@distillery/platform-nest';
import { DEPLOYMENT_DEPS, DeploymentService, type DeploymentDeps } from './deployment.service.js';

@Module({})
export class DeploymentModule {
  static forRoot(platform: Omit<PlatformOptions, 'app'>, deps: DeploymentDeps): DynamicModule {
    return {
      module: DeploymentModule,
      imports: [PlatformModule.forRoot({ ...platform, app: 'deployment' })],
      controllers: [HealthController],
      providers: [{ provide: DEPLOYMENT_DEPS, useValue: deps }, DeploymentService],
      exports: [DeploymentService],
    };
  }
}
