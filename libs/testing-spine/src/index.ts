export * from './isolated-spine.js';
export * from './projection-bench.js';
