export * from './data.js';
export * from './primitives.js';
export * from './reason-codes.js';
export * from './run-event.js';
export * from './subjects.js';
export * from './reason-codes.doc.js';
export * from './known-fixes.js';
