import type { Stage } from './primitives.js';
import type { ReasonCode } from './reason-codes.js';

/**
 * Subject layout of the RunEvent stream: `<prefix>.<project_id>.<run_id>.<stage>.<reason_code>`.
 * Services filter on `<prefix>.*.*.<stage>.<code>`, a run's history is `<prefix>.*.<run_id>.>`.
 * Project and run ids are validated to be subject-safe tokens.
 */
export const DEFAULT_SUBJECT_PREFIX = 'runevents';

export interface SubjectParts {
  readonly project_id: string;
  readonly run_id: string;
  readonly stage: Stage;
  readonly reason_code: ReasonCode;
}

export const eventSubject = (prefix: string, e: SubjectParts): string =>
  `${prefix}.${e.project_id}.${e.run_id}.${e.stage}.${e.reason_code}`;

export const codeFilter = (prefix: string, stage: Stage, code: ReasonCode): string => `${prefix}.*.*.${stage}.${code}`;
export const runFilter = (prefix: string, runId: string, projectId = '*'): string => `${prefix}.${projectId}.${runId}.>`;
export const projectFilter = (prefix: string, projectId: string): string => `${prefix}.${projectId}.>`;
export const allFilter = (prefix: string): string => `${prefix}.>`;

/** Best-effort split of a subject back into tokens (used when a message is too broken to parse). */
export function parseSubject(prefix: string, subject: string): Partial<Record<'project_id' | 'run_id' | 'stage' | 'reason_code', string>> {
  if (!subject.startsWith(`${prefix}.`)) return {};
  const [project_id, run_id, stage, reason_code] = subject.slice(prefix.length + 1).split('.');
  return { project_id, run_id, stage, reason_code };
}
