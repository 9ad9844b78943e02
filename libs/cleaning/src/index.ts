export * from './cleaner.js';
export * from './report.js';
export { normalizeText, contentHash } from './normalize.js';
export { fnv1a64, murmur3, murmur3Words, fmix32, hashUnit, mulberry32, seededWords, utf8Bytes } from './hash.js';
export {
  TEXT_FIELD_PATTERNS,
  textFields,
  textFieldPatterns,
  DEDUP_FIELD_PATTERNS,
  dedupFieldPatterns,
  recordText,
  setAtPath,
  formatPath,
  type TextField,
  type PathStep,
} from './text-fields.js';
export * from './pii/types.js';
export { detectPii, resolveOverlaps, DEFAULT_MIN_CONFIDENCE } from './pii/detect.js';
export {
  actionFor,
  applyEdits,
  maskFinding,
  replacementFor,
  rewriteText,
  OffsetMap,
  DEFAULT_PII_POLICY,
  PII_ACTIONS,
  type PiiAction,
  type PiiPolicy,
  type TextEdit,
  type RewriteResult,
} from './pii/rewrite.js';
export { scanRecord, type AppliedFinding, type RecordPiiResult, type ScanRecordOptions } from './pii/record.js';
export {
  luhnValid,
  cardBrand,
  ibanValid,
  mod97,
  ssnValid,
  nhsValid,
  nirValid,
  parseIpv4,
  ipv4Class,
  ipv6Valid,
  shannonEntropy,
  IBAN_LENGTHS,
} from './pii/validators.js';
export { entropyThreshold, looksLikeSecret } from './pii/secrets.js';
export { classifyPhone } from './pii/detectors.js';
export { detectScript, scriptOf, SCRIPTS, type Script, type ScriptProfile } from './quality/script.js';
export { detectLanguage, LATIN_LANGUAGES, type LanguageGuess } from './quality/language.js';
export * from './quality/quality.js';
export * from './dedup/minhash.js';
export * from './dedup/lsh.js';
export * from './dedup/dedup-index.js';
export * from './outliers/sketch.js';
export * from './outliers/outliers.js';
export * from './policy.js';
