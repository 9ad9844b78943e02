import type { ShapeHypothesis } from '@distillery/contracts';

/** The caller's choice of mapping cannot be used (unknown mapper, missing roles, unknown columns). */
export class MappingChoiceError extends Error {
  readonly code = 'IMPORT.MAPPING_INVALID';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.name = 'MappingChoiceError';
  }
}

/** `--auto` found no mapping confident enough (< 0.80): the user must choose, or force. */
export class LowConfidenceError extends Error {
  readonly code = 'IMPORT.LOW_CONFIDENCE';
  constructor(
    readonly confidence: number,
    readonly hypotheses: readonly ShapeHypothesis[],
  ) {
    const top = hypotheses[0];
    super(
      top
        ? `the best mapping (${top.mapper_id}, confidence ${top.confidence.toFixed(2)}) is below the 0.80 auto-import bar; ` +
            'choose a mapper explicitly (--mapper / "mapper") or pass --force / "force": true to import it anyway'
        : 'no mapper fits this source; choose one explicitly with a field map',
    );
    this.name = 'LowConfidenceError';
  }
}

/** The project's dataset already has another task profile. */
export class TaskProfileMismatchError extends Error {
  readonly code = 'IMPORT.TASK_PROFILE_MISMATCH';
  constructor(project: string, existing: string, requested: string, mapper: string) {
    super(`project ${project} holds a ${existing} dataset; mapper ${mapper} produces ${requested} rows — use a new project`);
    this.name = 'TaskProfileMismatchError';
  }
}
