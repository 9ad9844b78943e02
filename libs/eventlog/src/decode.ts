import { createHash } from 'node:crypto';
import { validateRunEvent, type RunEvent } from '@distillery/contracts';

export type Decoded =
  | { readonly ok: true; readonly event: RunEvent }
  | { readonly ok: false; readonly errors: string[]; readonly rawBytes: number; readonly rawSha256: string; readonly rawExcerpt: string };

const EXCERPT_BYTES = 2048;

/** Decodes and validates one message body. Never throws: a bad message becomes a description of what is wrong. */
export function decodeRunEvent(data: Uint8Array): Decoded {
  let parsed: unknown;
  let errors: string[];
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
    const v = validateRunEvent(parsed);
    if (v.ok) return { ok: true, event: v.value };
    errors = v.errors;
  } catch (err) {
    errors = [`body is not UTF-8 JSON: ${(err as Error).message}`];
  }
  return {
    ok: false,
    errors,
    rawBytes: data.byteLength,
    rawSha256: createHash('sha256').update(data).digest('hex'),
    rawExcerpt: new TextDecoder('utf-8').decode(data.subarray(0, EXCERPT_BYTES)),
  };
}
