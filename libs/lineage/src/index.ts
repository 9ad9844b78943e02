export * from './queries.js';
export * from './row-lineage.projection.js';
