export * from './artifact-store.js';
export * from './bundle.js';
