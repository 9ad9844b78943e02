export * from './config.js';
export * from './clean-job.js';
export * from './prepare-job.js';
export * from './preparation.module.js';
export * from './preparation.service.js';
export * from './start.js';
