export * from './split.js';
export * from './leakage.js';
export * from './labels.js';
export * from './manifest.js';
