export * from './datasets.js';
