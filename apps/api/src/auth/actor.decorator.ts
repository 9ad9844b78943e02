import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthedRequest } from './auth.guard.js';

/** The caller as a RunEvent actor (`user:<key name>`), set by the AuthGuard; what every mutating request publishes. */
export const RequestActor = createParamDecorator((_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<AuthedRequest>().principal?.actor ?? 'user:anonymous');

/** The caller's principal (the keys endpoints record who created a key). */
export const RequestPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthedRequest>().principal);
