/** Stable error codes of the autodiff library (`as const` map, STYLE §naming). */
export const AutodiffErrorCodes = {
  SHAPE_MISMATCH: 'AUTODIFF.SHAPE_MISMATCH',
  DTYPE_MISMATCH: 'AUTODIFF.DTYPE_MISMATCH',
  INVALID_ARGUMENT: 'AUTODIFF.INVALID_ARGUMENT',
  NO_GRADIENT: 'AUTODIFF.NO_GRADIENT',
  GRAPH_MISMATCH: 'AUTODIFF.GRAPH_MISMATCH',
  DUPLICATE_NAME: 'AUTODIFF.DUPLICATE_NAME',
} as const;
export type AutodiffErrorCode = (typeof AutodiffErrorCodes)[keyof typeof AutodiffErrorCodes];

/** Every error thrown while building, differentiating or serializing a graph. `op` names the op when there is one. */
export class AutodiffError extends Error {
  constructor(
    readonly code: AutodiffErrorCode,
    message: string,
    readonly op?: string,
  ) {
    super(op === undefined ? message : `${op}: ${message}`);
    this.name = 'AutodiffError';
  }
}

/** Shape inference failed: the message names the op and the shapes that do not fit. */
export class ShapeError extends AutodiffError {
  constructor(op: string, message: string) {
    super(AutodiffErrorCodes.SHAPE_MISMATCH, message, op);
    this.name = 'ShapeError';
  }
}
