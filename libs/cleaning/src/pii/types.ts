/** What the PII detectors find. Each kind has its own redaction tag and mask rule (pii/rewrite.ts). */
export const PII_KINDS = [
  'email',
  'phone',
  'credit_card',
  'iban',
  'ip_address',
  'us_ssn',
  'uk_nhs_number',
  'fr_nir',
  'api_key',
  'jwt',
  'private_key',
  'secret',
] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** The placeholder `redact` writes for each kind. */
export const REDACTION_TAGS: Readonly<Record<PiiKind, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  credit_card: '[CREDIT_CARD]',
  iban: '[IBAN]',
  ip_address: '[IP_ADDRESS]',
  us_ssn: '[SSN]',
  uk_nhs_number: '[NHS_NUMBER]',
  fr_nir: '[NIR]',
  api_key: '[API_KEY]',
  jwt: '[JWT]',
  private_key: '[PRIVATE_KEY]',
  secret: '[SECRET]',
};

/**
 * One piece of evidence: where, what, how sure, and which check confirmed it. `start`/`end` are UTF-16 offsets into
 * the field's original value (end-exclusive). `text` is the matched PII itself: keep findings in memory, never write
 * them to logs, events or reports unredacted (the CleaningReport only carries counts).
 */
export interface PiiFinding {
  readonly kind: PiiKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** The record field it was found in, e.g. `text`, `messages[1].content` (empty when scanning a bare string). */
  readonly field: string;
  /** 0..1: how specific the evidence is (a checksum or a vendor prefix beats a shape). */
  readonly confidence: number;
  /** Which check confirmed the match, e.g. `luhn+iin:visa`, `mod97`, `prefix:github_pat`, `entropy:4.71`. */
  readonly validator: string;
}

/** A detector's raw candidate before overlaps between detectors are resolved. */
export type PiiCandidate = Omit<PiiFinding, 'field'>;

export interface PiiDetectOptions {
  /** Kinds to look for (default: all). */
  readonly kinds?: readonly PiiKind[];
  /** Findings below this confidence are dropped (default 0.5). */
  readonly min_confidence?: number;
}
