export * from './types.js';
export * from './reasons.js';
export * from './registry.js';
export * from './dry-run.js';
export { decodeBio, type BioResult, type Span } from './bio.js';
export { splitSharedPrefix } from './builtin/preference-pair.js';
export { accept, reject, normalizeLabel, answerList } from './fields.js';
export { JsonLinesBuffer, keepLines } from './jsonl-lines.js';
