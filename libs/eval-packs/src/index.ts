export * from './defaults.js';
export * from './eval-pack.js';
export * from './verdict.js';
