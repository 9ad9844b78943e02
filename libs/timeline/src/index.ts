export * from './queries.js';
export * from './run-events.projection.js';
export * from './timeline.fold.js';
export * from './timeline.projection.js';
