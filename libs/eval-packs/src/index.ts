export * from './defaults.js';
export * from './eval-pack.js';
export * from './verdict.js';
export * from './safety-suite.js';
