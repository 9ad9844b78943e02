import { detectCards, detectEmails, detectIbans, detectIps, detectNationalIds, detectPhones } from './detectors.js';
import { detectSecrets } from './secrets.js';
import { PII_KINDS, type PiiCandidate, type PiiDetectOptions, type PiiFinding, type PiiKind } from './types.js';

/** Which detector finds which kinds. */
const DETECTORS: ReadonlyArray<{ readonly kinds: readonly PiiKind[]; readonly run: (text: string) => PiiCandidate[] }> = [
  { kinds: ['email'], run: detectEmails },
  { kinds: ['phone'], run: detectPhones },
  { kinds: ['credit_card'], run: detectCards },
  { kinds: ['iban'], run: detectIbans },
  { kinds: ['ip_address'], run: detectIps },
  { kinds: ['us_ssn', 'uk_nhs_number', 'fr_nir'], run: detectNationalIds },
  { kinds: ['api_key', 'jwt', 'private_key', 'secret'], run: detectSecrets },
];

/** Tie-break between overlapping candidates of equal confidence: the more specific kind wins. */
const KIND_PRIORITY: Readonly<Record<PiiKind, number>> = {
  private_key: 12,
  jwt: 11,
  api_key: 10,
  credit_card: 9,
  iban: 8,
  fr_nir: 7,
  us_ssn: 6,
  uk_nhs_number: 5,
  email: 4,
  ip_address: 3,
  phone: 2,
  secret: 1,
};

export const DEFAULT_MIN_CONFIDENCE = 0.5;

/**
 * Keeps a non-overlapping subset: highest confidence first, then the more specific kind, then the longer match, then
 * the earlier one. Returned in text order.
 */
export function resolveOverlaps<T extends PiiCandidate>(candidates: readonly T[]): T[] {
  const ranked = [...candidates].sort(
    (a, b) =>
      b.confidence - a.confidence ||
      KIND_PRIORITY[b.kind] - KIND_PRIORITY[a.kind] ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  const kept: T[] = [];
  for (const c of ranked) if (!kept.some((k) => c.start < k.end && k.start < c.end)) kept.push(c);
  return kept.sort((a, b) => a.start - b.start);
}

/** All PII in one string. `field` names where it came from (it is copied into each finding). */
export function detectPii(text: string, field = '', options: PiiDetectOptions = {}): PiiFinding[] {
  const kinds = new Set<PiiKind>(options.kinds ?? PII_KINDS);
  const min = options.min_confidence ?? DEFAULT_MIN_CONFIDENCE;
  const candidates: PiiCandidate[] = [];
  for (const d of DETECTORS) {
    if (!d.kinds.some((k) => kinds.has(k))) continue;
    for (const c of d.run(text)) if (kinds.has(c.kind) && c.confidence >= min) candidates.push(c);
  }
  return resolveOverlaps(candidates).map((c) => ({ ...c, field }));
}
