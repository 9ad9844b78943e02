export * from './errors.js';
export * from './importer.js';
export * from './config.js';
