export * from './slot.js';
export * from './drift.js';
