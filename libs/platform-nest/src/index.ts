export * from './bootstrap.js';
export * from './common-config.js';
export * from './health.controller.js';
export * from './platform.module.js';
export * from './tokens.js';
export * from './standalone.js';
