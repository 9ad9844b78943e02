export * from './types.js';
export * from './handlers.js';
export * from './tokenize.js';
export * from './batches.js';
