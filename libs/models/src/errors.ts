/** Stable error codes of this lib (`as const` map, STYLE naming table). */
export const MODEL_ERROR_CODES = {
  safetensors: 'MODELS.SAFETENSORS_INVALID',
  unsupported: 'MODELS.UNSUPPORTED_MODEL',
  config: 'MODELS.CONFIG_INVALID',
  weights: 'MODELS.WEIGHTS_MISMATCH',
  locator: 'MODELS.INVALID_LOCATOR',
  unreachable: 'MODELS.HUB_UNREACHABLE',
  io: 'MODELS.IO_ERROR',
  tokenizer: 'MODELS.TOKENIZER_INVALID',
} as const;
export type ModelErrorCode = (typeof MODEL_ERROR_CODES)[keyof typeof MODEL_ERROR_CODES];

/** Base of every error this lib throws on purpose; `code` is stable (callers and tests switch on it). */
export abstract class ModelError extends Error {
  abstract readonly code: ModelErrorCode;
}

/** A safetensors file (or a sharded checkpoint's index) is malformed, or a tensor cannot be read as asked. */
export class SafetensorsError extends ModelError {
  readonly code = MODEL_ERROR_CODES.safetensors;
  constructor(
    message: string,
    /** The file involved (a path, or `<memory>` for a buffer). */
    readonly file: string,
    /** The tensor involved, when one is. */
    readonly tensor?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SafetensorsError';
  }
}

/** config.json describes something this lib does not support: `field` and `value` say what. */
export class UnsupportedModelError extends ModelError {
  readonly code = MODEL_ERROR_CODES.unsupported;
  constructor(
    message: string,
    readonly field: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}

/** config.json (or another JSON file of a model folder) is malformed: a field is missing, of the wrong type or inconsistent. */
export class ModelConfigError extends ModelError {
  readonly code = MODEL_ERROR_CODES.config;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/** The weights do not match the config; `problems` lists every missing, unexpected and mis-shaped tensor. */
export class WeightsMismatchError extends ModelError {
  readonly code = MODEL_ERROR_CODES.weights;
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'WeightsMismatchError';
  }
}

export class ModelLocatorError extends ModelError {
  readonly code = MODEL_ERROR_CODES.locator;
  constructor(
    message: string,
    readonly locator: string,
  ) {
    super(message);
    this.name = 'ModelLocatorError';
  }
}

/** The Hub could not be reached or refused a request; `status` is the HTTP status when there was one. */
export class HubUnreachableError extends ModelError {
  readonly code = MODEL_ERROR_CODES.unreachable;
  constructor(
    message: string,
    readonly host: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubUnreachableError';
  }
}

/** Reading or writing a model file failed: missing file, truncated or corrupt download, full disk. */
export class ModelIoError extends ModelError {
  readonly code = MODEL_ERROR_CODES.io;
  constructor(
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelIoError';
  }
}

/** tokenizer.json / tokenizer_config.json cannot be used, or a chat template failed to render. */
export class TokenizerError extends ModelError {
  readonly code = MODEL_ERROR_CODES.tokenizer;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenizerError';
  }
}

export const isAbortError = (err: unknown): boolean => (err as { name?: string } | undefined)?.name === 'AbortError';
