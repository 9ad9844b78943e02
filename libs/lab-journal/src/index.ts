export * from './journal.fold.js';
export * from './journal.projection.js';
