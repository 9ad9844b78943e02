export * from './config.js';
export * from './demo-worker.module.js';
export * from './demo-worker.service.js';
export * from './start.js';
