export * from './config.js';
export * from './evaluate-job.js';
export * from './evaluation.module.js';
export * from './evaluation.service.js';
export * from './predict.js';
export * from './score.js';
export * from './start.js';
