export * from './checkpoints.js';
export * from './projection.js';
export * from './runner.js';
