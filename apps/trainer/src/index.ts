export * from './config.js';
export * from './run-plan.js';
export * from './start.js';
export * from './trainer.module.js';
export * from './trainer.service.js';
export * from './make-tiny.js';
