export * from './config.js';
export * from './projections.js';
export * from './projector.module.js';
export * from './projector.service.js';
export * from './start.js';
