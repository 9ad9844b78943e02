import { z } from 'zod';
import { parseConfig } from '@distillery/config';
import { dataConfigShape } from '@distillery/importer';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const apiConfigSchema = z.object({
  ...commonConfigShape,
  ...dataConfigShape,
  PORT: portField(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest page a client may ask for; larger `limit`s are a 400, never a silent cut. */
  API_MAX_PAGE_SIZE: z.coerce.number().int().min(10).max(10_000).default(1_000),
  /**
   * Access control. `required` (the default): every request but health and the API description needs an API key.
   * `disabled`: no checks, every caller is `user:anonymous` — for local development only, and only when set.
   */
  DISTILLERY_AUTH: z.enum(['required', 'disabled']).default('required'),
  /** A bootstrap key accepted as admin of every project (first setup, CI); at least 24 characters. */
  DISTILLERY_ADMIN_KEY: z.string().min(24, 'at least 24 characters (generate one: openssl rand -base64 32)').optional(),
  /** The actor name the bootstrap key acts as (`user:<name>`). */
  DISTILLERY_ADMIN_NAME: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits, _ . @ -').default('admin'),
  /**
   * OIDC: also accept JWTs from this issuer (its `iss`, exactly; keys discovered at
   * `<issuer>/.well-known/openid-configuration`), for this audience, with roles in DISTILLERY_OIDC_ROLES_CLAIM.
   */
  DISTILLERY_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'an http(s) URL (the issuer, as its tokens name it)' }).optional(),
  DISTILLERY_OIDC_AUDIENCE: z.string().min(1).optional(),
  DISTILLERY_OIDC_ROLES_CLAIM: z.string().min(1).default('distillery_roles'),
  /** Where the issuer's keys are, when discovery is not available. */
  DISTILLERY_OIDC_JWKS_URI: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
}).superRefine((c, ctx) => {
  if (c.DISTILLERY_OIDC_ISSUER && !c.DISTILLERY_OIDC_AUDIENCE) {
    ctx.addIssue({ code: 'custom', path: ['DISTILLERY_OIDC_AUDIENCE'], message: 'required with DISTILLERY_OIDC_ISSUER (the aud your tokens carry for this API)' });
  }
  if (!c.DISTILLERY_OIDC_ISSUER && (c.DISTILLERY_OIDC_AUDIENCE || c.DISTILLERY_OIDC_JWKS_URI)) {
    ctx.addIssue({ code: 'custom', path: ['DISTILLERY_OIDC_ISSUER'], message: 'required when DISTILLERY_OIDC_AUDIENCE or DISTILLERY_OIDC_JWKS_URI is set' });
  }
});
export type ApiConfig = z.output<typeof apiConfigSchema>;

export const parseApiConfig = (env?: Record<string, string | undefined>): ApiConfig => parseConfig('api', apiConfigSchema, env);
