export * from './api.module.js';
export * from './config.js';
export * from './openapi.js';
export * from './start.js';
