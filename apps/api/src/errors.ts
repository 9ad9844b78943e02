import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import { LowConfidenceError, MappingChoiceError } from '@distillery/importer';
import { InvalidCursorError } from '@distillery/timeline';
import { badRequest } from './validation.js';

/** Known errors (bad cursors, source and mapping errors) become 4xx answers that say what is wrong and where. */
export async function explain<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof InvalidCursorError) throw badRequest([{ field: 'query.cursor', message: 'not a cursor returned by this endpoint' }]);
    if (err instanceof LowConfidenceError) {
      throw new HttpException(
        { error: 'low_confidence', message: err.message, confidence: err.confidence, hypotheses: err.hypotheses },
        HttpStatus.UNPROCESSABLE_ENTITY,
      );
    }
    if (err instanceof MappingChoiceError) throw badRequest([{ field: 'body.mapper', message: err.message }]);
    const e = err as { name?: string; code?: string; message?: string; reasonCode?: string };
    if (e.name === 'LocatorError') throw badRequest([{ field: 'body.locator', message: e.message ?? 'invalid locator' }]);
    if (e.name === 'UnsupportedFormatError') throw new HttpException({ error: 'unsupported_format', message: e.message }, HttpStatus.UNSUPPORTED_MEDIA_TYPE);
    if (e.name === 'SourceIoError') throw new BadRequestException({ error: 'source_unreadable', message: e.message });
    if (e.name === 'SourceUnreachableError') throw new HttpException({ error: 'source_unreachable', message: e.message }, HttpStatus.BAD_GATEWAY);
    throw err;
  }
}

