export * from './isolated-spine.js';
