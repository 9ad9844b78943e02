export * from './config.js';
export * from './plan-job.js';
export * from './start.js';
export * from './tokenize-job.js';
export * from './tokenizer-adapter.js';
export * from './training.module.js';
export * from './training.service.js';
export * from './dry-run.js';
