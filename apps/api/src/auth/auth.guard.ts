import { Injectable, UnauthorizedException, ForbiddenException, type CanActivate, type ExecutionContext, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_OPTIONS, type ApiOptions } from '../api-options.js';
import type { ApiKeyService, Principal } from './api-keys.service.js';
import { decide, isPublicRoute, sameDigest, sha256Hex } from './keys.js';
import { looksLikeJwt, OidcTokenError } from './oidc.js';

export const API_KEYS = Symbol.for('distillery.ApiKeys');

/** The request as the guard leaves it: who is calling. */
export type AuthedRequest = FastifyRequest & { principal?: Principal };

/** The project a request is about: the `projectId` path parameter, else `project_id` in the query or the body. */
function projectOf(req: FastifyRequest): string | undefined {
  const fromPath = (req.params as Record<string, unknown> | undefined)?.['projectId'];
  const fromQuery = (req.query as Record<string, unknown> | undefined)?.['project_id'];
  const fromBody = (req.body as Record<string, unknown> | undefined)?.['project_id'];
  const v = [fromPath, fromQuery, fromBody].find((x) => typeof x === 'string' && x.length > 0);
  return v as string | undefined;
}

/**
 * Every request passes here (a global guard). Public routes pass; with `DISTILLERY_AUTH=disabled` (local development,
 * explicitly) everything passes as `user:anonymous` with admin rights; otherwise the bearer credential must be a live
 * API key, the bootstrap admin key or — when an OIDC issuer is configured — a JWT of that issuer (401 when missing or
 * not valid), and its role on the request's project must be
 * enough for the method (403 naming the role needed).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
    @Inject(API_KEYS) private readonly keys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const method = req.method.toUpperCase();
    const path = (req.url.split('?')[0] ?? '/').replace(/\/+$/, '') || '/';
    if (isPublicRoute(method, path)) return true;
    const auth = this.options.auth;
    if (auth.mode === 'disabled') {
      req.principal = { actor: 'user:anonymous', grants: { '*': 'admin' }, name: 'anonymous' };
      return true;
    }
    const header = req.headers['authorization'];
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (!bearer) throw this.unauthorized(context, 'no credential: send an API key as `Authorization: Bearer <key>`');
    let principal: Principal | undefined;
    if (auth.adminKeySha256 && sameDigest(sha256Hex(bearer), auth.adminKeySha256)) {
      principal = { actor: `user:${auth.adminName}`, grants: { '*': 'admin' }, name: auth.adminName };
    } else if (auth.oidc && looksLikeJwt(bearer)) {
      try {
        principal = await auth.oidc.verify(bearer);
      } catch (err) {
        if (err instanceof OidcTokenError) throw this.unauthorized(context, `the OIDC token is not valid: ${err.message}`, 'invalid_token');
        throw err;
      }
    } else {
      principal = await this.keys.verify(bearer);
    }
    if (!principal) throw this.unauthorized(context, 'the API key is not valid (unknown, revoked or mistyped)');
    const d = decide(principal.grants, method, path, projectOf(req));
    if (!d.allow) throw new ForbiddenException({ error: 'forbidden', message: d.message });
    req.principal = principal;
    return true;
  }

  private unauthorized(context: ExecutionContext, message: string, error?: 'invalid_token'): UnauthorizedException {
    context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', `Bearer realm="distillery"${error ? `, error="${error}"` : ''}`);
    return new UnauthorizedException({ error: 'unauthorized', message });
  }
}
