/** Stable error codes of the inference layer (`as const` map, STYLE naming table). */
export const INFERENCE_ERROR_CODES = {
  request: 'INFERENCE.REQUEST_INVALID',
  adapter: 'INFERENCE.ADAPTER_INVALID',
  closed: 'INFERENCE.MODEL_CLOSED',
} as const;
export type InferenceErrorCode = (typeof INFERENCE_ERROR_CODES)[keyof typeof INFERENCE_ERROR_CODES];

/**
 * Base of every error this lib throws on purpose. onnxruntime failures are libs/engine-ort's `EngineOomError` /
 * `EngineRuntimeError` (same mapping as training); model folder problems are libs/models' errors.
 */
export abstract class InferenceError extends Error {
  abstract readonly code: InferenceErrorCode;
}

/** A generation or scoring request that cannot run: `field` names the option or input at fault. */
export class InferenceRequestError extends InferenceError {
  readonly code = INFERENCE_ERROR_CODES.request;
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'InferenceRequestError';
  }
}

/** A PEFT adapter folder that cannot be merged into the model: `file` and (when one is at fault) `field`. */
export class AdapterError extends InferenceError {
  readonly code = INFERENCE_ERROR_CODES.adapter;
  constructor(
    message: string,
    readonly file: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AdapterError';
  }
}

/** The model was closed: its sessions are released. */
export class ModelClosedError extends InferenceError {
  readonly code = INFERENCE_ERROR_CODES.closed;
  constructor() {
    super('the model is closed');
    this.name = 'ModelClosedError';
  }
}
