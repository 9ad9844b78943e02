import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** Parses request input; a bad request is a 400 that names every bad field and says what was expected. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: 'query' | 'body' | 'path'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const keys = i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys : undefined;
    const field = [where, ...i.path.map(String)].join('.');
    return keys?.length
      ? { field: keys.map((k) => `${where}.${k}`).join(', '), message: 'unknown parameter' }
      : { field, message: i.message };
  });
  throw badRequest(issues);
}

export function badRequest(issues: ReadonlyArray<{ field: string; message: string }>): BadRequestException {
  return new BadRequestException({
    error: 'validation_failed',
    message: issues.map((i) => `${i.field}: ${i.message}`).join('; '),
    issues,
  });
}
