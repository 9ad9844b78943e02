export * from './imports.projection.js';
export * from './queries.js';
export * from './tasks.projection.js';
export * from './training.projection.js';
