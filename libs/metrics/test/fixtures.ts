import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads a reference fixture (see fixtures/README.md for where each one comes from). */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as T;
}

/** Reference values are doubles from Python; 12 decimals absorbs summation-order differences and nothing else. */
export const PLACES = 12;
