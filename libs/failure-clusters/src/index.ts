export * from './failure-clusters.fold.js';
export * from './failure-clusters.projection.js';
export * from './queries.js';
export * from './signature.js';
