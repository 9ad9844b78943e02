import type { ArtifactRef, PayloadOf } from '@distillery/contracts';

export type SmokeResult = NonNullable<PayloadOf<'export_completed'>['smoke']>;
export type ParityResult = NonNullable<PayloadOf<'export_completed'>['parity']>;

/** A request that cannot be served as given (unknown format, a peft export of a full fine-tune): `export_run_failed`. */
export class ExportRequestError extends Error {
  readonly code = 'EXPORT.REQUEST_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ExportRequestError';
  }
}

/** The model bundle, one of its files, the base model or the gold prompts are not there: `export_artifact_missing`. */
export class ExportArtifactMissingError extends Error {
  readonly code = 'EXPORT.ARTIFACT_MISSING';
  constructor(
    readonly missing: string,
    options?: ErrorOptions,
  ) {
    super(missing, options);
    this.name = 'ExportArtifactMissingError';
  }
}

/** The requested quantization cannot apply (unknown type, not a gguf export, no tensor can take it): `export_quantization_failed`. */
export class ExportQuantizationError extends Error {
  readonly code = 'EXPORT.QUANTIZATION_FAILED';
  constructor(
    readonly quantization: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ExportQuantizationError';
  }
}

/** The bundle was written but does not load, generates nothing, or never stops: `export_run_failed` with the smoke result. */
export class ExportSmokeError extends Error {
  readonly code = 'EXPORT.SMOKE_FAILED';
  constructor(
    readonly smoke: SmokeResult,
    readonly bundle_ref: ArtifactRef,
  ) {
    super(`smoke check failed: ${smoke.detail}`);
    this.name = 'ExportSmokeError';
  }
}

/** The first prompt on which the export and the trained model disagree, with both outputs. */
export interface ParityMismatch {
  readonly prompt_index: number;
  readonly row_id: string;
  readonly prompt: string;
  readonly expected: string;
  readonly actual: string;
}

/** The export does not reproduce the trained model within tolerance: `export_parity_failed`. */
export class ExportParityError extends Error {
  readonly code = 'EXPORT.PARITY_FAILED';
  constructor(
    readonly parity: ParityResult,
    readonly mismatch: ParityMismatch | undefined,
    readonly bundle_ref: ArtifactRef,
  ) {
    super(`parity check failed: ${parity.detail}`);
    this.name = 'ExportParityError';
  }
}
