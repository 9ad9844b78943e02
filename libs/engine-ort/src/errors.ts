/** Stable error codes of the ort engine (`as const` map, STYLE naming table). */
export const ENGINE_ERROR_CODES = {
  oom: 'ENGINE.OOM',
  runtime: 'ENGINE.RUNTIME',
  config: 'ENGINE.CONFIG_INVALID',
  checkpoint: 'ENGINE.CHECKPOINT_INVALID',
} as const;
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[keyof typeof ENGINE_ERROR_CODES];

/** Base of every error the engine throws on purpose; `code` is stable (the trainer maps it to a RunEvent reason). */
export abstract class EngineError extends Error {
  abstract readonly code: EngineErrorCode;
}

/** onnxruntime could not allocate memory: the trainer reports `training_oom` (smaller batch or sequence bucket). */
export class EngineOomError extends EngineError {
  readonly code = ENGINE_ERROR_CODES.oom;
  constructor(
    message: string,
    /** What the engine was doing: e.g. `step 12 (train 8x128)`. */
    readonly during: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineOomError';
  }
}

/** Any other onnxruntime failure; `op` and `node` name the failing node when onnxruntime says which. */
export class EngineRuntimeError extends EngineError {
  readonly code = ENGINE_ERROR_CODES.runtime;
  constructor(
    message: string,
    readonly during: string,
    readonly op?: string,
    readonly node?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineRuntimeError';
  }
}

/** The run options, a batch, a state or an export request do not fit the model (`field` says which part). */
export class EngineConfigError extends EngineError {
  readonly code = ENGINE_ERROR_CODES.config;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'EngineConfigError';
  }
}

/** A checkpoint's bytes are not an ort-engine checkpoint, or do not match the run they are restored into. */
export class EngineCheckpointError extends EngineError {
  readonly code = ENGINE_ERROR_CODES.checkpoint;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineCheckpointError';
  }
}

/** Messages of onnxruntime (and of the C++ runtime under it) that mean an allocation failed. */
const OOM_PATTERNS = [/failed to allocate memory/i, /bad_alloc/i, /out of memory/i, /\bOOM\b/, /cannot allocate memory/i, /allocation of .* failed/i];

/** `Non-zero status code returned while running Gemm node. Name:'Gemm_12' Status Message: …` */
const NODE_PATTERN = /running (\w+) node\. Name:'([^']*)'/;

/**
 * Maps an error thrown by onnxruntime-node to an engine error: an allocation failure becomes `EngineOomError`,
 * anything else `EngineRuntimeError` with the op and node when the message names them. Engine errors pass through.
 */
export function mapOrtError(err: unknown, during: string): EngineError {
  if (err instanceof EngineError) return err;
  const text = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && /array buffer allocation|invalid typed array length|array length/i.test(text)) {
    return new EngineOomError(`out of memory during ${during}: ${text}`, during, { cause: err });
  }
  if (OOM_PATTERNS.some((p) => p.test(text))) return new EngineOomError(`out of memory during ${during}: ${text}`, during, { cause: err });
  const node = NODE_PATTERN.exec(text);
  const op = node?.[1];
  const where = op !== undefined ? ` in op ${op} (node ${node?.[2] ?? '?'})` : '';
  return new EngineRuntimeError(`onnxruntime failed during ${during}${where}: ${text}`, during, op, node?.[2], { cause: err });
}
