export * from './imports.projection.js';
export * from './queries.js';
