export * from './bundle.js';
export * from './collect.js';
export * from './service.js';
export * from './unzip.js';
export * from './zip.js';
