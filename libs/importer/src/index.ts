export * from './errors.js';
export * from './importer.js';
export * from './config.js';
// What ingress (api, cli) needs of the clean / prepare domain to validate requests before publishing them
// (ADR 0008: apps outside scope:data reach the data libraries through this adapter).
export { parseCleaningPolicy, CleaningPolicyError, type CleaningPolicy } from '@distillery/cleaning';
export { validateRatios, SplitConfigError, DEFAULT_RATIOS, type SplitRatios } from '@distillery/prepare';
