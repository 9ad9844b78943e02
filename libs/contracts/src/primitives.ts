import { z } from 'zod';

/** Stages of the lifecycle. Each reason code belongs to exactly one. */
export const STAGES = [
  'ingestion',
  'cleaning',
  'preparation',
  'training',
  'eval',
  'export',
  'deployment',
  'system',
  'demo',
] as const;
export type Stage = (typeof STAGES)[number];

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, error: 2, critical: 3 };

/**
 * Identifiers that appear as NATS subject tokens (project and run ids) must be subject-safe:
 * no dots, spaces or wildcards. `exp-42`, `import-0193…`, `deploy-7` are fine.
 */
export const SUBJECT_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_:-]{0,127}$/;
export const subjectToken = (what: string) =>
  z
    .string()
    .regex(SUBJECT_TOKEN, `${what} must be 1-128 chars of letters, digits, '_', ':' or '-' (no dots or spaces)`);

export const ProjectId = subjectToken('project_id');
export const RunId = subjectToken('run_id');

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const EventId = z.string().regex(UUID_V7, 'must be a lowercase UUIDv7');

export const Actor = z
  .string()
  .regex(/^(user|service):[A-Za-z0-9_.@:-]{1,128}$/, "actor must look like 'user:<id>' or 'service:<name>'");

/** A reference to a blob in the content-addressed artifact store. Events carry references, never bulk. */
export const ArtifactRef = z.object({
  uri: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex chars'),
  bytes: z.number().int().nonnegative(),
  media_type: z.string().min(1),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;

/** What every failure event carries, so the failure-cluster projection can group by it. */
export const FailureInfo = z.object({
  error_class: z.string().min(1),
  message: z.string(),
  fingerprint: z.string().optional(),
  exit_code: z.number().int().optional(),
  log_ref: ArtifactRef.optional(),
});
export type FailureInfo = z.infer<typeof FailureInfo>;

/** The platform version stamped into every RunEvent's `producer` (`<app>@<version>`). Kept equal to package.json. */
export const DISTILLERY_VERSION = '0.1.0';
