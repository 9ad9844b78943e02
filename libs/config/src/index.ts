export * from './fields.js';
export * from './parse-config.js';
