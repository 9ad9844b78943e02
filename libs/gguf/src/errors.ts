/** Stable error codes of this lib (`as const` map, STYLE naming table). */
export const GGUF_ERROR_CODES = {
  format: 'GGUF.FORMAT_INVALID',
  unsupported: 'GGUF.UNSUPPORTED',
  io: 'GGUF.IO_ERROR',
} as const;
export type GgufErrorCode = (typeof GGUF_ERROR_CODES)[keyof typeof GGUF_ERROR_CODES];

/** Base of every error this lib throws on purpose; `code` is stable (callers and tests switch on it). */
export abstract class GgufError extends Error {
  abstract readonly code: GgufErrorCode;
}

/** A GGUF file is malformed (or is not GGUF at all): `file` and, when known, the byte `offset` say where. */
export class GgufFormatError extends GgufError {
  readonly code = GGUF_ERROR_CODES.format;
  constructor(
    message: string,
    readonly file: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'GgufFormatError';
  }
}

/**
 * What was asked cannot be written or read faithfully: a tensor type, a tokenizer kind, a metadata value.
 * `field` names the thing (`tensor_type`, `tokenizer.pre_tokenizer`, …), `value` what was found.
 */
export class GgufUnsupportedError extends GgufError {
  readonly code = GGUF_ERROR_CODES.unsupported;
  constructor(
    message: string,
    readonly field: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'GgufUnsupportedError';
  }
}

/** Reading or writing a file failed (`path`); the system error is the `cause`. */
export class GgufIoError extends GgufError {
  readonly code = GGUF_ERROR_CODES.io;
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GgufIoError';
  }
}
