export * from './config.js';
export * from './dataset-store.js';
export * from './mapping.module.js';
export * from './mapping.service.js';
export * from './start.js';
